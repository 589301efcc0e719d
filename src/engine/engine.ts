/**
 * The engine façade: one dependency bag, the services the API and CLI call, and the executor
 * node. Composition roots (`runyard up`, tests) build one with {@link createEngine}.
 */
import { IngestionsService } from './ingestions.js';
import { DEFAULT_WORKSPACE_ID, systemClock, systemRandom, ulidIds, type Clock, type IdSource, type RandomSource } from '../core/ids.js';
import type { Store } from '../store/port.js';
import { Executor, type ProducerLookup } from './executor.js';
import { silentLogger, type Logger } from './logger.js';
import { Notifier } from './notifier.js';
import { OperationsService, type RunActions } from './operations.js';
import { defaultEngineOptions, type EngineOptions } from './options.js';
import { ControlService } from './control.js';
import { CreditsService } from './credits.js';
import { PriceBook } from './prices.js';
import { ProfileCatalog } from './profiles.js';
import { RunsService } from './runs-service.js';
import { TablesService } from './tables-service.js';
import { CommentsService } from './comments-service.js';
import { WaitingService } from './waiting.js';
import { SQLITE_PROFILES, type WorkloadProfile } from '../core/profile.js';
import type { SecretBox } from './secrets.js';
import { createKindRegistry, type KindRegistry } from '../kinds/index.js';
import { AccessService } from './access.js';
import { FlowsService, startReaper } from './flows-service.js';
import { TriggersService, type TriggerOptions } from './triggers.js';
import { WorkersService } from './workers-service.js';
import { withWorkerProducers } from './worker-tools.js';

export interface EngineConfig {
  store: Store;
  producers: ProducerLookup;
  clock?: Clock;
  ids?: IdSource;
  random?: RandomSource;
  logger?: Logger;
  options?: Partial<EngineOptions>;
  /** Custom workload profiles by name, besides small, standard and large. */
  profiles?: Record<string, WorkloadProfile>;
  /** Seals and opens per-run secrets. Without it, runs with secrets are refused. */
  secrets?: SecretBox;
  /** Per-run actions of bulk operations; `delete` defaults to the store's. */
  runActions?: Partial<RunActions>;
  /** The run kinds targets may name. @default the built-in kinds (`createKindRegistry()`) */
  kinds?: KindRegistry;
  /** Timing of the trigger loops (engine/triggers.ts). */
  triggers?: Partial<TriggerOptions>;
}

export interface Engine {
  readonly store: Store;
  readonly notifier: Notifier;
  readonly tables: TablesService;
  /** Comments on table rows. */
  readonly comments: CommentsService;
  readonly runs: RunsService;
  readonly control: ControlService;
  readonly credits: CreditsService;
  readonly waiting: WaitingService;
  readonly profiles: ProfileCatalog;
  /** Price versions in the database (engine/prices.ts); none set: every run is free. */
  readonly prices: PriceBook;
  /** The run kinds targets may name; register a custom kind here at start-up. */
  readonly kinds: KindRegistry;
  /** Bulk operations by filter (cancel, retry_failed, delete), tracked with progress. */
  readonly operations: OperationsService;
  readonly clock: Clock;
  readonly options: EngineOptions;
  /** The default workspace (created by the first migration; `runyard up` bootstraps its admin token). */
  readonly workspaceId: string;
  /** Tokens, sessions, workspaces, the audit log and saved credentials. */
  readonly access: AccessService;
  /** Ingestion sources (versioned) and their runs (engine/ingestions.ts). */
  readonly ingestions: IngestionsService;
  /** Flow definitions, flow runs and waits (answers, expiry). */
  readonly flows: FlowsService;
  /** Events, rules, schedules and webhooks that start runs (issue 15); `triggers.start()` runs its loops on this node. */
  readonly triggers: TriggersService;
  /** AI workers (versioned definitions, pause/resume) and their runs on a subject row (issue 14). */
  readonly workers: WorkersService;
  /**
   * Starts an executor node in this process (idempotent). It also listens for other
   * processes' wake-ups when the store offers them (PostgreSQL LISTEN/NOTIFY).
   */
  startExecutor(): Promise<Executor>;
  /**
   * Stops the executor (graceful, see {@link Executor.stop}); the store stays open. Calling it
   * again while a stop is under way shortens the grace period (a second SIGTERM).
   */
  stopExecutor(graceMs?: number): Promise<void>;
}

/** Builds an engine around a migrated store. */
export function createEngine(cfg: EngineConfig): Engine {
  const clock = cfg.clock ?? systemClock;
  const ids = cfg.ids ?? ulidIds();
  const random = cfg.random ?? systemRandom;
  const logger = cfg.logger ?? silentLogger;
  const options = { ...defaultEngineOptions(cfg.store.dialect), ...cfg.options };
  const notifier = new Notifier();
  let executor: Executor | undefined;
  // Custom profiles win over the SQLite variants of the built-in ones.
  const profiles = new ProfileCatalog(cfg.store.dialect === 'sqlite' ? { ...SQLITE_PROFILES, ...cfg.profiles } : cfg.profiles);
  const prices = new PriceBook({ store: cfg.store, clock });
  const kinds = cfg.kinds ?? createKindRegistry();
  const runs = new RunsService({
    store: cfg.store,
    clock,
    ids,
    notifier,
    profiles,
    prices,
    kinds,
    secrets: cfg.secrets,
    logger,
    localExecutor: () => executor,
  });
  const control = new ControlService({ store: cfg.store, clock, notifier, runs, profiles, kinds });
  const actions: RunActions = {
    delete: (ws, runId) => cfg.store.deleteRun(ws, runId),
    cancel: (ws, runId) => control.cancel(ws, runId),
    retryFailed: (ws, runId) => control.retryFailed(ws, runId),
    ...cfg.runActions,
  };
  let stopListening: (() => void) | undefined;
  const flows = new FlowsService({ store: cfg.store, clock, runs, control, logger });
  // The worker producers write records through the store: the engine makes them.
  const producers = withWorkerProducers(cfg.producers, {
    store: cfg.store,
    ids,
    clock,
    startFlow: async (ws, flowId, inputs, key) =>
      (await flows.run(ws, flowId, { inputs }, { idempotency_key: key, trigger: { type: 'api', actor: 'worker' } })).run.id,
  });
  let stopReaper: (() => void) | undefined;
  return {
    store: cfg.store,
    notifier,
    clock,
    options,
    profiles,
    prices,
    kinds,
    workspaceId: DEFAULT_WORKSPACE_ID,
    access: new AccessService({ store: cfg.store.access, clock, ids, secrets: cfg.secrets }),
    triggers: new TriggersService({
      store: cfg.store,
      runs,
      kinds,
      profiles,
      clock,
      ids,
      logger,
      secrets: cfg.secrets,
      options: cfg.triggers,
      onEvent: (ev) => flows.resumeOnEvent(ev),
    }),
    tables: new TablesService({ store: cfg.store, clock, ids, producers: cfg.producers, profiles }),
    comments: new CommentsService({ store: cfg.store, clock, ids }),
    runs,
    control,
    flows,
    credits: new CreditsService({ store: cfg.store, clock, ids, notifier }),
    waiting: new WaitingService({ store: cfg.store, clock, heartbeatMs: options.heartbeatMs }),
    operations: new OperationsService({ store: cfg.store, clock, ids, logger, actions }),
    ingestions: new IngestionsService({ store: cfg.store, clock, ids, runs, control }),
    workers: new WorkersService({ store: cfg.store, clock, ids, runs, prices }),
    async startExecutor() {
      if (!executor) {
        executor = new Executor({
          store: cfg.store,
          clock,
          ids,
          random,
          producers,
          notifier,
          logger,
          options,
          prices,
          secrets: cfg.secrets,
          kinds,
        });
        stopListening = cfg.store.subscribeWork?.(() => notifier.workAvailable());
        // Expired waits get their on_timeout within a reaper tick of their expiry.
        stopReaper = startReaper(flows, options.waitReaperMs ?? 500, logger);
        await executor.start();
      }
      return executor;
    },
    async stopExecutor(graceMs) {
      const stopping = executor;
      if (!stopping) return;
      stopListening?.();
      stopListening = undefined;
      stopReaper?.();
      stopReaper = undefined;
      await stopping.stop(graceMs);
      if (executor === stopping) executor = undefined;
    },
  };
}
