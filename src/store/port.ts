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
import type { ItemError } from '../core/errors.js';
import type { Usage } from '../core/producer.js';
import type { ItemStatus, RunStatus } from '../core/status.js';
import type { CellRecord, ColumnRecord, EventRecord, ItemRecord, RowRecord, RunKind, RunMode, RunRecord, TableRecord, TriggerType } from '../core/model.js';

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
    | 'items_skipped'
    | 'items_canceled'
    | 'updated_at'
    | 'pinned'
    | 'secret_names'
    | 'paused_reason'
  >;
  /**
   * Encrypted per-run secrets as stored: `{"names": [...], "box": "<ciphertext>"}` JSON, or
   * null. The store never sees secret values in clear.
   */
  sealed_secrets: string | null;
  items: { id: string; key: string; inputs: Record<string, unknown> | null; status: Extract<ItemStatus, 'pending' | 'skipped'> }[];
  /** Hash of the creating request, compared on an idempotent replay. */
  request_hash: string | null;
}

/** A claimed item: its lease token must accompany every later write for it. */
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
    }
  | { kind: 'failed'; item_id: string; lease_token: string; error: ItemError; duration_ms: number }
  | { kind: 'retrying'; item_id: string; lease_token: string; error: ItemError; next_attempt_at: number; duration_ms: number }
  /** Give the item back untouched (graceful shutdown); the attempt is not counted as failed. */
  | { kind: 'released'; item_id: string; lease_token: string };

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
}

/** Input to {@link Store.createTable}. */
export interface NewTable {
  id: string;
  name: string;
  fields: string[];
  rows: { id: string; data: Record<string, unknown> }[];
}

/**
 * The repository. Atomicity: each method is one transaction unless it says otherwise; on
 * SQLite every write transaction is `BEGIN IMMEDIATE`.
 */
export interface Store {
  /** `sqlite` or `postgres`. */
  readonly dialect: 'sqlite' | 'postgres';

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

  // ---- tables -------------------------------------------------------------------------------
  /** Creates a table with all its rows atomically: either every row is written or none. */
  createTable(ws: string, table: NewTable, now: number): Promise<TableRecord>;
  getTable(ws: string, tableId: string): Promise<TableRecord | undefined>;
  listTables(ws: string): Promise<TableRecord[]>;
  /** Rows in ordinal order; `cursor` is opaque. */
  listRows(ws: string, tableId: string, opts: { limit: number; cursor?: string }): Promise<Page<RowRecord>>;
  /** Every row of a table, in ordinal order (used when a run is created). */
  allRows(ws: string, tableId: string): Promise<RowRecord[]>;
  getRow(ws: string, tableId: string, rowId: string): Promise<RowRecord | undefined>;
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
   */
  createRun(ws: string, input: NewRun, now: number): Promise<{ run: RunRecord; created: boolean }>;
  getRun(ws: string, runId: string): Promise<RunRecord | undefined>;
  /** The run holding an idempotency key in the workspace, with the hash of its creating request. */
  findRunByIdempotencyKey(ws: string, key: string): Promise<{ run: RunRecord; request_hash: string | null } | undefined>;
  /** Newest first, keyset pagination on the (sortable) id. */
  listRuns(ws: string, filter: RunFilter, opts: { limit: number; cursor?: string }): Promise<Page<RunRecord>>;
  /** In ordinal order. */
  listItems(ws: string, runId: string, filter: { status?: ItemStatus[] }, opts: { limit: number; cursor?: string }): Promise<Page<ItemRecord>>;
  getItem(ws: string, itemId: string): Promise<ItemRecord | undefined>;
  /** Events of a run with `seq > afterSeq`, oldest first. */
  listEvents(ws: string, runId: string, afterSeq: number, limit: number): Promise<(EventRecord & { seq: number })[]>;

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
  claimItems(nodeId: string, now: number, leaseMs: number, limit: number): Promise<ClaimedItem[]>;
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
   * Returns items whose lease expired before `now` to `pending` (ahead of the backlog) with an
   * `item.lease_expired` event; an item whose attempts are used up becomes `failed`
   * (`worker_crashed`). @returns how many items were recovered.
   */
  recoverExpiredLeases(now: number, limit: number): Promise<number>;

  // ---- nodes --------------------------------------------------------------------------------
  /** Inserts or refreshes a node row (heartbeat). */
  upsertNode(node: NodeRecord): Promise<void>;
  listNodes(): Promise<NodeRecord[]>;
  /** Marks a node stopped. */
  stopNode(nodeId: string, now: number): Promise<void>;
}

export type { CountDelta };
