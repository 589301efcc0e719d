/**
 * Run item counts, derived from item transitions, the run outcome rule and the one rule that
 * decides an active run's status from its counts ({@link settleRun}).
 *
 * Buckets: `items_pending` holds `pending` and `retrying` items; `items_running` holds leased
 * (`running`) items only; `items_waiting` holds `waiting_for_input` items (no lease, no executor
 * slot, not counted against the run's concurrency); the terminal statuses have one bucket each.
 * So `items_total = succeeded + failed + pending + running + waiting + skipped + canceled` always.
 */
import type { ItemStatus, RunStatus } from './status.js';
import { assertNever } from './status.js';

/** The count fields of a run. */
export interface RunCounts {
  items_total: number;
  items_succeeded: number;
  items_failed: number;
  items_pending: number;
  items_running: number;
  /** Items waiting for an answer (`waiting_for_input`). */
  items_waiting: number;
  items_skipped: number;
  items_canceled: number;
}

export type CountField = Exclude<keyof RunCounts, 'items_total'>;

/** The count bucket an item status belongs to. */
export function countField(status: ItemStatus): CountField {
  switch (status) {
    case 'pending':
    case 'retrying':
      return 'items_pending';
    case 'running':
      return 'items_running';
    case 'waiting_for_input':
      return 'items_waiting';
    case 'succeeded':
      return 'items_succeeded';
    case 'failed':
      return 'items_failed';
    case 'skipped':
      return 'items_skipped';
    case 'canceled':
      return 'items_canceled';
    default:
      return assertNever(status);
  }
}

/** Zeroed counts. */
export function emptyCounts(): RunCounts {
  return { items_total: 0, items_succeeded: 0, items_failed: 0, items_pending: 0, items_running: 0, items_waiting: 0, items_skipped: 0, items_canceled: 0 };
}

/** Per-field deltas produced by a batch of item transitions. */
export type CountDelta = Partial<Record<CountField, number>>;

/** Adds the delta of one `from → to` item transition to `delta` (mutates and returns it). */
export function addTransitionDelta(delta: CountDelta, from: ItemStatus, to: ItemStatus): CountDelta {
  const a = countField(from);
  const b = countField(to);
  if (a === b) return delta;
  delta[a] = (delta[a] ?? 0) - 1;
  delta[b] = (delta[b] ?? 0) + 1;
  return delta;
}

/** Applies a delta to counts (pure). */
export function applyDelta(counts: RunCounts, delta: CountDelta): RunCounts {
  const next = { ...counts };
  for (const [k, v] of Object.entries(delta) as [CountField, number][]) next[k] += v;
  return next;
}

/** True when every item is terminal (none pending, leased or waiting). */
export function allItemsTerminal(c: RunCounts): boolean {
  return c.items_pending === 0 && c.items_running === 0 && c.items_waiting === 0;
}

/**
 * What an active run's counts say its status must be, after any change to them:
 * - `finish`: every item is terminal → its outcome ({@link runOutcome});
 * - `wait`: nothing pending or leased, and some item waits for an answer → `waiting_for_input`;
 * - `run`: some item is pending or leased → `running`.
 */
export type RunSettlement = 'finish' | 'wait' | 'run';

/** The one rule deciding an active run's status from its counts (see {@link RunSettlement}). */
export function settleRun(c: RunCounts): RunSettlement {
  if (c.items_pending > 0 || c.items_running > 0) return 'run';
  return c.items_waiting > 0 ? 'wait' : 'finish';
}

/** The status {@link settleRun} moves a run to, other than finishing it. */
export function activeStatusOf(s: Exclude<RunSettlement, 'finish'>): Extract<RunStatus, 'running' | 'waiting_for_input'> {
  switch (s) {
    case 'run':
      return 'running';
    case 'wait':
      return 'waiting_for_input';
    default:
      return assertNever(s);
  }
}

/** Is the run in a status whose items decide it (`running` or `waiting_for_input`)? A paused run waits for its resume. */
export function isSettledByItems(status: RunStatus): boolean {
  return status === 'running' || status === 'waiting_for_input';
}

/**
 * The one "nothing left, finish" rule: a run settled by its items ({@link isSettledByItems})
 * none of whose items can still make progress moves to its outcome ({@link runOutcome}).
 */
export function readyToFinish(run: RunCounts & { status: RunStatus }): boolean {
  return isSettledByItems(run.status) && settleRun(run) === 'finish';
}

/** Do the buckets add up to `items_total`? */
export function countsConsistent(c: RunCounts): boolean {
  const buckets = [c.items_succeeded, c.items_failed, c.items_pending, c.items_running, c.items_waiting, c.items_skipped, c.items_canceled];
  const sum = buckets.reduce((a, b) => a + b, 0);
  return sum === c.items_total && buckets.every((v) => v >= 0);
}

/**
 * The outcome of a run whose items are all terminal (DESIGN.md §2):
 * - no items → `succeeded` (with `no_items`);
 * - some failed and some succeeded → `partial`;
 * - failed and none succeeded → `failed`;
 * - otherwise (succeeded/skipped only) → `succeeded`.
 * Canceled items only arise from a run cancel, whose status is set by the cancel itself; a
 * run that ends with canceled items and nothing succeeded is `failed`.
 */
export function runOutcome(c: RunCounts): { status: Extract<RunStatus, 'succeeded' | 'partial' | 'failed'>; noItems: boolean } {
  if (c.items_total === 0) return { status: 'succeeded', noItems: true };
  if (c.items_failed > 0 || c.items_canceled > 0) {
    return { status: c.items_succeeded > 0 ? 'partial' : 'failed', noItems: false };
  }
  if (c.items_succeeded === 0 && c.items_skipped === 0) return { status: 'failed', noItems: false };
  return { status: 'succeeded', noItems: false };
}
