/**
 * The store port: one repository interface in engine terms (STYLE.md §5). Adapters: SQLite
 * (embedded default, `./sqlite/`) and PostgreSQL (scale-out, `./postgres/`). No driver or ORM
 * type crosses it.
 *
 * Units: every time is epoch milliseconds and is passed in by the caller (`now`), so both
 * databases agree and tests can move a fake clock. Every method that reads or writes tenant
 * data takes the workspace id and never touches another workspace's rows.
 */
import type { CountDelta } from '../core/counts.js';
import type { Balance, LedgerKind, PriceSource, PriceTable, PriceVersion } from '../core/credits.js';
import type { ItemError } from '../core/errors.js';
import type { FollowUp, ItemView, PlannedItem } from '../core/kind.js';
import type { AnswerMeta, FlowStore } from './flows-port.js';
import type { Usage } from '../core/producer.js';
import type { ItemStatus, RunStatus } from '../core/status.js';
import type { OperationAction, OperationStatus } from '../core/operation.js';
import type { AccessStore } from './access-port.js';
import type { IngestionStore } from './ingestion-port.js';
import type { CommentStore } from './comments-port.js';
import type { TriggerStore } from './trigger-port.js';
import type { WorkerStore } from './workers-port.js';
import type {
  CellRecord,
  ColumnRecord,
  EventRecord,
  ItemRecord,
  ItemWait,
  RowRecord,
  RunKind,
  RunMode,
  RunRecord,
  TableRecord,
  TriggerType,
} from '../core/model.js';

/**
 * Where a store's database is: enough for another thread of this process to open a connection
 * of its own (`openStoreAt` in store/open-location.ts).
 */
export type StoreLocation = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string };

/** A page of results and the cursor of the next page (`null` at the end). */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Filters for {@link Store.listRuns}. All optional; combined with AND. */
export interface RunFilter {
  status?: RunStatus[];
  kind?: RunKind[];
  mode?: RunMode[];
  trigger?: TriggerType[];
  target_id?: string;
  /** Case-insensitive substring of the run name (LIKE wildcards in it are literal). */
  name?: string;
  /** `created_at >= created_after` (ms). */
  created_after?: number;
  /** `created_at < created_before` (ms). */
  created_before?: number;
}

/** A new run with its items, written in one transaction by {@link Store.createRun}. */
export interface NewRun {
  run: Omit<
    RunRecord,
    | 'items_succeeded'
    | 'items_failed'
    | 'items_pending'
    | 'items_running'
    | 'items_waiting'
    | 'output'
    | 'subject'
    | 'items_skipped'
    | 'items_canceled'
    | 'updated_at'
    | 'pinned'
    | 'secret_names'
    | 'paused_reason'
    | 'credits_released'
  > & {
    /** What the run acts on (`runs.subject`); absent: null. */ subject?: unknown;
    /** What the run produced already when it starts (`runs.output`, its kind's `StartPlan.output`); absent: null. */ output?: unknown;
  };
  /**
   * Encrypted per-run secrets as stored: `{"names": [...], "box": "<ciphertext>"}` JSON, or
   * null. The store never sees secret values in clear.
   */
  sealed_secrets: string | null;
  /** `producer`: the item's own producer (absent: the run's `spec.producer`). */
  items: {
    id: string;
    key: string;
    inputs: Record<string, unknown> | null;
    status: Extract<ItemStatus, 'pending' | 'skipped'>;
    producer?: string;
    max_attempts?: number;
  }[];
  /** Hash of the creating request, compared on an idempotent replay. */
  request_hash: string | null;
}

/**
 * Starts a new run in its creation transaction on behalf of an executor in the same process
 * (`Store.createRun`), so its first items are leased without waiting for a claim round trip.
 */
export interface StartOnCreate {
  /** The local executor node that claims the run and leases its items. */
  node_id: string;
  /** Lease length, ms. */
  lease_ms: number;
  /** Most items leased (the node's free slots); the run's concurrency also bounds it. */
  limit: number;
  /** The creation's clock, ms (the `now` given to `createRun`): leases end at `now + lease_ms`. */
  now: number;
}

/** A claimed item: its lease token must accompany every later write for it. */
/** A node's demand for runs it found at their concurrency ({@link Store.signalClaimDemand}). */
export interface ClaimDemand {
  node_id: string;
  run_ids: string[];
}

/** How a claim shares runs with other nodes. */
export interface ClaimOptions {
  /** Most items this claim may lease per run id (a fair share left to nodes that want the run). */
  caps?: ReadonlyMap<string, number>;
  /**
   * Filled by the claim: running runs with items due that it skipped because they were at their
   * concurrency (what a starved node signals, {@link Store.signalClaimDemand}).
   */
  full?: Set<string>;
}

export interface ClaimedItem {
  item: ItemRecord;
  run: RunRecord;
  lease_token: string;
  lease_expires_at: number;
}

/** The outcome of one attempt, fenced by its lease token. */
export type Completion =
  | {
      kind: 'succeeded';
      item_id: string;
      lease_token: string;
      value: unknown;
      outputs: Record<string, unknown>;
      usage: Usage | null;
      provider: string | null;
      credits_used: number;
      duration_ms: number;
      /**
       * Items this outcome creates (the run's kind planned them): appended to the run in the
       * same transaction, only if the completion is accepted (its lease token is current), so
       * a run never finishes between a step's end and the next step's insert. A key already in
       * the run is skipped (a replayed append inserts nothing twice).
       */
      append?: PlannedItem[];
      /** The run's phase as the kind now plans it (`FollowUp.phase`), written with the outcome. */
      phase?: FollowUp['phase'];
      /**
       * The run's result as the kind now knows it (`FollowUp.result`): `summary` lands in
       * `runs.result_summary`, `output` in `runs.output`, with the outcome.
       */
      result?: FollowUp['result'];
      /**
       * Plans the follow-up inside the completion's transaction instead (a kind with
       * `plansWithItems`): called once the outcome is written, with the run as locked there and
       * its items; what it returns is applied like `append`/`phase`/`result`.
       */
      plan?: (run: RunRecord, items: readonly ItemView[]) => FollowUp;
    }
  | {
      kind: 'failed';
      item_id: string;
      lease_token: string;
      error: ItemError;
      duration_ms: number;
      append?: PlannedItem[];
      phase?: FollowUp['phase'];
      result?: FollowUp['result'];
      plan?: (run: RunRecord, items: readonly ItemView[]) => FollowUp;
    }
  /**
   * The attempt asks for an answer: the item becomes `waiting_for_input` with `wait` (its
   * prompt and form), its lease is dropped (it holds no executor slot and is not counted against
   * the run's concurrency) and its attempt is given back; {@link Store.respondToItem} settles it.
   */
  | { kind: 'waiting'; item_id: string; lease_token: string; wait: ItemWait; duration_ms: number }
  | { kind: 'retrying'; item_id: string; lease_token: string; error: ItemError; next_attempt_at: number; duration_ms: number }
  /** Give the item back untouched (graceful shutdown); the attempt is not counted as failed. */
  | { kind: 'released'; item_id: string; lease_token: string };

/** The sweeping node, for {@link Store.recoverExpiredLeases}. */
export interface LeaseSweep {
  /** The sweeping node's id. */
  node_id: string;
  /** The leases it holds and is still executing (or has yet to record): item id → lease token. */
  held: ReadonlyMap<string, string>;
  /**
   * Its lease length, ms: how far its own expired leases are extended, and the liveness window
   * (an owner whose node row was refreshed within it, and not stopped, is alive).
   */
  lease_ms: number;
  /**
   * The `now` (ms) of the oldest claim this node has under way, if any. Its unheld leases that
   * end at or after `claiming_since + lease_ms` may be that claim's, committed but not yet
   * known to the node (a claim slower than a lease commits them already expired): they are
   * extended like held ones, never recovered.
   */
  claiming_since?: number;
  /**
   * What follows an item the sweep failed (its attempts spent by crashes) in a run whose kind
   * plans with its items (`RunKindModule.plansWithItems`); `undefined` for other kinds. Called
   * inside the sweep's transaction, like a completion's `plan`.
   */
  planAfterFailure?: (run: RunRecord, outcome: { item: ItemRecord; error: ItemError }, items: readonly ItemView[]) => FollowUp | undefined;
}

/** Result of {@link Store.completeItems}. */
export interface CompleteResult {
  /** Item ids whose completion was written. */
  accepted: string[];
  /** Item ids whose lease token was no longer current: nothing was written for them. */
  lease_lost: string[];
  /** Runs that reached a terminal status in this write. */
  finished_runs: RunRecord[];
}

/** A registered engine process. */
export interface NodeRecord {
  id: string;
  hostname: string;
  pid: number;
  roles: string[];
  capacity: number;
  started_at: number;
  heartbeat_at: number;
  stopped_at: number | null;
  /**
   * The PID namespace of the node's process (`readlink /proc/self/ns/pid`, e.g.
   * `pid:[4026531836]`), or null where it cannot be read: two processes on one host can only
   * see each other's pids when both are in the same namespace.
   */
  pid_namespace: string | null;
}

/** One ledger entry. `amount` in µ (negative only for an `adjust`). */
export interface LedgerEntry {
  seq: number;
  id: string;
  kind: LedgerKind;
  amount: number;
  run_id: string | null;
  item_id: string | null;
  idempotency_key: string;
  reason: string | null;
  created_at: number;
}

/** Usage over a window; credits in µ. */
export interface UsageReport {
  runs: number;
  items: number;
  input_tokens: number;
  output_tokens: number;
  credits_used: number;
  by_target: Record<string, { runs: number; items: number; credits_used: number }>;
  by_provider: Record<string, { items: number; input_tokens: number; output_tokens: number; credits_used: number }>;
  /** By the model an item's usage names (`items.usage.model`); items without a model are not counted here. */
  by_model: Record<string, { items: number; input_tokens: number; output_tokens: number; credits_used: number }>;
}

/** One provider's figures in a run. Latencies in ms (null without finished items). */
export interface ProviderStats {
  provider: string;
  calls: number;
  successes: number;
  failures: number;
  p50_ms: number | null;
  p95_ms: number | null;
  credits_used: number;
}

/** Input to {@link Store.createTable}. */
export interface NewTable {
  id: string;
  name: string;
  fields: string[];
  rows: { id: string; data: Record<string, unknown> }[];
}

/** A tracked bulk operation (see core/operation.ts), in storage units. */
export interface OperationRecord {
  id: string;
  workspace_id: string;
  action: OperationAction;
  /** The effective filter of the runs it applies to. */
  filter: RunFilter;
  status: OperationStatus;
  /** Runs matched when the operation started; on finish, the runs actually visited. */
  total: number;
  /** Runs the action was applied to. */
  succeeded: number;
  /** Runs the action was refused for (e.g. a finished run cannot be canceled). */
  failed: number;
  /** Why the operation failed; or, when it succeeded with `failed > 0`, the first refusal. */
  error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** Changes to an operation; a terminal `status` also sets `finished_at`. */
export interface OperationPatch {
  total?: number;
  succeeded?: number;
  failed?: number;
  status?: OperationStatus;
  error?: string | null;
}

/**
 * The repository. Atomicity: each method is one transaction unless it says otherwise; on
 * SQLite every write transaction is `BEGIN IMMEDIATE`.
 */
export interface Store {
  /** `sqlite` or `postgres`. */
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Where the database is, for a second connection from another thread of this process (the
   * executor's heartbeat thread, engine/lease-keeper.ts). Absent when it cannot be opened
   * twice (SQLite `:memory:`).
   */
  readonly location?: StoreLocation | undefined;
  /** Workspaces, tokens, the audit log and saved credentials (access-port.ts). */
  readonly access: AccessStore;
  /** Ingestion sources and run totals (ingestion-port.ts). */
  readonly ingestions: IngestionStore;
  /** Comments on table rows (comments-port.ts). */
  readonly comments: CommentStore;
  /** Flow definitions (versioned) and the waits of items that ask a person (sql/flows-repo.ts). */
  readonly flows: FlowStore;
  /** Events, rules, schedules, fires and webhooks (trigger-port.ts). */
  readonly triggers: TriggerStore;
  /** AI worker definitions, held runs and worker row writes (workers-port.ts). */
  readonly workers: WorkerStore;

  /** Applies pending migrations (race-safe). @throws RunyardError when the database is on a newer schema. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /**
   * The database's clock, epoch ms. Engines time leases by it (through a synced clock) so that
   * nodes whose own clocks disagree still agree on when a lease expires. SQLite: this
   * machine's clock, which every process on one file shares.
   */
  databaseTime(): Promise<number>;
  /**
   * Wake-ups sent by other processes when work became claimable (PostgreSQL LISTEN/NOTIFY).
   * Absent when the backend has none. Lossy: a node must also poll. @returns unsubscribe
   */
  subscribeWork?(fn: () => void): () => void;
  /**
   * Tells the other nodes that `node_id` has free slots but found `run_ids` at their concurrency
   * with items due (PostgreSQL NOTIFY; absent elsewhere). Nodes that hold items of those runs
   * then keep to a fair share of them ({@link ClaimOptions.caps}). Lossy: a starved node repeats
   * it while it stays starved.
   */
  signalClaimDemand?(node_id: string, run_ids: string[]): Promise<void>;
  /** Demand signals of other nodes ({@link signalClaimDemand}). @returns unsubscribe */
  subscribeClaimDemand?(fn: (demand: ClaimDemand) => void): () => void;

  // ---- tables -------------------------------------------------------------------------------
  /** Creates a table with all its rows atomically: either every row is written or none. */
  createTable(ws: string, table: NewTable, now: number): Promise<TableRecord>;
  /**
   * Starts a batched import (large tables): the table exists but is `importing`, invisible to
   * {@link getTable} and {@link listTables}, until {@link finishTableImport}.
   */
  beginTableImport(ws: string, table: { id: string; name: string }, now: number): Promise<void>;
  /** Appends rows to an importing table in one transaction; ordinals start at `firstOrdinal`. */
  appendTableRows(ws: string, tableId: string, firstOrdinal: number, rows: NewTable['rows']): Promise<void>;
  /** Makes an importing table visible. @throws RunyardError `conflict` when it is no longer importing */
  finishTableImport(ws: string, tableId: string, fields: string[], rowCount: number): Promise<TableRecord>;
  /**
   * Deletes importing tables with their rows: one (a failed import) or all created before
   * `before` (epoch ms; left by a crashed node). @returns how many
   */
  discardTableImports(sel: { ws: string; tableId: string } | { before: number }): Promise<number>;
  /** A ready table (never one still importing). */
  getTable(ws: string, tableId: string): Promise<TableRecord | undefined>;
  listTables(ws: string): Promise<TableRecord[]>;
  /** Rows in ordinal order; `cursor` is opaque. */
  listRows(ws: string, tableId: string, opts: { limit: number; cursor?: string }): Promise<Page<RowRecord>>;
  /** Every row of a table, in ordinal order (used when a run is created). */
  allRows(ws: string, tableId: string): Promise<RowRecord[]>;
  getRow(ws: string, tableId: string, rowId: string): Promise<RowRecord | undefined>;
  /**
   * Sets (or clears, with null) the field that labels the table's rows; the caller checks it is
   * a field of the table. @returns the table, undefined when there is no such ready table
   */
  setTableLabelColumn(ws: string, tableId: string, column: string | null): Promise<TableRecord | undefined>;
  /**
   * The labels of rows `rowIds` of a table (core/row-label.ts: the label field, else the first
   * non-empty text field; at most 80 characters), read in one batch. Missing rows are absent
   * from the map; a row without text maps to null.
   */
  rowLabels(ws: string, tableId: string, rowIds: readonly string[]): Promise<Map<string, string | null>>;
  /** Adds a column. @throws RunyardError `conflict` when the name is taken in that table. */
  createColumn(ws: string, column: ColumnRecord): Promise<ColumnRecord>;
  /** By id or by name within the table. */
  getColumn(ws: string, tableId: string, idOrName: string): Promise<ColumnRecord | undefined>;
  listColumns(ws: string, tableId: string): Promise<ColumnRecord[]>;
  getCell(ws: string, tableId: string, rowId: string, columnId: string): Promise<CellRecord | undefined>;

  // ---- runs ---------------------------------------------------------------------------------
  /**
   * Writes a run, its items and its `run.queued` event in one transaction; durable on return.
   * With `run.idempotency_key` set and a run already holding that key in the workspace, nothing
   * is written and the existing run is returned with `created: false`.
   * @throws IdempotencyConflictError when the key was used with another `request_hash`.
   *
   * With `start` (an executor runs in this process), a run that needs no credit reservation and
   * has pending items is also started in the same transaction (`queued` → `running`,
   * `run.started`, claimed by `start.node_id`) and its first items are leased to that node
   * (`item.started`), exactly as `startQueuedRuns` + `claimItems` would; `claimed` lists them
   * (empty otherwise) for the caller to execute. The latency of "create a run → first item
   * started" is then one transaction (bench/LATENCY.md).
   */
  createRun(ws: string, input: NewRun, now: number, start?: StartOnCreate): Promise<{ run: RunRecord; created: boolean; claimed?: ClaimedItem[] }>;
  getRun(ws: string, runId: string): Promise<RunRecord | undefined>;
  /**
   * The run's sealed secrets exactly as {@link NewRun.sealed_secrets} stored them (ciphertext;
   * the store never decrypts), or `null` when the run has none or does not exist.
   */
  getRunSecrets(ws: string, runId: string): Promise<string | null>;
  /** The run holding an idempotency key in the workspace, with the hash of its creating request. */
  findRunByIdempotencyKey(ws: string, key: string): Promise<{ run: RunRecord; request_hash: string | null } | undefined>;
  /** Newest first by (`created_at`, id), keyset pagination (an opaque cursor; no OFFSET). */
  listRuns(ws: string, filter: RunFilter, opts: { limit: number; cursor?: string }): Promise<Page<RunRecord>>;
  /** In ordinal order. */
  listItems(ws: string, runId: string, filter: { status?: ItemStatus[] }, opts: { limit: number; cursor?: string }): Promise<Page<ItemRecord>>;
  getItem(ws: string, itemId: string): Promise<ItemRecord | undefined>;
  /** Events with `seq > afterSeq`, oldest first: of one run, or of the whole workspace when `runId` is null. */
  listEvents(ws: string, runId: string | null, afterSeq: number, limit: number): Promise<(EventRecord & { seq: number })[]>;
  /** The newest event `seq` of the workspace (0 when none): where a live stream of new events starts. */
  latestEventSeq(ws: string): Promise<number>;
  /** One item's events, oldest first, at most `limit` (its attempts: started, retrying, failed, …). */
  listItemEvents(ws: string, runId: string, itemId: string, limit: number): Promise<(EventRecord & { seq: number })[]>;
  /** Item timing statistics of a run and its first `limit` started items by start time. */
  itemTimings(ws: string, runId: string, limit: number): Promise<{ stats: ItemTimingStats; items: ItemRecord[] }>;
  /** Items `offset…offset+limit-1` of a run in ordinal order (optionally of some statuses) and how many match. */
  itemSlice(ws: string, runId: string, status: ItemStatus[] | undefined, offset: number, limit: number): Promise<{ items: ItemRecord[]; total: number }>;

  // ---- engine -------------------------------------------------------------------------------
  /**
   * Moves up to `limit` queued runs (oldest first) to `running`, appending `run.started`; runs
   * with no claimable items finish at once. Returns the runs it started.
   */
  startQueuedRuns(nodeId: string, now: number, limit: number): Promise<RunRecord[]>;
  /**
   * Leases up to `limit` due items (`pending`, or `retrying` whose `next_attempt_at <= now`) of
   * running runs, honouring each run's `spec.concurrency` against its `items_running`. Recovered
   * items (released leases) come before the backlog. Each claimed item becomes `running` with a
   * fresh lease token, `attempt_count + 1`, and an `item.started` event.
   */
  claimItems(nodeId: string, now: number, leaseMs: number, limit: number, opts?: ClaimOptions): Promise<ClaimedItem[]>;
  /**
   * Extends the leases given (each fenced by its token) to `now + leaseMs`.
   * @returns the item ids whose lease was lost (their producers must be aborted).
   */
  heartbeatItems(leases: { item_id: string; lease_token: string }[], now: number, leaseMs: number): Promise<string[]>;
  /**
   * Records many attempts' outcomes in one transaction, each checked against its own lease
   * token: a stale write changes nothing and is reported in `lease_lost`. Updates the items,
   * their cells, the runs' counts (derived from the transitions) and events, and finishes
   * runs whose items are all terminal.
   */
  completeItems(completions: Completion[], now: number): Promise<CompleteResult>;
  /**
   * {@link completeItems} then {@link claimItems} (up to `claim.limit` items for
   * `claim.nodeId`, leases of `claim.leaseMs`) in one transaction: an executor hands finished
   * work back and takes the next batch with one commit. The claim part skips runs whose row
   * another node holds instead of waiting for it, so it may return fewer items than are due,
   * and takes at most `claim.caps` of a run (its fair share when other nodes want the run).
   */
  completeAndClaim(
    completions: Completion[],
    now: number,
    claim: { nodeId: string; leaseMs: number; limit: number } & ClaimOptions,
  ): Promise<CompleteResult & { claimed: ClaimedItem[] }>;
  /**
   * Returns items whose lease expired before `now` to `pending` (ahead of the backlog) with an
   * `item.lease_expired` event (`data.attempt_spent`, `data.lease_lost_count`). What a recovery
   * costs the item depends on its lease's owner (core/lease-recovery.ts): a dead owner (no
   * node row, stopped, or not heartbeated within `sweep.lease_ms`) spends the attempt, and an
   * item with no attempt left becomes `failed` (`worker_crashed`); a live owner gives the
   * attempt back (`attempt_count - 1`) and adds one to `lease_lost_count`, and an item past
   * `DEFAULT_MAX_LEASE_LOSSES` becomes `failed` (`lease_lost_limit`).
   * With `sweep`, the sweeping node's leases listed in `sweep.held` (same token) are extended
   * to `now + sweep.lease_ms` instead: a node never recovers the work it is executing.
   * @returns how many items were recovered (extended ones not included).
   */
  recoverExpiredLeases(now: number, limit: number, sweep?: LeaseSweep): Promise<number>;

  // ---- control ------------------------------------------------------------------------------
  /** Pauses a queued or running run (a paused run is returned as it is). @throws IllegalTransitionError */
  pauseRun(ws: string, runId: string, reason: 'user' | 'budget', now: number): Promise<RunRecord>;
  /** Resumes a paused run; finishes it if its items all finished meanwhile. @throws IllegalTransitionError */
  resumeRun(ws: string, runId: string, now: number): Promise<RunRecord>;
  /**
   * Cancels a run and all its unfinished items (their leases are dropped, so late results are
   * rejected). Idempotent on a canceled run (`changed: false`). @throws IllegalTransitionError
   */
  cancelRun(ws: string, runId: string, now: number): Promise<{ run: RunRecord; changed: boolean; aborted: string[] }>;
  /**
   * Failed items back to pending with a fresh attempt budget (and `lease_lost_count` back to 0); reopens partial/failed runs.
   * @throws RunyardError `nothing_to_retry`; IllegalTransitionError
   */
  retryFailedItems(ws: string, runId: string, now: number): Promise<{ run: RunRecord; retried: number }>;
  /**
   * Answers a waiting item, compare-and-set: only a `waiting_for_input` item of a run that is
   * not terminal takes an answer, and of concurrent answers exactly one wins. In one
   * transaction the item becomes `succeeded` with `answer` as its outputs (settled like any
   * terminal item: its reservation, its sink, `item.answered`), `followUp` (the run's kind,
   * called with the run and the answered item) may append items and set the run's phase and
   * result (summary, output), and
   * the run's status is decided again (running, waiting_for_input, or finished).
   * @returns the run after the answer and the answered item
   * @throws NotFoundError (run or item not in the workspace, or the item not in the run);
   *   RunyardError `item_not_waiting` (HTTP 409, `details.status`) when the item is not waiting
   *   (already answered, never waited) or the run is terminal
   */
  respondToItem(
    ws: string,
    runId: string,
    itemId: string,
    answer: Record<string, unknown>,
    now: number,
    followUp?: (run: RunRecord, item: ItemRecord, items: readonly ItemView[]) => FollowUp,
    /** Who answered and with which key (recorded on the `item.answered` event and the item's wait). */
    meta?: AnswerMeta,
  ): Promise<{ run: RunRecord; item: ItemRecord }>;
  /** Earliest `next_attempt_at` of each run's claimable items (null when none). */
  earliestDue(ws: string, runIds: string[]): Promise<Map<string, number | null>>;
  /** Number of items each node holds a lease on. */
  inFlightByNode(): Promise<Map<string, number>>;

  // ---- credits ------------------------------------------------------------------------------
  /** The workspace's balances, µ (from the cached account kept in step with the ledger). */
  getBalance(ws: string): Promise<Balance>;
  /**
   * Posts a `grant` (amount > 0) or an `adjust` (±) with a reason. A repeated idempotency key
   * changes nothing (`created: false`).
   * @throws NotFoundError (unknown workspace); RunyardError `insufficient_credits` when a
   *   negative adjustment would take `available` below zero
   */
  postCredit(
    ws: string,
    kind: 'grant' | 'adjust',
    amount: number,
    reason: string | null,
    idempotencyKey: string,
    now: number,
  ): Promise<{ balance: Balance; created: boolean }>;
  /** Ledger entries, oldest first; cursor pagination. */
  listLedger(ws: string, filter: { run_id?: string; kind?: LedgerKind[] }, opts: { limit: number; cursor?: string }): Promise<Page<LedgerEntry>>;
  /** The balance recomputed from every ledger entry (must equal {@link getBalance}). */
  replayLedger(ws: string): Promise<Balance>;
  /** Usage since `since` (ms): runs, items, tokens and µ by target, provider and model. */
  usageSince(ws: string, since: number): Promise<UsageReport>;
  /** Per-provider calls, successes, failures, p50/p95 latency and µ of one run. */
  providerSummary(ws: string, runId: string, producer: string): Promise<ProviderStats[]>;

  // ---- prices (store/sql/prices-repo.ts) ----------------------------------------------------
  /** The workspace's newest price version, or undefined when prices were never set (runs are free). */
  currentPrices(ws: string): Promise<PriceVersion | undefined>;
  /** One price version of the workspace (versions are immutable), or undefined. */
  getPriceVersion(ws: string, version: number): Promise<PriceVersion | undefined>;
  /**
   * Sets the workspace's prices: appends version `current + 1`, unless `prices` equal the
   * current version's (then nothing is written: `created: false` with the current version).
   * Concurrent calls are serialised, so two versions never share a number.
   * @throws NotFoundError for an unknown workspace
   */
  putPrices(ws: string, prices: PriceTable, source: PriceSource, now: number): Promise<{ version: PriceVersion; created: boolean }>;

  // ---- settings (store/sql/settings-repo.ts) ------------------------------------------------
  /**
   * Records the fingerprint of the secret key that seals per-run secrets, unless one is
   * recorded already (the first node to start wins; deployment-wide, not per workspace).
   * @returns the recorded fingerprint (the caller compares it with its own), when it was
   *   recorded (epoch ms), and whether this call recorded it
   */
  claimSecretKeyFingerprint(fingerprint: string, now: number): Promise<{ fingerprint: string; recorded_at: number; created: boolean }>;

  // ---- nodes --------------------------------------------------------------------------------
  /** Inserts or refreshes a node row (heartbeat). */
  upsertNode(node: NodeRecord): Promise<void>;
  listNodes(): Promise<NodeRecord[]>;
  /**
   * Expires every lease a node holds (sets `lease_expires_at` to `now`), so the next sweep
   * recovers its items; used when the node is known to be dead. @returns how many leases
   */
  expireNodeLeases(nodeId: string, now: number): Promise<number>;
  /** Marks a node stopped. */
  stopNode(nodeId: string, now: number): Promise<void>;

  // ---- delete, retention, export, bulk operations (store/sql/retention-repo.ts) -------------
  /**
   * Deletes a finished run with its items and events in one transaction. Cells written by the
   * run keep their values (they belong to the table).
   * @throws NotFoundError when the run is not in the workspace; RunyardError `conflict` (HTTP
   *   409, `details.status`) when the run is not terminal.
   */
  deleteRun(ws: string, runId: string): Promise<void>;
  /** How many runs of the workspace match the filter. */
  countRuns(ws: string, filter: RunFilter): Promise<number>;
  /**
   * Deletes up to `limit` terminal runs that match the filter (non-terminal matches are left
   * alone), with their items and events, in one transaction. @returns the deleted run ids.
   */
  deleteRuns(ws: string, filter: RunFilter, limit: number): Promise<string[]>;
  /**
   * Retention: deletes up to `limit` terminal, unpinned runs of every workspace whose
   * `finished_at < cutoff` (epoch ms), with their items and events, in one transaction.
   * @returns how many runs were deleted (call again while it returns `limit`).
   */
  purgeTerminalRuns(cutoff: number, limit: number): Promise<number>;
  /** Pins (kept by retention) or unpins a run. @throws NotFoundError */
  setPinned(ws: string, runId: string, pinned: boolean, now: number): Promise<RunRecord>;
  /**
   * A run's items in ordinal order, `batch` at a time: each page is one keyset query
   * (`ordinal > last`), so memory stays constant however many items the run has. Not one
   * snapshot: an item that changes while the pages are read is seen in its state at its page.
   */
  streamItems(ws: string, runId: string, batch: number): AsyncIterable<ItemRecord[]>;
  /** Runs matching the filter, newest first, `batch` at a time (keyset on id). */
  streamRuns(ws: string, filter: RunFilter, batch: number): AsyncIterable<RunRecord[]>;
  /** Writes a new operation record (durable on return). */
  createOperation(op: OperationRecord): Promise<OperationRecord>;
  getOperation(ws: string, id: string): Promise<OperationRecord | undefined>;
  /** Newest first, keyset pagination on the id. */
  listOperations(ws: string, opts: { limit: number; cursor?: string }): Promise<Page<OperationRecord>>;
  /**
   * Applies a patch to a `running` operation and touches `updated_at`.
   * @returns the updated record; undefined when it does not exist or has already finished.
   */
  updateOperationProgress(ws: string, id: string, patch: OperationPatch, now: number): Promise<OperationRecord | undefined>;
  /**
   * Marks `running` operations of every workspace not updated since `staleBefore` as `failed`
   * (their node stopped mid-way). @returns how many were marked.
   */
  failStaleOperations(staleBefore: number, now: number): Promise<number>;
}

export type { CountDelta };

/** Timing of a run's items (epoch ms, durations ms). */
export interface ItemTimingStats {
  /** Items that started at least once. */
  items_started: number;
  /** Items with a recorded duration (finished). */
  items_timed: number;
  /** Sum of item durations, ms (work time, not wall time). */
  total_duration_ms: number;
  max_duration_ms: number | null;
  /** Nearest-rank percentiles of item durations, ms. */
  p50_duration_ms: number | null;
  p95_duration_ms: number | null;
  first_started_at: number | null;
  last_finished_at: number | null;
  /** Attempts over all items. */
  attempts: number;
  /** Items that needed more than one attempt. */
  items_retried: number;
}
