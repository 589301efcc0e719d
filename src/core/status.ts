/**
 * Run and item statuses as data, with the one transition table of DESIGN.md §2.
 *
 * Every status change in Runyard goes through {@link transitionRun} or {@link transitionItem};
 * an illegal change is an {@link IllegalTransitionError}, never a silent overwrite.
 */
import { IllegalTransitionError } from './errors.js';

/** Run statuses. Each value's comment says what it means and what moves it on. */
export const RunStatus = {
  /** Accepted and durable; waiting for a node to claim it (or for its not-before time). */
  queued: 'queued',
  /** A node picked it up and is preparing its items. Moves to `running`. */
  claimed: 'claimed',
  /** Items are being executed (leased, or waiting for a backoff). */
  running: 'running',
  /**
   * Items wait for an answer and nothing else is pending or leased. An answer (or an appended
   * item) moves it back to `running`; when the answer leaves nothing to do, it finishes.
   */
  waiting_for_input: 'waiting_for_input',
  /** A person paused it: no new item is claimed; in-flight items finish. */
  paused: 'paused',
  /** Terminal: every item succeeded or was skipped (or there were no items). */
  succeeded: 'succeeded',
  /** Terminal: some items succeeded and some failed. */
  partial: 'partial',
  /** Terminal: nothing usable was produced, or a run-level error. */
  failed: 'failed',
  /** Terminal: stopped by a person before it finished. */
  canceled: 'canceled',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];
export const RUN_STATUSES = Object.values(RunStatus) as readonly RunStatus[];

/** Item statuses. */
export const ItemStatus = {
  /** Waiting to be claimed. */
  pending: 'pending',
  /** Leased by a node; its producer is executing. */
  running: 'running',
  /** The last attempt failed with a retryable error; waiting for `next_attempt_at`. */
  retrying: 'retrying',
  /**
   * Its attempt ended asking for an answer (a producer's `wait`): no lease, no executor slot.
   * `respondToItem` settles it as `succeeded` with the answer as its outputs.
   */
  waiting_for_input: 'waiting_for_input',
  /** Terminal: the producer returned a result. */
  succeeded: 'succeeded',
  /** Terminal: a permanent error, or every attempt used. `retry-failed` may reopen it. */
  failed: 'failed',
  /** Terminal: deliberately not executed (smoke test, condition). */
  skipped: 'skipped',
  /** Terminal: the run was canceled before the item finished. */
  canceled: 'canceled',
} as const;
export type ItemStatus = (typeof ItemStatus)[keyof typeof ItemStatus];
export const ITEM_STATUSES = Object.values(ItemStatus) as readonly ItemStatus[];

/**
 * Allowed run transitions (DESIGN.md §2). `succeeded` and `canceled` have none. `partial` and
 * `failed` have exactly one: `running`, taken only by retry-failed, which reopens the run to
 * re-execute its failed items (seed 004: "only failed items re-execute"); nothing else moves a
 * terminal run, and `isTerminalRun` stays true for them.
 */
export const RUN_TRANSITIONS = {
  queued: ['claimed', 'running', 'paused', 'canceled', 'failed'],
  claimed: ['running', 'queued', 'paused', 'canceled', 'failed', 'succeeded'],
  running: ['waiting_for_input', 'paused', 'succeeded', 'partial', 'failed', 'canceled'],
  waiting_for_input: ['running', 'paused', 'canceled', 'failed', 'succeeded', 'partial'],
  paused: ['queued', 'running', 'waiting_for_input', 'canceled', 'succeeded', 'partial', 'failed'],
  succeeded: [],
  partial: ['running'],
  failed: ['running'],
  canceled: [],
} as const satisfies Record<RunStatus, readonly RunStatus[]>;

/**
 * Allowed item transitions. `failed → pending` is the retry-failed path (the only way out of a
 * terminal item status; it keeps `attempt_count`). `running → pending` is a released or
 * recovered lease.
 */
export const ITEM_TRANSITIONS = {
  pending: ['running', 'skipped', 'canceled'],
  running: ['succeeded', 'failed', 'retrying', 'waiting_for_input', 'pending', 'canceled'],
  retrying: ['running', 'canceled', 'pending'],
  waiting_for_input: ['running', 'succeeded', 'failed', 'canceled'],
  succeeded: [],
  failed: ['pending'],
  skipped: [],
  canceled: [],
} as const satisfies Record<ItemStatus, readonly ItemStatus[]>;

const TERMINAL_RUN: ReadonlySet<RunStatus> = new Set(['succeeded', 'partial', 'failed', 'canceled']);
const TERMINAL_ITEM: ReadonlySet<ItemStatus> = new Set(['succeeded', 'failed', 'skipped', 'canceled']);

/** True for `succeeded`, `partial`, `failed`, `canceled`: the run never changes status again. */
export function isTerminalRun(status: RunStatus): boolean {
  return TERMINAL_RUN.has(status);
}

/** True for `succeeded`, `failed`, `skipped`, `canceled`. */
export function isTerminalItem(status: ItemStatus): boolean {
  return TERMINAL_ITEM.has(status);
}

/** May a person pause a run in this status? */
export function canPause(status: RunStatus): boolean {
  return canTransitionRun(status, 'paused');
}

/** May a person cancel a run in this status? */
export function canCancel(status: RunStatus): boolean {
  return canTransitionRun(status, 'canceled');
}

/** May retry-failed reopen or feed a run in this status? (`partial`/`failed` reopen; active runs take the items back.) */
export function canRetryFailed(status: RunStatus): boolean {
  return status === 'partial' || status === 'failed' || status === 'running' || status === 'waiting_for_input' || status === 'paused';
}

/**
 * Item statuses a node may lease (a `retrying` item once its `next_attempt_at` is due). The
 * store's partial index `items_claimable` repeats this list.
 */
export const CLAIMABLE_ITEM_STATUSES = ['pending', 'retrying'] as const satisfies readonly ItemStatus[];

/**
 * Item statuses in flight: held by a producer (`running`) or parked on a person
 * (`waiting_for_input`). Cancel aborts them; they count in `items_running` and `items_waiting`.
 */
export const IN_FLIGHT_ITEM_STATUSES = ['running', 'waiting_for_input'] as const satisfies readonly ItemStatus[];

/** May a node lease an item in this status (when it is due)? */
export function isClaimableItem(status: ItemStatus): boolean {
  return (CLAIMABLE_ITEM_STATUSES as readonly ItemStatus[]).includes(status);
}

/** May a node claim items of a run in this status? */
export function isClaimableRun(status: RunStatus): boolean {
  return status === 'running';
}

/** Is `from → to` in {@link RUN_TRANSITIONS}? */
export function canTransitionRun(from: RunStatus, to: RunStatus): boolean {
  return (RUN_TRANSITIONS[from] as readonly RunStatus[]).includes(to);
}

/** Is `from → to` in {@link ITEM_TRANSITIONS}? */
export function canTransitionItem(from: ItemStatus, to: ItemStatus): boolean {
  return (ITEM_TRANSITIONS[from] as readonly ItemStatus[]).includes(to);
}

/**
 * The one place a run status changes.
 * @returns `to`
 * @throws IllegalTransitionError (`illegal_transition`) when `from → to` is not allowed.
 */
export function transitionRun(id: string, from: RunStatus, to: RunStatus): RunStatus {
  if (!canTransitionRun(from, to)) throw new IllegalTransitionError('run', id, from, to);
  return to;
}

/**
 * The one place an item status changes.
 * @throws IllegalTransitionError (`illegal_transition`) when `from → to` is not allowed.
 */
export function transitionItem(id: string, from: ItemStatus, to: ItemStatus): ItemStatus {
  if (!canTransitionItem(from, to)) throw new IllegalTransitionError('item', id, from, to);
  return to;
}

/** Input aliases accepted for users of the reference products (DESIGN.md §2). */
const RUN_STATUS_ALIASES: ReadonlyMap<string, RunStatus> = new Map([
  ['completed', 'succeeded'],
  ['cancelled', 'canceled'],
  ['pending', 'queued'],
]);

/** Parses a run status or one of its aliases; `undefined` when unknown. */
export function parseRunStatus(value: string): RunStatus | undefined {
  const v = value.trim().toLowerCase();
  if ((RUN_STATUSES as readonly string[]).includes(v)) return v as RunStatus;
  return RUN_STATUS_ALIASES.get(v);
}

/** Parses an item status (`cancelled` accepted); `undefined` when unknown. */
export function parseItemStatus(value: string): ItemStatus | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'cancelled') return 'canceled';
  if ((ITEM_STATUSES as readonly string[]).includes(v)) return v as ItemStatus;
  return undefined;
}

/** Exhaustiveness guard for switches over unions. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
