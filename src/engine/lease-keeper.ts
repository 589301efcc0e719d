/**
 * Heartbeats from a place the producers cannot block (issue 12; DESIGN.md §4 "a live node never
 * fails its own work").
 *
 * A `js` producer is a function called on the executor's thread: a synchronous one (a busy
 * loop, a large JSON.parse) holds the event loop for as long as it runs, and every timer with
 * it. Heartbeats that ran there would stop, the node's row and its leases would look dead, and
 * another node would take its items. The alternatives were weighed:
 * - running `js` producers off the main thread would change what a producer is (no shared
 *   module state, values copied between threads, no AbortSignal across them) and would still
 *   leave custom producers and the executor's own work on the main thread;
 * - the rule alone (a sweep never recovers leases its node still holds, lease-recovery.ts)
 *   protects a node from itself, but not from other nodes, which see its leases expire.
 *
 * So the heartbeats move to a `worker_threads` Worker with its own database connection
 * (lease-keeper-thread.ts): every `heartbeatMs` it refreshes the node's row and extends the
 * leases it holds, whatever the main thread is doing. The main thread tells it which leases the
 * node holds (when items are claimed, and again once their outcome is written) and pings it at
 * every heartbeat with the clock offset. It works the same on SQLite (a second connection to the
 * WAL file) and PostgreSQL (a one-connection pool), and per node, so with any number of nodes.
 *
 * A main thread that stops pinging for longer than the longest item timeout it holds plus a
 * lease is wedged rather than busy: the thread then stops heartbeating and the node looks dead,
 * as it should. Without a location (SQLite `:memory:`), or if the thread fails, the executor
 * heartbeats from the main thread as before ({@link LeaseKeeper.healthy}).
 */
import { Worker } from 'node:worker_threads';
import { assertNever } from '../core/status.js';
import type { NodeRecord, StoreLocation } from '../store/port.js';
import type { KeeperThreadData } from './lease-keeper-thread.js';
import type { Logger } from './logger.js';

/** A lease the thread keeps extending. */
export interface KeptLease {
  item_id: string;
  lease_token: string;
  /** The item's time budget, ms (how long a stalled main thread is still believed busy). */
  timeout_ms: number;
}

/** Main thread → heartbeat thread. */
export type KeeperMessage =
  | { type: 'track'; leases: KeptLease[] }
  | { type: 'untrack'; leases: { item_id: string; lease_token: string }[] }
  | { type: 'ping'; offset_ms: number }
  | { type: 'stop' };

/** Heartbeat thread → main thread. */
export type ThreadMessage =
  | { type: 'ready' }
  /** A heartbeat went through (`at`: database time, ms; `extended`: leases extended). */
  | { type: 'beat'; at: number; extended: number }
  | { type: 'lost'; leases: { item_id: string; lease_token: string }[] }
  | { type: 'error'; message: string }
  | { type: 'stalled'; since_ms: number }
  | { type: 'stopped' };

/** Options of {@link LeaseKeeper.start}. */
export interface LeaseKeeperOptions {
  location: StoreLocation;
  node: NodeRecord;
  heartbeatMs: number;
  leaseMs: number;
  /** Database time − local time, ms (engine clock − `Date.now()`). */
  offsetMs: number;
  logger: Logger;
  /** Leases the thread found taken (their producers must be aborted). */
  onLost: (leases: { item_id: string; lease_token: string }[]) => void;
}

/** The main thread's handle on the heartbeat thread. */
export class LeaseKeeper {
  private lastBeat = 0;
  private lastError = { message: '', at: 0 };
  private failed = false;
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly opts: LeaseKeeperOptions,
  ) {
    worker.on('message', (m: ThreadMessage) => this.receive(m));
    worker.on('error', (err) => {
      this.failed = true;
      opts.logger.error('heartbeat thread failed; heartbeats continue from the main thread', { error: err.message });
    });
    worker.on('exit', () => {
      this.failed = true;
    });
    // The executor's own timers keep the process alive while it runs; this thread must not.
    worker.unref();
  }

  /** Starts the thread (it opens its connection on its own; until then it is not {@link healthy}). */
  static start(opts: LeaseKeeperOptions): LeaseKeeper {
    const data: KeeperThreadData = {
      location: opts.location,
      node: opts.node,
      heartbeat_ms: opts.heartbeatMs,
      lease_ms: opts.leaseMs,
      offset_ms: opts.offsetMs,
    };
    return new LeaseKeeper(new Worker(new URL('./lease-keeper-thread.js', import.meta.url), { workerData: data }), opts);
  }

  /**
   * True while the thread heartbeats: its last heartbeat went through within two intervals. The
   * main thread then leaves node and lease heartbeats to it.
   */
  get healthy(): boolean {
    return !this.failed && Date.now() - this.lastBeat <= 2 * this.opts.heartbeatMs;
  }

  /** Leases to keep extending from now on. */
  track(leases: KeptLease[]): void {
    if (leases.length > 0) this.send({ type: 'track', leases });
  }

  /** Leases no longer held (their outcome was written, or they were lost). */
  untrack(leases: { item_id: string; lease_token: string }[]): void {
    if (leases.length > 0) this.send({ type: 'untrack', leases });
  }

  /** Tells the thread the main thread is alive, with the current clock offset. */
  ping(offsetMs: number): void {
    this.send({ type: 'ping', offset_ms: offsetMs });
  }

  /** Stops the thread after its current heartbeat and closes its connection. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      if (this.failed) return resolve();
      const done = setTimeout(() => void this.worker.terminate().then(() => resolve()), 5000);
      this.worker.once('exit', () => {
        clearTimeout(done);
        resolve();
      });
      this.send({ type: 'stop' });
    });
    return this.stopped;
  }

  private send(m: KeeperMessage): void {
    if (!this.failed) this.worker.postMessage(m);
  }

  private receive(m: ThreadMessage): void {
    switch (m.type) {
      case 'ready':
      case 'stopped':
        return;
      case 'beat':
        this.lastBeat = Date.now();
        return;
      case 'lost':
        this.opts.onLost(m.leases);
        return;
      case 'error':
        // While the database is away every heartbeat fails the same way: once per 5 s is enough.
        if (m.message !== this.lastError.message || Date.now() - this.lastError.at > 5000) {
          this.lastError = { message: m.message, at: Date.now() };
          this.opts.logger.warn('heartbeat failed', { error: m.message });
        }
        return;
      case 'stalled':
        this.opts.logger.error('the main thread has not answered the heartbeat thread; heartbeats stopped', { since_ms: m.since_ms });
        return;
      default:
        assertNever(m);
    }
  }
}
