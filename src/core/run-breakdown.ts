/**
 * Where a run's wall time went (issue 13, "a timeline that explains every wait"): a pure
 * function of the run's events that splits `total_ms = (finished_at ?? now) − created_at` into
 * parts that add up to it exactly (integer ms, no rounding):
 *
 * - `queued_ms` — the run was `queued` (or `claimed`): accepted, waiting for a node, a not-before
 *   time, credits, or a resume of a run paused before it started.
 * - `running_ms` — the run was `running` and some item was executing, or about to be claimed
 *   (between steps, waiting for a free slot).
 * - `backing_off_ms` — the run was `running`, no item was executing, and at least one item was
 *   waiting for its retry backoff (`next_attempt_at` in the future): the waiting reason
 *   `backing_off` of core/waiting.ts, measured. A backoff ends at the item's next start or at its
 *   `next_attempt_at`, whichever comes first.
 * - `waiting_for_input_ms` — the run was `waiting_for_input`: a person had to answer.
 * - `paused_ms` — the run was `paused` (by a person or its credit budget).
 * - `idle_ms` — the run had finished and sat finished until retry-failed reopened it (0 unless
 *   the run was reopened).
 *
 * The run's status follows its `run.*` events (`run.queued`, `run.started`, `run.running`,
 * `run.waiting_for_input`, `run.paused`, `run.resumed {to}`, `run.retry_failed {reopened}`,
 * `run.succeeded|partial|failed|canceled`); which items execute or back off follows its item
 * events (`item.started` opens an attempt; `item.succeeded|failed|retrying|released|
 * lease_expired|waiting` closes it, and a `next_attempt_at` in its data after its time starts a
 * backoff). Event times outside `[created_at, end]` or out of order are clamped onto a cursor
 * that never moves back, so the parts always add up to the total.
 */

/** One event as the breakdown reads it (a stored event, in `seq` order). */
export interface BreakdownEvent {
  type: string;
  /** Epoch ms. */
  at: number;
  item_id: string | null;
  data: Record<string, unknown>;
}

/** A run's wall time split by what it was doing, ms; the parts add up to `total_ms`. */
export interface RunBreakdown {
  queued_ms: number;
  running_ms: number;
  waiting_for_input_ms: number;
  paused_ms: number;
  backing_off_ms: number;
  idle_ms: number;
  /** `(finished_at ?? now) − created_at`, ms (0 when negative). */
  total_ms: number;
}

type Part = Exclude<keyof RunBreakdown, 'total_ms'>;
type Phase = 'queued' | 'running' | 'waiting_for_input' | 'paused' | 'finished';

const ITEM_ENDS: ReadonlySet<string> = new Set(['item.succeeded', 'item.failed', 'item.retrying', 'item.released', 'item.lease_expired', 'item.waiting']);
const RUN_ENDS: ReadonlySet<string> = new Set(['run.succeeded', 'run.partial', 'run.failed', 'run.canceled']);

function phaseOfStatus(s: unknown, prev: Phase): Phase {
  if (s === 'queued' || s === 'claimed') return 'queued';
  if (s === 'running' || s === 'waiting_for_input' || s === 'paused') return s;
  if (s === 'succeeded' || s === 'partial' || s === 'failed' || s === 'canceled') return 'finished';
  return prev;
}

/**
 * Splits a run's wall time by what it was doing (see the module comment for each part).
 * @param run `created_at` and `finished_at` (epoch ms; null while the run is not finished)
 * @param events the run's events in `seq` order (run-level and item-level)
 * @param now epoch ms: the end of an unfinished run
 */
export function runBreakdown(run: { created_at: number; finished_at: number | null }, events: readonly BreakdownEvent[], now: number): RunBreakdown {
  const start = run.created_at;
  const end = Math.max(start, run.finished_at ?? now);
  const out: RunBreakdown = { queued_ms: 0, running_ms: 0, waiting_for_input_ms: 0, paused_ms: 0, backing_off_ms: 0, idle_ms: 0, total_ms: end - start };
  let phase: Phase = 'queued';
  const executing = new Set<string>();
  /** item id → when its backoff ends (its `next_attempt_at`). */
  const backoff = new Map<string, number>();
  let cursor = start;

  const part = (): Part => {
    switch (phase) {
      case 'queued':
        return 'queued_ms';
      case 'waiting_for_input':
        return 'waiting_for_input_ms';
      case 'paused':
        return 'paused_ms';
      case 'finished':
        return 'idle_ms';
      case 'running':
        return executing.size === 0 && backoff.size > 0 ? 'backing_off_ms' : 'running_ms';
    }
  };
  /** Counts the time from the cursor to `at` (clamped to [cursor, end]) in the current part. */
  const advanceTo = (at: number) => {
    const to = Math.min(end, Math.max(cursor, at));
    out[part()] += to - cursor;
    cursor = to;
  };
  /** Ends the backoffs due by `at`, earliest first, counting the time between them. */
  const expireBackoffs = (at: number) => {
    for (;;) {
      let first: [string, number] | undefined;
      for (const b of backoff) if (b[1] <= at && (!first || b[1] < first[1])) first = b;
      if (!first) return;
      advanceTo(first[1]);
      backoff.delete(first[0]);
    }
  };

  for (const e of events) {
    expireBackoffs(e.at);
    advanceTo(e.at);
    const id = e.item_id;
    if (e.type === 'item.started' && id !== null) {
      executing.add(id);
      backoff.delete(id);
    } else if (ITEM_ENDS.has(e.type) && id !== null) {
      executing.delete(id);
      const due = e.data.next_attempt_at;
      if (typeof due === 'number' && due > e.at) backoff.set(id, due);
    } else if (e.type === 'run.queued') {
      phase = 'queued';
    } else if (e.type === 'run.started' || e.type === 'run.running') {
      phase = 'running';
    } else if (e.type === 'run.waiting_for_input') {
      phase = 'waiting_for_input';
    } else if (e.type === 'run.paused') {
      phase = 'paused';
    } else if (e.type === 'run.resumed') {
      phase = phaseOfStatus(e.data.to, phase);
    } else if (e.type === 'run.retry_failed') {
      const woke = phase === 'waiting_for_input' && typeof e.data.items === 'number' && e.data.items > 0;
      if (e.data.reopened === true || woke) phase = 'running';
    } else if (RUN_ENDS.has(e.type)) {
      phase = 'finished';
      executing.clear();
      backoff.clear();
    }
  }
  expireBackoffs(end);
  advanceTo(end);
  return out;
}
