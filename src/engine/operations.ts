/**
 * Bulk operations: an action (cancel, retry failed items, delete) applied to every run that
 * matches a filter, in the background, batch by batch, with durable progress counts.
 *
 * - The record is written before `start` returns, so it can be listed at once.
 * - Runs are visited newest first by keyset on the id, so runs leaving the filter (a canceled
 *   run is no longer `running`) or deleted ones never shift a page; runs created after the
 *   operation started are not visited (snapshot by `created_at`).
 * - A run the action refuses (a domain error such as `illegal_transition` or `conflict`) counts
 *   as `failed` for that run; any other error stops the operation as `failed`.
 * - While it runs the record is touched every `heartbeatMs`; an operation whose node died is
 *   marked failed by the next node's sweep once it has not been touched for `staleMs`.
 */
import { NotFoundError, RunyardError } from '../core/errors.js';
import type { Clock, IdSource } from '../core/ids.js';
import { effectiveSelection, type OperationAction } from '../core/operation.js';
import { assertNever } from '../core/status.js';
import type { OperationRecord, Page, RunFilter, Store } from '../store/port.js';
import type { Logger } from './logger.js';

/**
 * What an operation does to one run. Each call is for one run of workspace `ws`; a refusal is
 * a RunyardError (e.g. `illegal_transition` for a run that cannot be canceled).
 */
export interface RunActions {
  cancel(ws: string, runId: string): Promise<unknown>;
  retryFailed(ws: string, runId: string): Promise<unknown>;
  delete(ws: string, runId: string): Promise<unknown>;
}

export interface OperationsOptions {
  /** Runs read per page (progress is written after each page). @default 100 */
  batch: number;
  /** How often a running operation's record is touched, ms. @default 15000 */
  heartbeatMs: number;
  /** A running operation untouched this long is considered orphaned, ms. @default 120000 */
  staleMs: number;
}

export interface OperationsDeps {
  store: Store;
  clock: Clock;
  ids: IdSource;
  logger: Logger;
  actions: RunActions;
  options?: Partial<OperationsOptions>;
}

/** Error codes that are about the store or the process, not about one run: they stop the operation. */
const FATAL_CODES: ReadonlySet<string> = new Set(['database_unavailable', 'internal', 'schema_too_new']);

/** Starts, tracks and lists bulk operations. */
export class OperationsService {
  private readonly options: OperationsOptions;
  private readonly running = new Set<Promise<void>>();
  private stopping = false;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly deps: OperationsDeps) {
    this.options = { batch: 100, heartbeatMs: 15_000, staleMs: 120_000, ...deps.options };
  }

  /**
   * Records an operation (durable on return) and starts applying it in the background.
   * @throws ValidationError naming `filter` when the filter has no criterion, or
   *   `filter.status` when no given status can take the action.
   */
  async start(ws: string, action: OperationAction, filter: RunFilter): Promise<OperationRecord> {
    const { store, clock, ids } = this.deps;
    if (this.stopping) throw new RunyardError('conflict', 'the server is stopping; start the operation again once it is up');
    const effective = effectiveSelection(action, filter);
    const now = clock.now();
    const total = await store.countRuns(ws, { ...effective, created_before: Math.min(effective.created_before ?? Infinity, now + 1) });
    const op = await store.createOperation({
      id: ids.next('op'),
      workspace_id: ws,
      action,
      filter: effective,
      status: 'running',
      total,
      succeeded: 0,
      failed: 0,
      error: null,
      created_at: now,
      updated_at: now,
      finished_at: null,
    });
    const p = this.execute(op).finally(() => this.running.delete(p));
    this.running.add(p);
    return op;
  }

  /** @throws NotFoundError */
  async get(ws: string, id: string): Promise<OperationRecord> {
    const op = await this.deps.store.getOperation(ws, id);
    if (!op) throw new NotFoundError('operation', id);
    return op;
  }

  /** Newest first. */
  list(ws: string, opts: { limit: number; cursor?: string }): Promise<Page<OperationRecord>> {
    return this.deps.store.listOperations(ws, opts);
  }

  /** Resolves once every operation started by this process has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Marks orphaned operations failed now and every `staleMs / 2` from now on. */
  startSweeper(): void {
    if (this.sweeper) return;
    const sweep = () =>
      this.sweep().catch((err: unknown) => this.deps.logger.error('operation sweep failed', { error: err instanceof Error ? err.message : String(err) }));
    void sweep();
    this.sweeper = setInterval(() => void sweep(), Math.max(1000, this.options.staleMs / 2));
    this.sweeper.unref();
  }

  /** Marks running operations untouched for `staleMs` as failed. @returns how many. */
  sweep(): Promise<number> {
    const now = this.deps.clock.now();
    return this.deps.store.failStaleOperations(now - this.options.staleMs, now);
  }

  /** Stops the sweeper; operations in progress end after their current run as failed (`interrupted`). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    await this.idle();
  }

  private act(action: OperationAction, ws: string, runId: string): Promise<unknown> {
    const { actions } = this.deps;
    switch (action) {
      case 'cancel':
        return actions.cancel(ws, runId);
      case 'retry_failed':
        return actions.retryFailed(ws, runId);
      case 'delete':
        return actions.delete(ws, runId);
      default:
        return assertNever(action);
    }
  }

  private async execute(op: OperationRecord): Promise<void> {
    const { store, clock, logger } = this.deps;
    const ws = op.workspace_id;
    const filter: RunFilter = { ...op.filter, created_before: Math.min(op.filter.created_before ?? Infinity, op.created_at + 1) };
    let succeeded = 0;
    let failed = 0;
    let firstRefusal: string | null = null;
    const heartbeat = setInterval(() => void store.updateOperationProgress(ws, op.id, {}, clock.now()).catch(() => undefined), this.options.heartbeatMs);
    heartbeat.unref();
    try {
      for await (const page of store.streamRuns(ws, filter, this.options.batch)) {
        for (const run of page) {
          if (this.stopping) throw new RunyardError('internal', 'interrupted: the server stopped before the operation finished');
          try {
            await this.act(op.action, ws, run.id);
            succeeded += 1;
          } catch (err) {
            if (!(err instanceof RunyardError) || FATAL_CODES.has(err.code)) throw err;
            failed += 1;
            firstRefusal ??= err.message;
          }
        }
        const done = succeeded + failed;
        const updated = await store.updateOperationProgress(ws, op.id, { succeeded, failed, total: Math.max(op.total, done) }, clock.now());
        if (!updated) return; // finished elsewhere (e.g. swept as stale): stop quietly
      }
      const error = failed > 0 ? `${failed} of ${succeeded + failed} runs refused; first: ${firstRefusal ?? 'unknown'}` : null;
      await store.updateOperationProgress(ws, op.id, { status: 'succeeded', total: succeeded + failed, succeeded, failed, error }, clock.now());
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      logger.error('operation failed', { operation_id: op.id, action: op.action, error: message });
      await store.updateOperationProgress(ws, op.id, { status: 'failed', succeeded, failed, error: message }, clock.now()).catch(() => undefined);
    } finally {
      clearInterval(heartbeat);
    }
  }
}
