/**
 * The flows part of the store port: versioned flow definitions and the waits of items that
 * ask a person (migration 0013). Times in epoch ms.
 */
import type { ItemError } from '../core/errors.js';
import type { ItemWait } from '../core/model.js';

/** One version of a flow definition. */
export interface FlowRecord {
  /** `flw_…`, the same for every version. */
  id: string;
  version: number;
  workspace_id: string;
  name: string;
  description: string | null;
  /** The validated definition (kinds/flow/definition.ts `FlowDefinition`). */
  definition: Record<string, unknown>;
  /** The YAML or JSON as given. */
  source: string;
  created_at: number;
}

/** What a new flow or version is made of. */
export interface NewFlowVersion {
  name: string;
  description: string | null;
  definition: Record<string, unknown>;
  source: string;
}

/** Status of a wait: `open` until answered, expired (`on_timeout` applied) or canceled with its run. */
export type WaitStatus = 'open' | 'answered' | 'expired' | 'canceled';

/** A wait: the question of a waiting item and its lifecycle. */
export interface WaitRecord {
  id: string;
  workspace_id: string;
  run_id: string;
  item_id: string;
  /** The item's key (a flow's step id). */
  step_key: string;
  /** The run's phase when the wait opened. */
  phase: string | null;
  title: string | null;
  prompt: string;
  form: Record<string, unknown> | null;
  decisions: NonNullable<ItemWait['decisions']>;
  default: ItemWait['default'] | null;
  /** Who may answer (role names or token names); empty: anyone with the operator role. */
  assignees: string[];
  /** For a flow `wait` step on an event: its name and CEL `match` over `event`; null for a person's wait. */
  event: { name: string; match?: string } | null;
  status: WaitStatus;
  on_timeout: 'fail' | 'cancel' | 'continue';
  expires_at: number;
  /** The recorded answer (`{values, decision, comment}`), once answered or continued by default. */
  response: Record<string, unknown> | null;
  responded_by: string | null;
  idempotency_key: string | null;
  /** Why it closed, when not by an answer (`expired: on_timeout=fail`, `run canceled`). */
  reason: string | null;
  created_at: number;
  closed_at: number | null;
  run_status: string;
  run_name: string;
}

/** Who answered a wait, and how (`Store.respondToItem`'s `meta`). */
export interface AnswerMeta {
  /** The token or user name that answered; `system:reaper` for an expiry. */
  actor?: string | null;
  idempotency_key?: string | null;
  /** The status the item's wait takes. @default 'answered' */
  wait_status?: 'answered' | 'expired';
  /** Why (an expiry's `on_timeout`). */
  reason?: string | null;
  /** Settle the item `failed` with this error instead of `succeeded` (an expiry with `on_timeout: fail`). */
  fail?: ItemError;
}

export interface FlowStore {
  /** Creates a flow at version 1 with a new `flw_…` id. */
  createFlow(ws: string, v: NewFlowVersion, now: number): Promise<FlowRecord>;
  /**
   * Adds the next version of a flow. @throws NotFoundError for an unknown flow
   */
  addVersion(ws: string, id: string, v: NewFlowVersion, now: number): Promise<FlowRecord>;
  /** A version of a flow (default the newest), or undefined. */
  getFlow(ws: string, id: string, version?: number): Promise<FlowRecord | undefined>;
  /** The newest version of every flow, by name. */
  listFlows(ws: string): Promise<FlowRecord[]>;
  /** A wait by id, or undefined. */
  getWait(ws: string, id: string): Promise<WaitRecord | undefined>;
  /** A wait by its item's id, or undefined. */
  waitOfItem(ws: string, itemId: string): Promise<WaitRecord | undefined>;
  /** Waits, oldest first, optionally by status and run (at most `limit`, default 500). */
  listWaits(ws: string, filter: { status?: WaitStatus; run_id?: string; limit?: number }): Promise<WaitRecord[]>;
  /** Open waits past `expires_at` in every workspace, oldest expiry first (the reaper's work). */
  dueWaits(now: number, limit: number): Promise<WaitRecord[]>;
  /** Marks an open wait closed without an answer (`canceled`, or `expired` after a cancel). */
  closeWait(id: string, status: 'expired' | 'canceled', reason: string, now: number): Promise<void>;
}
