/**
 * Cross-node wake-ups over LISTEN/NOTIFY. One dedicated connection per node LISTENs on
 * {@link WORK_CHANNEL}; transactions that make work claimable (a new run, released or recovered
 * items) NOTIFY it and PostgreSQL delivers at commit. Notifications are lossy by design: one
 * sent while this connection is down is never seen, and none arrive through a
 * transaction-mode pooler; so every node also polls, and a lost wake-up delays work by at most
 * the poll interval. After reconnecting (with backoff) the listener wakes its subscribers once,
 * to cover what it may have missed.
 */
import pg from 'pg';
import { clientConfig } from './pool.js';
import type { PostgresTarget } from './connection.js';

/** The channel work wake-ups are sent on. */
export const WORK_CHANNEL = 'runyard_work';

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;

/** A LISTEN connection that reconnects with backoff until {@link stop}. */
export class WorkListener {
  private client: pg.Client | undefined;
  private readonly subscribers = new Set<(payload: string) => void>();
  private stopped = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: PostgresTarget,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  /**
   * Calls `fn` with the payload of every notification on the channel (`''` for a plain
   * wake-up); the first subscriber opens the connection. @returns unsubscribe
   */
  subscribe(fn: (payload: string) => void): () => void {
    this.subscribers.add(fn);
    if (this.subscribers.size === 1 && !this.client && !this.timer) {
      this.stopped = false;
      void this.connect();
    }
    return () => {
      this.subscribers.delete(fn);
      if (this.subscribers.size === 0) void this.stop();
    };
  }

  /** True while the LISTEN connection is up (for tests and health checks). */
  get listening(): boolean {
    return this.client !== undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => {});
  }

  private wakeAll(payload: string): void {
    for (const fn of this.subscribers) fn(payload);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(clientConfig(this.target, 'runyard-listen', 5000));
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (err) this.onError(err);
      if (this.client === client) this.client = undefined;
      client.end().catch(() => {});
      this.retry();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (msg) => {
      if (msg.channel === WORK_CHANNEL) this.wakeAll(msg.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${WORK_CHANNEL}`);
    } catch (err) {
      onLost(err as Error);
      return;
    }
    if (this.stopped || lost) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    const reconnected = this.failures > 0;
    this.failures = 0;
    if (reconnected) this.wakeAll('');
  }

  private retry(): void {
    if (this.stopped || this.timer) return;
    this.failures += 1;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.failures - 1)) * (0.5 + Math.random() / 2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
    this.timer.unref();
  }
}
