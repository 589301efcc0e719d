/**
 * Record shapes shared by the store, the engine and the API (DESIGN.md §3), in storage units:
 * times are epoch milliseconds, credits are integer micro-credits. The API layer turns times
 * into ISO-8601 strings.
 */
import type { RunCounts } from './counts.js';
import type { ItemError } from './errors.js';
import type { Usage } from './producer.js';
import type { ItemStatus, RunStatus } from './status.js';

export const RunKind = {
  column: 'column',
  flow: 'flow',
  worker: 'worker',
  ingestion: 'ingestion',
  /** A test kind (src/kinds/chain), registered only with `RUNYARD_TEST_KINDS=1`. */
  chain: 'chain',
} as const;
export type RunKind = (typeof RunKind)[keyof typeof RunKind];

/** Kind names accepted on input for users of the reference products (DESIGN.md §1). */
export const RUN_KIND_ALIASES: Readonly<Record<string, RunKind>> = { workflow: 'flow' };

export const RunMode = { live: 'live', dry_run: 'dry_run', smoke_test: 'smoke_test' } as const;
export type RunMode = (typeof RunMode)[keyof typeof RunMode];

export const TriggerType = {
  manual: 'manual',
  api: 'api',
  rule: 'rule',
  schedule: 'schedule',
  webhook: 'webhook',
  event: 'event',
  chat: 'chat',
} as const;
export type TriggerType = (typeof TriggerType)[keyof typeof TriggerType];

export interface RunTrigger {
  type: TriggerType;
  source_id: string | null;
  actor: string | null;
}

/** The error box of a run. */
export interface RunError {
  code: string;
  message: string;
  item_id: string | null;
}

/**
 * What a run executes, frozen at creation so that edits to the target never change a run in
 * flight (the run is pinned to `target_version`).
 */
export interface RunSpec {
  producer: string;
  /** Producer config with templates unrendered. */
  config: Record<string, unknown>;
  /**
   * Where results land (core/sink.ts `sinkSpec`): `table_id` + `column_id` for a cells sink,
   * `table_id` + `row_key` (the output field that keys a row) for a rows sink.
   */
  table_id?: string;
  column_id?: string;
  row_key?: string;
  /** A rows sink writing many rows per item: the output field holding the array of records (core/sink.ts). */
  row_list?: string;
  /** A comments sink (core/sink.ts): the output slot key (target and slot) and its policy. */
  comment_slot?: string;
  comment_policy?: 'replace' | 'once' | 'append';
  concurrency: number;
  item_timeout_ms: number;
  max_attempts: number;
  retry_base_delay_ms: number;
  retry_max_delay_ms: number;
}

export interface RunRecord extends RunCounts {
  id: string;
  workspace_id: string;
  kind: RunKind;
  target_id: string;
  target_version: number;
  name: string;
  status: RunStatus;
  phase: string | null;
  /** What the run acts on (a linked record, free JSON), or null. */
  subject: unknown;
  /** What the run produced, as its kind reports it (`FollowUp.result.output`), or null. */
  output: unknown;
  mode: RunMode;
  trigger: RunTrigger;
  profile: string;
  prompt: string | null;
  session_id: string | null;
  credits_reserved: number;
  credits_used: number;
  result_summary: string | null;
  error: RunError | null;
  retry_of: string | null;
  idempotency_key: string | null;
  tags: string[];
  spec: RunSpec;
  /** Pinned runs are kept by retention. */
  pinned: boolean;
  /** Per-run env overrides (non-secret values, shown by the API). */
  overrides_env: Record<string, string> | null;
  /** Names of the per-run secrets; their values are stored encrypted and never returned. */
  secret_names: string[];
  /** Why a paused run is paused: `user` or `budget`. */
  paused_reason: string | null;
  /** Budget: the most this run may reserve, µ; null for none. */
  credit_cap: number | null;
  /** µ reserved per item: the most one item can cost (core/credits.ts `itemCostBound`). */
  item_cost_bound: number;
  /** µ released back to the workspace so far; at the end reserved = used + released. */
  credits_released: number;
  /**
   * The workspace's price version when the run was created: its item bound and every capture,
   * on any node, use that version's prices. null: no prices were set (the run is free).
   */
  price_version: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
  /**
   * Why a queued run is held (not started): `worker:<id>` while its worker is paused; null or
   * absent: not held.
   */
  held_by?: string | null;
}

export interface ItemRecord {
  id: string;
  workspace_id: string;
  run_id: string;
  ordinal: number;
  /** Row id, step key or call id. */
  key: string;
  status: ItemStatus;
  attempt_count: number;
  max_attempts: number;
  /**
   * Times the item's lease was lost while its node was alive (a stall, not a crash): such an
   * attempt is given back instead of counted, up to a limit of its own (core/lease-recovery.ts).
   */
  lease_lost_count: number;
  next_attempt_at: number | null;
  inputs: Record<string, unknown> | null;
  outputs: Record<string, unknown> | null;
  error: ItemError | null;
  provider: string | null;
  usage: Usage | null;
  credits_used: number;
  started_at: number | null;
  finished_at: number | null;
  duration_ms: number | null;
  /** The producer that executes this item; null: the run's `spec.producer`. */
  producer: string | null;
  /** The most this item may cost, µ; null: the run's `item_cost_bound`. */
  cost_bound: number | null;
  /**
   * The question of an item that waited for an answer (kept once answered), or null.
   * Optional: writers that never make an item wait may leave it out.
   */
  waiting?: ItemWait | null;
}

/** What a waiting item asks: a prompt for a person and an optional form (free JSON, e.g. a JSON Schema). */
export interface ItemWait {
  prompt: string;
  form: Record<string, unknown> | null;
  /** A short title for the inbox. @default none */
  title?: string;
  /** Named choices (`approve`, `reject`, …), each optionally naming the flow step that follows. */
  decisions?: { id: string; label?: string; next?: string }[];
  /** How long the wait stays open, ms from when it opens. @default 72 h ({@link DEFAULT_WAIT_MS}) */
  expires_in_ms?: number;
  /** What expiry does: fail the item, cancel the run, or continue with `default`. @default 'fail' */
  on_timeout?: 'fail' | 'cancel' | 'continue';
  /** The answer applied by `on_timeout: continue`: `{values, decision}`. */
  default?: { values?: Record<string, unknown>; decision?: string };
  /**
   * Who may answer: role names (that role or a higher one) or API token names. Empty or
   * absent: anyone with the operator role.
   */
  assignees?: string[];
  /** A flow `wait` step on an event: the first matching `POST /v1/events` answers it (`{event, by}`). */
  event?: { name: string; match?: string };
}

/** How long a wait stays open unless it says otherwise, ms (72 h). */
export const DEFAULT_WAIT_MS = 72 * 3600 * 1000;

export interface EventRecord {
  id: string;
  workspace_id: string;
  run_id: string;
  item_id: string | null;
  /** `run.queued`, `run.started`, `item.started`, `item.succeeded`, … */
  type: string;
  data: Record<string, unknown>;
  created_at: number;
}

export interface TableRecord {
  id: string;
  workspace_id: string;
  name: string;
  /** Field names in header order. */
  fields: string[];
  row_count: number;
  created_at: number;
  /** The field that labels the table's rows (core/row-label.ts); null: the first non-empty text field. */
  label_column: string | null;
}

export interface RowRecord {
  id: string;
  table_id: string;
  ordinal: number;
  data: Record<string, unknown>;
}

export interface ColumnRecord {
  id: string;
  workspace_id: string;
  table_id: string;
  name: string;
  producer: string;
  config: Record<string, unknown>;
  profile: string;
  /** Grows on every change of the definition; runs pin the version they started with. */
  version: number;
  created_at: number;
  updated_at: number;
}

export interface CellRecord {
  table_id: string;
  row_id: string;
  column_id: string;
  status: ItemStatus;
  value: unknown;
  error: ItemError | null;
  run_id: string;
  item_id: string;
  attempt: number;
  updated_at: number;
}
