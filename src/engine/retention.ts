/**
 * Retention: periodically deletes terminal runs (with their items and events) that finished
 * more than the retention period ago, in every workspace, keeping pinned runs. Runs once at
 * start, then every `intervalMs`. Each batch is its own transaction, so a long purge never
 * holds the write lock for long.
 */
import type { Clock } from '../core/ids.js';
import type { Store } from '../store/port.js';
import type { Logger } from './logger.js';

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;

export interface RetentionDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Runs that finished longer ago than this are purged, ms (e.g. `30 * DAY_MS`). */
  maxAgeMs: number;
  /** Time between purges, ms. @default 3600000 (hourly) */
  intervalMs?: number;
  /** Runs deleted per transaction. @default 100 */
  batch?: number;
}

export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<number> | undefined;
  private started = false;
  private stopped = false;

  constructor(private readonly deps: RetentionDeps) {
    if (!(deps.maxAgeMs > 0)) throw new RangeError('maxAgeMs must be positive');
  }

  /** Purges once now (in the background) and then every `intervalMs`. Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    this.tick();
  }

  /** Stops the schedule and waits for a purge in progress to finish its current batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => 0);
  }

  /**
   * Deletes every terminal, unpinned run with `finished_at < now − maxAgeMs`, batch by batch.
   * @returns how many runs were deleted.
   */
  async purgeOnce(): Promise<number> {
    const { store, clock, maxAgeMs } = this.deps;
    const batch = this.deps.batch ?? 100;
    const cutoff = clock.now() - maxAgeMs;
    let total = 0;
    for (;;) {
      const n = await store.purgeTerminalRuns(cutoff, batch);
      total += n;
      if (n < batch || this.stopped) break;
      // Let other writers take the lock between batches.
      await new Promise((r) => setImmediate(r));
    }
    if (total > 0) this.deps.logger.info('retention purged finished runs', { runs: total, cutoff: new Date(cutoff).toISOString() });
    return total;
  }

  private tick(): void {
    this.current = this.purgeOnce().catch((err: unknown) => {
      this.deps.logger.error('retention purge failed', { error: err instanceof Error ? err.message : String(err) });
      return 0;
    });
    void this.current.then(() => {
      if (this.stopped) return;
      this.timer = setTimeout(() => this.tick(), this.deps.intervalMs ?? 3_600_000);
      this.timer.unref();
    });
  }
}
