/**
 * Creating runs of any kind: the target's kind module (`src/kinds/`) resolves the target and
 * plans the first items; this service applies the options every run shares (mode, profile,
 * overrides, idempotency, credits bound) and writes the run with its items in one
 * transaction. Item inputs are frozen at creation together with the run spec, so later edits
 * of the target never change a run in flight.
 */
import { createHash } from 'node:crypto';
import { IdempotencyConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import type { KindReader, TargetRef } from '../core/kind.js';
import { sinkSpec } from '../core/sink.js';
import type { KindRegistry } from '../kinds/index.js';
import type { Clock, IdSource } from '../core/ids.js';
import type { RunKind, RunMode, RunRecord, RunSpec, TriggerType } from '../core/model.js';
import type { WorkloadProfile } from '../core/profile.js';
import { checkAmount, costShapeOf, itemCostBound } from '../core/credits.js';
import type { ClaimedItem, NewRun, Store } from '../store/port.js';
import type { Logger } from './logger.js';
import type { Executor } from './executor.js';
import type { Notifier } from './notifier.js';
import type { PriceBook } from './prices.js';
import type { ProfileCatalog } from './profiles.js';
import { prepareManualRun, type ManualRunFields, type PreparedManualRun } from './run-overrides.js';
import type { SecretBox } from './secrets.js';

/** Items a smoke test runs live when no size is given. */
export const DEFAULT_SMOKE_TEST_ITEMS = 5;

/**
 * Options of {@link RunsService.startColumnRun}. The manual-run fields (`prompt`, `session_id`,
 * `overrides`) apply to this run only; the column's saved definition never changes.
 */
export interface StartColumnRun extends ManualRunFields {
  /** Display name. @default "<table name> · <column name>" */
  name?: string;
  /** Workload profile override. @default the column's profile */
  profile?: string;
  /** `live`; `dry_run` (validate, render, execute nothing); `smoke_test` (first N items live, the rest skipped). @default 'live' */
  mode?: RunMode;
  /** Items a smoke test runs live, 1 to 10,000. @default 5 */
  smoke_test_items?: number;
  trigger?: { type: TriggerType; actor?: string | null; source_id?: string | null };
  tags?: string[];
  /** At most 255 characters (Stripe's limit). */
  idempotency_key?: string;
  /** The run this one re-runs (`rerun`). */
  retry_of?: string;
  /** Budget: the most this run may spend, µ (it pauses with reason `budget` when reached). */
  budget_micro?: number;
}

export interface RunsDeps {
  store: Store;
  clock: Clock;
  ids: IdSource;
  notifier: Notifier;
  profiles: ProfileCatalog;
  /** Price versions: a new run records the current one and is bounded by its prices. */
  prices: Pick<PriceBook, 'current'>;
  /** The run kinds a target may name (`src/kinds/index.ts`). */
  kinds: KindRegistry;
  /** Seals per-run secrets; without it, requests with secrets are refused. */
  secrets?: SecretBox | undefined;
  logger?: Logger | undefined;
  /**
   * The executor running in this process, if any: a new run is then started and its first
   * items leased to it in the creation transaction (no claim round trip; bench/LATENCY.md).
   */
  localExecutor?: () => Pick<Executor, 'reserveForCreate' | 'adopt'> | undefined;
}

/** What {@link RunsService.createRun} writes besides the items. */
export interface RunDraft {
  kind: RunKind;
  target_id: string;
  target_version: number;
  name: string;
  profile: WorkloadProfile;
  spec: RunSpec;
  opts: StartColumnRun;
  items: { key: string; inputs: Record<string, unknown> | null; producer?: string; max_attempts?: number }[];
  /** What the run acts on (`runs.subject`); absent: null. */
  subject?: unknown;
  /** The phase the run starts in (`runs.phase`, its kind's `StartPlan.phase`); absent: null. */
  phase?: string | null;
  /** The run's output from the start (its kind's `StartPlan.output`); absent: null. */
  output?: unknown;
  /** The manual-run fields already validated and sealed (else prepared from `opts`). */
  manual?: PreparedManualRun;
  /** Create the run held (queued, not started) by this reason (`ResolvedTarget.hold`). */
  held_by?: string;
}

export class RunsService {
  constructor(private readonly deps: RunsDeps) {}

  /**
   * Starts a run of a target of any registered kind: the kind resolves the target and plans the
   * first items; the run and its items are written in one transaction before this returns (the
   * run is durable on return).
   * @param target `{type, ...}`: the kind's name (or alias) and the fields its module reads
   * @param carried manual-run fields already prepared (a rerun carries its original's sealed
   *   secrets and env without ever opening them)
   * @returns the run and whether it was created (false: an idempotent replay).
   * @throws ValidationError naming `target.type` for an unknown kind, or the target's field;
   *   NotFoundError; RunyardError `template_error` naming the row; IdempotencyConflictError
   *   when the key was used with another request.
   */
  async startRun(ws: string, target: TargetRef, opts: StartColumnRun = {}, carried?: PreparedManualRun): Promise<{ run: RunRecord; created: boolean }> {
    const kind = this.deps.kinds.get(target.type);
    const io = kindReader(this.deps.store, ws);
    const resolved = await kind.resolve(kind.parseTarget(target), io);
    const profile = this.deps.profiles.resolve(opts.profile ?? resolved.profile);
    this.checkOptions(opts);
    const manual = carried ?? prepareManualRun(opts, this.deps.secrets);
    if (opts.idempotency_key !== undefined) {
      const existing = await this.replay(ws, opts.idempotency_key, this.requestHash(resolved.target_id, opts, manual));
      if (existing) return { run: existing, created: false };
    }
    const mode = opts.mode ?? 'live';
    const plan = await kind.start(resolved, io, {
      mode,
      ...(mode === 'smoke_test' ? { smoke_test_items: opts.smoke_test_items ?? DEFAULT_SMOKE_TEST_ITEMS } : {}),
    });
    const res = await this.createRun(ws, {
      kind: resolved.kind,
      target_id: resolved.target_id,
      target_version: resolved.target_version,
      name: opts.name ?? resolved.default_name,
      profile,
      spec: specFor(resolved.producer, resolved.config, profile, sinkSpec(resolved.sink)),
      opts,
      items: plan.items,
      subject: resolved.subject ?? null,
      phase: plan.phase ?? null,
      ...(plan.output === undefined ? {} : { output: plan.output }),
      manual,
      ...(resolved.hold === undefined ? {} : { held_by: resolved.hold }),
    });
    // A hold lifted between the resolve and the write (a worker resumed meanwhile) releases
    // the run here; one lifted after the write released it with the others.
    if (res.created && res.run.held_by) {
      const again = await kind.resolve(kind.parseTarget(target), io).catch(() => undefined);
      if (again && again.hold === undefined) await this.deps.store.workers.releaseHeld(ws, res.run.held_by, clock(this.deps));
    }
    return res;
  }

  /**
   * Starts a column run ({@link startRun} with a `column` target): one item per row of the
   * table, each with the column's config rendered against its row.
   * @throws as {@link startRun}
   */
  async startColumnRun(
    ws: string,
    tableId: string,
    columnRef: string,
    opts: StartColumnRun = {},
    carried?: PreparedManualRun,
  ): Promise<{ run: RunRecord; created: boolean }> {
    return this.startRun(ws, { type: 'column', table_id: tableId, column: columnRef }, opts, carried);
  }

  /**
   * Writes a run from a draft: applies the mode (a smoke test skips items past its size) and
   * the idempotency key, then wakes the executors.
   */
  async createRun(ws: string, d: RunDraft): Promise<{ run: RunRecord; created: boolean }> {
    const { store, ids, clock } = this.deps;
    const mode = d.opts.mode ?? 'live';
    const live = mode === 'smoke_test' ? (d.opts.smoke_test_items ?? DEFAULT_SMOKE_TEST_ITEMS) : Infinity;
    const key = d.opts.idempotency_key;
    const manual = d.manual ?? prepareManualRun(d.opts, this.deps.secrets);
    const prices = await this.deps.prices.current(ws);
    const now = clock.now();
    // A dry run captures nothing, so it reserves nothing; its items report the estimate.
    const bound = mode === 'dry_run' ? 0 : itemCostBound(prices.prices, costShapeOf(d.spec));
    const input: NewRun = {
      run: {
        id: ids.next('run'),
        workspace_id: ws,
        kind: d.kind,
        target_id: d.target_id,
        target_version: d.target_version,
        name: d.name,
        status: 'queued',
        phase: d.phase ?? null,
        subject: d.subject ?? null,
        ...(d.output === undefined ? {} : { output: d.output }),
        mode,
        trigger: { type: d.opts.trigger?.type ?? 'api', actor: d.opts.trigger?.actor ?? null, source_id: d.opts.trigger?.source_id ?? null },
        profile: d.profile.name,
        prompt: manual.prompt,
        session_id: manual.session_id,
        items_total: d.items.length,
        credits_reserved: 0,
        credits_used: 0,
        result_summary: null,
        error: null,
        retry_of: d.opts.retry_of ?? null,
        idempotency_key: key ?? null,
        tags: d.opts.tags ?? [],
        spec: d.spec,
        overrides_env: manual.overrides_env,
        credit_cap: d.opts.budget_micro ?? null,
        item_cost_bound: bound,
        price_version: prices.version,
        created_at: now,
        started_at: null,
        finished_at: null,
        held_by: d.held_by ?? null,
      },
      items: d.items.map((it, i) => ({
        id: ids.next('itm'),
        key: it.key,
        inputs: it.inputs,
        status: i < live ? 'pending' : 'skipped',
        ...(it.producer === undefined ? {} : { producer: it.producer }),
        ...(it.max_attempts === undefined ? {} : { max_attempts: it.max_attempts }),
      })),
      request_hash: key === undefined ? null : this.requestHash(d.target_id, d.opts, manual),
      sealed_secrets: manual.sealed_secrets,
    };
    const local = this.deps.localExecutor?.();
    const start = local?.reserveForCreate(now);
    let claimed: ClaimedItem[] = [];
    let result;
    try {
      result = await store.createRun(ws, input, now, start);
      claimed = result.claimed ?? [];
    } finally {
      if (local && start) local.adopt(start, claimed);
    }
    if (result.created) {
      // Items left pending (beyond the run's concurrency) or a run not started here: claim loop.
      if (claimed.length === 0 || result.run.items_pending > 0) this.deps.notifier.workAvailable();
      // Names only: override values and secrets are never logged.
      this.deps.logger?.debug('run created', { run_id: result.run.id, env_names: manual.env_names, secret_names: manual.secret_names });
    }
    return result;
  }

  /** @throws NotFoundError */
  async getRun(ws: string, runId: string): Promise<RunRecord> {
    const run = await this.deps.store.getRun(ws, runId);
    if (!run) throw new NotFoundError('run', runId);
    return run;
  }

  private checkOptions(opts: StartColumnRun): void {
    const key = opts.idempotency_key;
    if (key !== undefined && (key.length === 0 || key.length > 255 || /[\r\n\0]/.test(key))) {
      throw new ValidationError('Idempotency-Key: expected 1 to 255 characters without line breaks', { field: 'Idempotency-Key' });
    }
    const n = opts.smoke_test_items;
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 10_000)) {
      throw new ValidationError('smoke_test_items: expected an integer from 1 to 10000', { field: 'smoke_test_items' });
    }
    if (n !== undefined && opts.mode !== 'smoke_test') throw new ValidationError('smoke_test_items: only with mode smoke_test', { field: 'smoke_test_items' });
    if (opts.budget_micro !== undefined) checkAmount(opts.budget_micro, 'budget_micro');
  }

  private async replay(ws: string, key: string, hash: string): Promise<RunRecord | undefined> {
    // The store enforces the key inside createRun's transaction; this early look only avoids
    // rendering every row for a replay.
    const run = await this.deps.store.findRunByIdempotencyKey(ws, key);
    if (!run) return undefined;
    if (run.request_hash !== hash) throw new IdempotencyConflictError(key);
    return run.run;
  }

  private requestHash(targetId: string, opts: StartColumnRun, manual: PreparedManualRun): string {
    // Overrides enter the hash as prepared: env sorted, secrets as a keyed fingerprint.
    const { idempotency_key: _k, overrides: _o, ...rest } = opts;
    return createHash('sha256')
      .update(JSON.stringify({ targetId, ...rest, ...(manual.hashPart ? { overrides: manual.hashPart } : {}) }))
      .digest('hex');
  }
}

/** What a kind may read while it plans, scoped to one workspace. */
export function kindReader(store: Store, ws: string): KindReader {
  return {
    table: (tableId) => store.getTable(ws, tableId),
    column: (tableId, ref) => store.getColumn(ws, tableId, ref),
    rows: (tableId) => store.allRows(ws, tableId),
    flow: (id, version) => store.flows.getFlow(ws, id, version),
    worker: (id, version) => store.workers.getWorker(ws, id, version),
    row: (tableId, rowId) => store.getRow(ws, tableId, rowId),
  };
}

const clock = (deps: RunsDeps): number => deps.clock.now();

/** The frozen execution spec of a run. */
export function specFor(producer: string, config: Record<string, unknown>, profile: WorkloadProfile, target: Pick<RunSpec, 'table_id' | 'column_id'>): RunSpec {
  return {
    producer,
    config,
    ...target,
    concurrency: profile.concurrency,
    item_timeout_ms: profile.itemTimeoutMs,
    max_attempts: profile.retry.maxAttempts,
    retry_base_delay_ms: profile.retry.baseDelayMs,
    retry_max_delay_ms: profile.retry.maxDelayMs,
  };
}
