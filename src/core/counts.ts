/**
 * Run item counts, derived from item transitions, and the run outcome rule.
 *
 * Buckets: `items_pending` holds `pending` and `retrying` items; `items_running` holds `running`
 * and `waiting_for_input` items; the terminal statuses have one bucket each. So
 * `items_total = succeeded + failed + pending + running + skipped + canceled` always.
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
    case 'waiting_for_input':
      return 'items_running';
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
  return { items_total: 0, items_succeeded: 0, items_failed: 0, items_pending: 0, items_running: 0, items_skipped: 0, items_canceled: 0 };
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

/** True when no item can still make progress. */
export function allItemsTerminal(c: RunCounts): boolean {
  return c.items_pending === 0 && c.items_running === 0;
}

/**
 * The one "nothing left, finish" rule: a `running` run none of whose items can still make
 * progress moves to its outcome ({@link runOutcome}). A paused run waits for its resume.
 */
export function readyToFinish(run: RunCounts & { status: RunStatus }): boolean {
  return run.status === 'running' && allItemsTerminal(run);
}

/** Do the buckets add up to `items_total`? */
export function countsConsistent(c: RunCounts): boolean {
  const sum = c.items_succeeded + c.items_failed + c.items_pending + c.items_running + c.items_skipped + c.items_canceled;
  const buckets = [c.items_succeeded, c.items_failed, c.items_pending, c.items_running, c.items_skipped, c.items_canceled];
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
