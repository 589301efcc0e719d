/**
 * Engine timing and sizing. Defaults are chosen so that an item orphaned by a killed node is
 * running again within 15 s (lease 10 s + sweep 1 s + poll), against BullMQ's 60 s, pg-boss's
 * 15 min and graphile-worker's 4 h defaults (reliability.md §1).
 */
export interface EngineOptions {
  /** How often expired waits get their `on_timeout`, ms. @default 500 */
  waitReaperMs?: number;
  /** Lease length of a claimed item, ms. @default 10000 */
  leaseMs: number;
  /** How often a node extends its leases and refreshes its node row, ms. @default 3000 */
  heartbeatMs: number;
  /** How often expired leases are recovered, ms. @default 1000 */
  sweepMs: number;
  /** Longest wait between claim attempts when idle, ms. @default 250 */
  pollMs: number;
  /**
   * Items one node executes at once, over all runs (each run is held to its profile's
   * concurrency). @default 1024 on SQLite (a `large` run's batch of 1,024 outcomes and leases is
   * one commit), 256 on PostgreSQL (see {@link defaultEngineOptions})
   */
  capacity: number;
  /** Most items leased in one claim transaction. @default 1024 on SQLite, 256 on PostgreSQL */
  claimBatch: number;
  /** Most completions written in one transaction. @default 1024 on SQLite, 512 on PostgreSQL */
  flushBatch: number;
  /** Grace period of a graceful stop before in-flight items are released, ms. @default 10000 */
  shutdownGraceMs: number;
}

/** The dialect-neutral defaults (PostgreSQL's); {@link defaultEngineOptions} adjusts them for SQLite. */
export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  leaseMs: 10_000,
  heartbeatMs: 3_000,
  sweepMs: 1_000,
  pollMs: 250,
  capacity: 256,
  claimBatch: 256,
  flushBatch: 512,
  shutdownGraceMs: 10_000,
};

/**
 * The defaults for a node on `dialect`. SQLite has one writer and pays one fsync per commit:
 * bigger batches (1,024 items in flight, claimed and completed per transaction) mean fewer
 * commits per item. PostgreSQL keeps 256 / 256 / 512: many nodes share its runs, and each
 * node's heartbeat extends every lease it holds.
 */
export function defaultEngineOptions(dialect: 'sqlite' | 'postgres'): EngineOptions {
  return dialect === 'sqlite' ? { ...DEFAULT_ENGINE_OPTIONS, capacity: 1024, claimBatch: 1024, flushBatch: 1024 } : DEFAULT_ENGINE_OPTIONS;
}
