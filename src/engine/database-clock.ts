/**
 * A clock that reads the database's time. Every lease time a node writes (claim, heartbeat,
 * expiry sweep) is `now` from the engine's clock; on many machines their clocks disagree, and
 * a node whose clock runs a minute ahead would see every other node's leases as expired and
 * take their items. So a node measures the offset between its clock and the database's
 * (`Store.databaseTime`, PostgreSQL `clock_timestamp()`) at start and again every
 * `refreshMs`, and stamps `now` = local time + offset: all nodes then agree on time to within
 * the measurement's round trip (a few ms on a LAN). The SQL still receives `now` as a
 * parameter (STYLE.md §7), so tests keep injecting a manual clock.
 *
 * `now()` never goes backwards, even when a new measurement moves the offset back.
 */
import type { Clock } from '../core/ids.js';

/** What the clock needs from the store. */
export interface TimeSource {
  databaseTime(): Promise<number>;
}

/** Options of {@link DatabaseClock.start}. */
export interface DatabaseClockOptions {
  /** How often the offset is measured again, ms. @default 30000 */
  refreshMs?: number;
  /** The local clock (tests pass a skewed one). @default Date.now */
  local?: () => number;
}

/** A measurement whose round trip took longer than this is too coarse to keep. */
const MAX_ROUND_TRIP_MS = 250;

export class DatabaseClock implements Clock {
  private offset = 0;
  private last = 0;
  private bestRoundTrip = Infinity;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly source: TimeSource,
    private readonly local: () => number,
  ) {}

  /**
   * Measures the offset (best of three round trips) and keeps it fresh until {@link stop}.
   * @throws the store's error when the database cannot be reached at all.
   */
  static async start(source: TimeSource, opts: DatabaseClockOptions = {}): Promise<DatabaseClock> {
    const clock = new DatabaseClock(source, opts.local ?? Date.now);
    for (let i = 0; i < 3; i++) await clock.measure(true);
    clock.timer = setInterval(() => void clock.measure(false).catch(() => {}), opts.refreshMs ?? 30_000);
    clock.timer.unref();
    return clock;
  }

  /** Database time, epoch ms. */
  now(): number {
    this.last = Math.max(this.last, Math.round(this.local() + this.offset));
    return this.last;
  }

  /** The current estimate of database time − local time, ms. */
  get offsetMs(): number {
    return this.offset;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One measurement. At start (`force`) the one with the shortest round trip wins; later ones
   * are kept unless their round trip was too long to trust.
   */
  private async measure(force: boolean): Promise<void> {
    const t0 = this.local();
    const db = await this.source.databaseTime();
    const t1 = this.local();
    const roundTrip = t1 - t0;
    if (force ? roundTrip <= this.bestRoundTrip : roundTrip <= MAX_ROUND_TRIP_MS) {
      this.offset = db - (t0 + t1) / 2;
      if (force) this.bestRoundTrip = roundTrip;
    }
  }
}
