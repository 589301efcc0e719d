/**
 * Engine timing and sizing. Defaults are chosen so that an item orphaned by a killed node is
 * running again within 15 s (lease 10 s + sweep 1 s + poll), against BullMQ's 60 s, pg-boss's
 * 15 min and graphile-worker's 4 h defaults (reliability.md §1).
 */
export interface EngineOptions {
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
   * concurrency). @default 1024: a `large` run's batch of 1,024 outcomes and leases is one commit
   */
  capacity: number;
  /** Most items leased in one claim transaction. @default 1024 */
  claimBatch: number;
  /** Most completions written in one transaction. @default 1024 */
  flushBatch: number;
  /** Grace period of a graceful stop before in-flight items are released, ms. @default 10000 */
  shutdownGraceMs: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  leaseMs: 10_000,
  heartbeatMs: 3_000,
  sweepMs: 1_000,
  pollMs: 250,
  capacity: 1024,
  claimBatch: 1024,
  flushBatch: 1024,
  shutdownGraceMs: 10_000,
};
