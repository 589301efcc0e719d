/**
 * The engine façade: one dependency bag, the services the API and CLI call, and the executor
 * node. Composition roots (`runyard up`, tests) build one with {@link createEngine}.
 */
import { DEFAULT_WORKSPACE_ID, systemClock, systemRandom, ulidIds, type Clock, type IdSource, type RandomSource } from '../core/ids.js';
import type { Store } from '../store/port.js';
import { Executor, type ProducerLookup } from './executor.js';
import { silentLogger, type Logger } from './logger.js';
import { Notifier } from './notifier.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from './options.js';
import { RunsService } from './runs-service.js';
import { TablesService } from './tables-service.js';

export interface EngineConfig {
  store: Store;
  producers: ProducerLookup;
  clock?: Clock;
  ids?: IdSource;
  random?: RandomSource;
  logger?: Logger;
  options?: Partial<EngineOptions>;
}

export interface Engine {
  readonly store: Store;
  readonly notifier: Notifier;
  readonly tables: TablesService;
  readonly runs: RunsService;
  readonly clock: Clock;
  readonly options: EngineOptions;
  /** The workspace every request uses until API tokens arrive. */
  readonly workspaceId: string;
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
  const options = { ...DEFAULT_ENGINE_OPTIONS, ...cfg.options };
  const notifier = new Notifier();
  let executor: Executor | undefined;
  let stopListening: (() => void) | undefined;
  return {
    store: cfg.store,
    notifier,
    clock,
    options,
    workspaceId: DEFAULT_WORKSPACE_ID,
    tables: new TablesService({ store: cfg.store, clock, ids, producers: cfg.producers }),
    runs: new RunsService({ store: cfg.store, clock, ids, notifier }),
    async startExecutor() {
      if (!executor) {
        executor = new Executor({ store: cfg.store, clock, ids, random, producers: cfg.producers, notifier, logger, options });
        stopListening = cfg.store.subscribeWork?.(() => notifier.workAvailable());
        await executor.start();
      }
      return executor;
    },
    async stopExecutor(graceMs) {
      const stopping = executor;
      if (!stopping) return;
      stopListening?.();
      stopListening = undefined;
      await stopping.stop(graceMs);
      if (executor === stopping) executor = undefined;
    },
  };
}
