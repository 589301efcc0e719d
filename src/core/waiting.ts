/**
 * Waiting reasons: for a non-terminal run, why it is not making progress right now — the answer
 * to "queued for a long time". Pure: `(run, facts, now) → WaitingReason | null`; `null` means
 * the run is progressing (items are executing or about to be claimed).
 */
import type { RunRecord } from './model.js';
import { isTerminalRun } from './status.js';

export const WaitingCode = {
  /** A person paused the run. */
  paused: 'paused',
  /** The run's credit budget was reached; it was paused (credits issue). */
  budget_reached: 'budget_reached',
  /** No executor node has heartbeated recently. */
  no_node_alive: 'no_node_alive',
  /** Every live node's slots are taken by other work. */
  nodes_at_capacity: 'nodes_at_capacity',
  /** Every remaining item is waiting for its retry backoff. */
  backing_off: 'backing_off',
  /** An item needs a person's input. */
  waiting_for_input: 'waiting_for_input',
  /** The run has a not-before time in the future. */
  scheduled: 'scheduled',
  /** The workspace balance does not cover the run's reservation (credits issue). */
  insufficient_credits: 'insufficient_credits',
  /** The run's AI worker is paused: the run stays queued until the worker is resumed. */
  worker_paused: 'worker_paused',
} as const;
export type WaitingCode = (typeof WaitingCode)[keyof typeof WaitingCode];

/** A computed explanation; `until` (epoch ms) when the wait has a known end. */
export interface WaitingReason {
  code: WaitingCode;
  message: string;
  until?: number;
}

/** What the engine knows about the world when it explains a run. */
export interface WaitingFacts {
  /** Nodes with a recent heartbeat and not stopped. */
  nodesAlive: number;
  /** Free executor slots over the live nodes (capacity − items they hold). */
  freeSlots: number;
  /** Earliest `next_attempt_at` of the run's claimable (pending or retrying) items; null if none. */
  earliestDueAt: number | null;
  /** The run's not-before time, if any. */
  scheduledFor?: number | null;
  /** µ the workspace has available, and µ this run must reserve to start. */
  availableCredits?: number;
  requiredCredits?: number;
  /** The run's first waiting item (ordinal order) and its prompt, when some item waits for an answer. */
  waitingItem?: { id: string; key: string; prompt: string } | null;
}

function at(ms: number): string {
  return new Date(ms).toISOString();
}

/** Explains why `run` is waiting, or returns null when it is progressing or finished. */
export function waitingReason(run: RunRecord, facts: WaitingFacts, now: number): WaitingReason | null {
  if (isTerminalRun(run.status)) return null;
  if (run.status === 'paused') {
    return run.paused_reason === 'budget'
      ? { code: 'budget_reached', message: 'paused: the run reached its credit budget; raise the budget and resume it' }
      : { code: 'paused', message: 'paused by a person: no new items are claimed until it is resumed' };
  }
  if (run.status === 'waiting_for_input') {
    const w = facts.waitingItem;
    const more = run.items_waiting > 1 ? ` (and ${run.items_waiting - 1} more)` : '';
    return {
      code: 'waiting_for_input',
      message: w ? `item ${w.id} (${w.key}) waits for an answer${more}: ${w.prompt}` : 'an item is waiting for a person to answer',
    };
  }
  if (run.status === 'queued' && run.held_by) {
    const worker = run.held_by.startsWith('worker:') ? run.held_by.slice('worker:'.length) : run.held_by;
    return { code: 'worker_paused', message: `worker ${worker} is paused: the run stays queued until the worker is resumed` };
  }
  if (run.status === 'queued' && facts.scheduledFor != null && facts.scheduledFor > now) {
    return { code: 'scheduled', message: `scheduled to start at ${at(facts.scheduledFor)}`, until: facts.scheduledFor };
  }
  if (run.status === 'queued' && (facts.requiredCredits ?? 0) > (facts.availableCredits ?? Infinity)) {
    return {
      code: 'insufficient_credits',
      message: `the run needs ${facts.requiredCredits} µ reserved to start and the workspace has ${facts.availableCredits} µ available: grant credits and it starts`,
    };
  }
  const hasWork = run.status === 'queued' || run.status === 'claimed' || run.items_pending > 0;
  if (!hasWork) return null;
  if (facts.nodesAlive === 0) return { code: 'no_node_alive', message: 'no executor node is running: start one with `runyard up` or `runyard worker`' };
  if (run.status === 'running' && facts.earliestDueAt !== null && facts.earliestDueAt > now && run.items_running === 0) {
    return {
      code: 'backing_off',
      message: `every remaining item is waiting for its retry backoff, the first until ${at(facts.earliestDueAt)}`,
      until: facts.earliestDueAt,
    };
  }
  if (facts.freeSlots <= 0 && run.items_running === 0) {
    return { code: 'nodes_at_capacity', message: `all ${facts.nodesAlive} live node(s) are at capacity with other work` };
  }
  return null;
}
