/**
 * Table shapes as Kysely sees them (both dialects). JSON columns are text holding JSON; times
 * are integer epoch milliseconds; credits are integer micro-credits.
 */
import type { Generated } from 'kysely';
import type { TriggerTables } from './trigger-schema.js';

export interface WorkspacesTable {
  id: string;
  workspace_id: string;
  name: string;
  created_at: number;
  /** The workspace whose admin created this one (null for the default workspace). */
  created_by: string | null;
  updated_at: Generated<number>;
}

/** API tokens and console sessions; only the SHA-256 of the secret is stored. */
export interface ApiTokensTable {
  id: string;
  workspace_id: string;
  name: string;
  /** viewer | operator | editor | admin */
  role: string;
  /** `api` (a bearer token) or `session` (a console cookie exchanged for a token). */
  kind: string;
  /** A session: the token it was exchanged for (revoking that token ends the session). */
  parent_id: string | null;
  token_hash: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** The append-only audit log of writes (UPDATE and DELETE are refused by a trigger). */
export interface AuditLogTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  token_id: string | null;
  token_name: string | null;
  method: string;
  /** The route pattern, e.g. `/v1/runs/{run_id}/cancel` (never the query string). */
  route: string;
  target_id: string | null;
  status: number;
  /** `ok` (2xx/3xx), `denied` (401/403/404) or `failed`. */
  outcome: string;
  created_at: number;
}

/** Saved credentials: AES-256-GCM ciphertext sealed with the secret key; never returned. */
export interface CredentialsTable {
  workspace_id: string;
  name: string;
  box: string;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface TablesTable {
  id: string;
  workspace_id: string;
  name: string;
  fields: string;
  row_count: number;
  created_at: number;
  /** `importing` while a batched import is under way (invisible to reads), then `ready`. */
  status: Generated<string>;
  /** The field that labels the table's rows (0019); null: the first non-empty text field. */
  label_column: Generated<string | null>;
}

export interface TableRowsTable {
  id: string;
  workspace_id: string;
  table_id: string;
  ordinal: number;
  /** The row's key in its table when a rows sink wrote it (unique per table), else null. */
  key: Generated<string | null>;
  data: string;
  /** Provenance of a row a rows sink wrote: the run and item key (`page:7`) that last created or changed it (0016). */
  source_run_id: Generated<string | null>;
  source_item_key: Generated<string | null>;
}

export interface ColumnsTable {
  id: string;
  workspace_id: string;
  table_id: string;
  name: string;
  producer: string;
  config: string;
  profile: string;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface CellsTable {
  workspace_id: string;
  table_id: string;
  row_id: string;
  column_id: string;
  status: string;
  value: string | null;
  error: string | null;
  run_id: string;
  item_id: string;
  attempt: number;
  updated_at: number;
}

export interface RunsTable {
  id: string;
  workspace_id: string;
  kind: string;
  target_id: string;
  target_version: number;
  name: string;
  status: string;
  phase: string | null;
  /** What the run acts on, JSON (migration 0009). */
  subject: string | null;
  /** What the run produced, JSON (migration 0009). */
  output: Generated<string | null>;
  mode: string;
  trigger_type: string;
  trigger_source_id: string | null;
  trigger_actor: string | null;
  profile: string;
  prompt: string | null;
  session_id: string | null;
  items_total: number;
  items_succeeded: number;
  items_failed: number;
  items_pending: number;
  items_running: number;
  /** `waiting_for_input` items (migration 0009). */
  items_waiting: Generated<number>;
  items_skipped: number;
  items_canceled: number;
  credits_reserved: number;
  credits_used: number;
  result_summary: string | null;
  error: string | null;
  retry_of: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  tags: string;
  spec: string;
  scheduled_for: number | null;
  claimed_by: string | null;
  pinned: number;
  /** Per-run env overrides, JSON object (clear text: only non-secret values). */
  overrides_env: string | null;
  /** Per-run secrets: AES-256-GCM ciphertext (see engine/secrets.ts); never returned. */
  overrides_secrets: string | null;
  /** Why a run is paused: `user` or `budget`. */
  paused_reason: string | null;
  /** Budget: the most this run may reserve, µ; null for none. */
  credit_cap: number | null;
  /** µ reserved per item (the most one item can cost). */
  item_cost_bound: number;
  credits_released: number;
  /** The price version the run was created with (price_versions.version); null: free. */
  price_version: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
  /** Why a queued run is not started (`worker:<id>` while its worker is paused), else null (0017). */
  held_by: Generated<string | null>;
}

export interface ItemsTable {
  id: string;
  workspace_id: string;
  run_id: string;
  ordinal: number;
  key: string;
  status: string;
  attempt_count: number;
  max_attempts: number;
  /** Leases lost while their node was alive (attempt given back; core/lease-recovery.ts). */
  lease_lost_count: number;
  next_attempt_at: number | null;
  inputs: string | null;
  outputs: string | null;
  error: string | null;
  provider: string | null;
  usage: string | null;
  credits_used: number;
  lease_token: string | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  duration_ms: number | null;
  /** The item's own producer; null: the run's `spec.producer` (migration 0008). */
  producer: string | null;
  /** The item's own cost bound, µ; null: the run's `item_cost_bound` (migration 0008). */
  cost_bound: number | null;
  /** A waiting item's question, `{"prompt", "form"}` JSON, kept once answered (migration 0009). */
  waiting?: string | null | undefined;
}

export interface EventsTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  run_id: string;
  item_id: string | null;
  type: string;
  data: string;
  created_at: number;
}

export interface NodesTable {
  id: string;
  workspace_id: string;
  hostname: string;
  pid: number;
  roles: string;
  capacity: number;
  started_at: number;
  heartbeat_at: number;
  stopped_at: number | null;
  /** `readlink /proc/self/ns/pid` of the node's process (`pid:[4026531836]`), null where unknown. */
  pid_namespace: string | null;
}

export interface OperationsTable {
  id: string;
  workspace_id: string;
  /** `cancel`, `retry_failed` or `delete`. */
  action: string;
  /** The run filter, JSON. */
  filter: string;
  /** `running`, `succeeded`, `failed`. */
  status: string;
  total: number;
  succeeded: number;
  failed: number;
  error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface LedgerEntriesTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  /** grant | reserve | capture | release | adjust */
  kind: string;
  /** µ; positive except for a negative adjust */
  amount: number;
  run_id: string | null;
  item_id: string | null;
  idempotency_key: string;
  reason: string | null;
  created_at: number;
}

/** Cached balances derived from the ledger in the same transactions (the ledger is the truth). */
export interface CreditAccountsTable {
  workspace_id: string;
  granted: number;
  captured: number;
  outstanding: number;
  adjusted: number;
  updated_at: number;
}

/** One immutable version of a workspace's prices (migration 0006). */
export interface PriceVersionsTable {
  workspace_id: string;
  /** 1, 2, …: a new version for every change. */
  version: number;
  /** Canonical JSON (sorted keys) of price key → µ per unit. */
  prices: string;
  /** `api` (PUT /v1/prices) or `env` (RUNYARD_PRICES at start). */
  source: string;
  created_at: number;
}

/** Deployment-wide settings (not per workspace), e.g. `secret_key_fingerprint`. */
export interface SettingsTable {
  key: string;
  value: string;
  created_at: number;
}

/** A worker (0017): its status and newest version; the definitions are in `worker_versions`. */
export interface WorkersTable {
  id: string;
  workspace_id: string;
  status: string;
  latest_version: number;
  created_at: number;
  updated_at: number;
}

/** One version of a worker definition (0017); the definition is JSON. */
export interface WorkerVersionsTable {
  id: string;
  version: number;
  workspace_id: string;
  name: string;
  template_key: string | null;
  definition: string;
  created_at: number;
}

/** An ingestion source version (0016): one row per (id, version); the definition is JSON. */
export interface IngestionSourcesTable {
  id: string;
  version: number;
  workspace_id: string;
  name: string;
  table_id: string;
  definition: string;
  created_at: number;
}

/** Comments on table rows (migration 0014); `slot` is set on comments a sink wrote. */
export interface RowCommentsTable {
  id: string;
  workspace_id: string;
  table_id: string;
  row_id: string;
  author: string;
  body: string;
  slot: string | null;
  created_by_run: string | null;
  updated_by_run: string | null;
  created_at: number;
  updated_at: number;
}

/** Versions of flow definitions (migration 0013). */
export interface FlowsTable {
  id: string;
  version: number;
  workspace_id: string;
  name: string;
  description: string | null;
  /** The validated definition, JSON. */
  definition: string;
  /** The YAML or JSON as given. */
  source: string;
  created_at: number;
}

/** One row per waiting item: its lifecycle and its answer (migration 0013). */
export interface WaitsTable {
  id: string;
  workspace_id: string;
  run_id: string;
  item_id: string;
  step_key: string;
  phase: string | null;
  title: string | null;
  /** open | answered | expired | canceled */
  status: string;
  /** fail | cancel | continue */
  on_timeout: string;
  expires_at: number;
  response: string | null;
  responded_by: string | null;
  idempotency_key: string | null;
  reason: string | null;
  created_at: number;
  closed_at: number | null;
}

export interface Database extends TriggerTables {
  workspaces: WorkspacesTable;
  tables: TablesTable;
  table_rows: TableRowsTable;
  columns: ColumnsTable;
  cells: CellsTable;
  runs: RunsTable;
  items: ItemsTable;
  events: EventsTable;
  nodes: NodesTable;
  operations: OperationsTable;
  ledger_entries: LedgerEntriesTable;
  credit_accounts: CreditAccountsTable;
  price_versions: PriceVersionsTable;
  settings: SettingsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  credentials: CredentialsTable;
  ingestion_sources: IngestionSourcesTable;
  row_comments: RowCommentsTable;
  flows: FlowsTable;
  waits: WaitsTable;
  workers: WorkersTable;
  worker_versions: WorkerVersionsTable;
}
