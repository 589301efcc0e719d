CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TRIGGER runs_name_delete AFTER DELETE ON runs BEGIN
  INSERT INTO runs_name(runs_name, rowid, name) VALUES ('delete', old.rowid, old.name);
END;

CREATE TRIGGER runs_name_insert AFTER INSERT ON runs BEGIN
  INSERT INTO runs_name(rowid, name) VALUES (new.rowid, new.name);
END;

CREATE TRIGGER runs_name_update AFTER UPDATE OF name ON runs BEGIN
  INSERT INTO runs_name(runs_name, rowid, name) VALUES ('delete', old.rowid, old.name);
  INSERT INTO runs_name(rowid, name) VALUES (new.rowid, new.name);
END;

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  kind TEXT NOT NULL,
  parent_id TEXT,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  last_used_at INTEGER,
  revoked_at INTEGER
);

CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  workspace_id TEXT NOT NULL,
  token_id TEXT,
  token_name TEXT,
  method TEXT NOT NULL,
  route TEXT NOT NULL,
  target_id TEXT,
  status INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE cells (
  workspace_id TEXT NOT NULL,
  table_id TEXT NOT NULL,
  row_id TEXT NOT NULL,
  column_id TEXT NOT NULL,
  status TEXT NOT NULL,
  value TEXT,
  error TEXT,
  run_id TEXT NOT NULL,
  item_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (column_id, row_id)
);

CREATE TABLE columns (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  table_id TEXT NOT NULL REFERENCES tables(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  producer TEXT NOT NULL,
  config TEXT NOT NULL,
  profile TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE credentials (
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  box TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, name)
);

CREATE TABLE credit_accounts (
  workspace_id TEXT PRIMARY KEY,
  granted INTEGER NOT NULL DEFAULT 0,
  captured INTEGER NOT NULL DEFAULT 0,
  outstanding INTEGER NOT NULL DEFAULT 0,
  adjusted INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);

CREATE TABLE "events" (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  item_id TEXT,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE flows (
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  definition TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (id, version)
);

CREATE TABLE hook_rejections (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  hook_id TEXT NOT NULL,
  webhook_id TEXT,
  status INTEGER NOT NULL,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE hooks (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  event_name TEXT NOT NULL,
  status TEXT NOT NULL,
  secrets TEXT NOT NULL,
  max_body_bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
, signature TEXT);

CREATE TABLE ingestion_sources (
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  table_id TEXT NOT NULL,
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (id, version)
);

CREATE TABLE items (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  key TEXT NOT NULL,
  status TEXT NOT NULL,
  attempt_count INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  next_attempt_at INTEGER,
  inputs TEXT,
  outputs TEXT,
  error TEXT,
  provider TEXT,
  usage TEXT,
  credits_used INTEGER NOT NULL DEFAULT 0,
  lease_token TEXT,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  started_at INTEGER,
  finished_at INTEGER,
  duration_ms INTEGER
, lease_lost_count INTEGER NOT NULL DEFAULT 0, producer TEXT, cost_bound INTEGER, waiting TEXT);

CREATE TABLE ledger_entries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  workspace_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  amount INTEGER NOT NULL,
  run_id TEXT,
  item_id TEXT,
  idempotency_key TEXT NOT NULL,
  reason TEXT,
  created_at INTEGER NOT NULL
);

CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  hostname TEXT NOT NULL,
  pid INTEGER NOT NULL,
  roles TEXT NOT NULL,
  capacity INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  stopped_at INTEGER
, pid_namespace TEXT);

CREATE TABLE operations (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  action TEXT NOT NULL,
  filter TEXT NOT NULL,
  status TEXT NOT NULL,
  total INTEGER NOT NULL DEFAULT 0,
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);

CREATE TABLE price_versions (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  version INTEGER NOT NULL,
  prices TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, version)
);

CREATE TABLE row_comments (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  table_id TEXT NOT NULL,
  row_id TEXT NOT NULL REFERENCES table_rows(id) ON DELETE CASCADE,
  author TEXT NOT NULL,
  body TEXT NOT NULL,
  slot TEXT,
  created_by_run TEXT,
  updated_by_run TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE rule_versions (
  rule_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  workspace_id TEXT NOT NULL,
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (rule_id, version)
);

CREATE TABLE rules (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  on_event TEXT NOT NULL,
  status TEXT NOT NULL,
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  target_id TEXT NOT NULL,
  target_version INTEGER NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  phase TEXT,
  mode TEXT NOT NULL,
  trigger_type TEXT NOT NULL,
  trigger_source_id TEXT,
  trigger_actor TEXT,
  profile TEXT NOT NULL,
  prompt TEXT,
  session_id TEXT,
  items_total INTEGER NOT NULL,
  items_succeeded INTEGER NOT NULL DEFAULT 0,
  items_failed INTEGER NOT NULL DEFAULT 0,
  items_pending INTEGER NOT NULL DEFAULT 0,
  items_running INTEGER NOT NULL DEFAULT 0,
  items_skipped INTEGER NOT NULL DEFAULT 0,
  items_canceled INTEGER NOT NULL DEFAULT 0,
  credits_reserved INTEGER NOT NULL DEFAULT 0,
  credits_used INTEGER NOT NULL DEFAULT 0,
  result_summary TEXT,
  error TEXT,
  retry_of TEXT,
  idempotency_key TEXT,
  request_hash TEXT,
  tags TEXT NOT NULL,
  spec TEXT NOT NULL,
  scheduled_for INTEGER,
  claimed_by TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL
, pinned INTEGER NOT NULL DEFAULT 0, overrides_env TEXT, overrides_secrets TEXT, paused_reason TEXT, credit_cap INTEGER, item_cost_bound INTEGER NOT NULL DEFAULT 0, credits_released INTEGER NOT NULL DEFAULT 0, price_version INTEGER, items_waiting INTEGER NOT NULL DEFAULT 0, subject TEXT, output TEXT, held_by TEXT);

CREATE VIRTUAL TABLE runs_name USING fts5(name, content = 'runs', content_rowid = 'rowid', tokenize = 'trigram');

CREATE TABLE 'runs_name_config'(k PRIMARY KEY, v) WITHOUT ROWID;

CREATE TABLE 'runs_name_data'(id INTEGER PRIMARY KEY, block BLOB);

CREATE TABLE 'runs_name_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

CREATE TABLE 'runs_name_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

CREATE TABLE runyard_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);

CREATE TABLE schedules (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  definition TEXT NOT NULL,
  cursor_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE table_rows (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  table_id TEXT NOT NULL REFERENCES tables(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  data TEXT NOT NULL
, key TEXT, source_run_id TEXT, source_item_key TEXT);

CREATE TABLE tables (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  name TEXT NOT NULL,
  fields TEXT NOT NULL,
  row_count INTEGER NOT NULL,
  created_at INTEGER NOT NULL
, status TEXT NOT NULL DEFAULT 'ready', label_column TEXT);

CREATE TABLE trigger_concurrency_slots (
  source_id TEXT NOT NULL,
  slot_key TEXT NOT NULL,
  n INTEGER NOT NULL,
  cause TEXT NOT NULL,
  run_id TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (source_id, slot_key, n)
);

CREATE TABLE trigger_events (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  data TEXT NOT NULL,
  client_id TEXT,
  dedupe_key TEXT,
  source_type TEXT NOT NULL,
  source_id TEXT,
  actor TEXT,
  ts INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE trigger_fires (
  workspace_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  cause TEXT NOT NULL,
  source_type TEXT NOT NULL,
  source_version INTEGER NOT NULL,
  event_id TEXT,
  group_key TEXT,
  slot_at INTEGER,
  status TEXT NOT NULL,
  reason TEXT,
  run_id TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, hold_key TEXT,
  PRIMARY KEY (source_id, cause)
);

CREATE TABLE trigger_rate_tokens (
  source_id TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  n INTEGER NOT NULL,
  cause TEXT NOT NULL,
  PRIMARY KEY (source_id, window_start, n)
);

CREATE TABLE waits (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  item_id TEXT NOT NULL UNIQUE,
  step_key TEXT NOT NULL,
  phase TEXT,
  title TEXT,
  status TEXT NOT NULL,
  on_timeout TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  response TEXT,
  responded_by TEXT,
  idempotency_key TEXT,
  reason TEXT,
  created_at INTEGER NOT NULL,
  closed_at INTEGER
);

CREATE TABLE worker_versions (
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  template_key TEXT,
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (id, version)
);

CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  status TEXT NOT NULL,
  latest_version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
, created_by TEXT, updated_at INTEGER NOT NULL DEFAULT 0);

CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id, id);

CREATE INDEX audit_workspace ON audit_log (workspace_id, seq);

CREATE UNIQUE INDEX columns_name ON columns (table_id, name);

CREATE INDEX events_run ON events (run_id, seq);

CREATE INDEX flows_workspace ON flows (workspace_id, id, version);

CREATE INDEX hook_rejections_hook ON hook_rejections (hook_id, id);

CREATE INDEX ingestion_sources_ws ON ingestion_sources (workspace_id, id);

CREATE INDEX items_claimable ON items (run_id, next_attempt_at, ordinal) WHERE status IN ('pending', 'retrying');

CREATE UNIQUE INDEX items_key ON items (run_id, key);

CREATE INDEX items_leased ON items (lease_expires_at) WHERE status = 'running';

CREATE UNIQUE INDEX items_order ON items (run_id, ordinal);

CREATE INDEX items_status ON items (run_id, status, ordinal);

CREATE UNIQUE INDEX ledger_idempotency ON ledger_entries (workspace_id, idempotency_key);

CREATE INDEX ledger_run ON ledger_entries (run_id, seq) WHERE run_id IS NOT NULL;

CREATE INDEX ledger_workspace ON ledger_entries (workspace_id, seq);

CREATE INDEX operations_workspace ON operations (workspace_id, id);

CREATE INDEX row_comments_row ON row_comments (row_id, created_at, id);

CREATE UNIQUE INDEX row_comments_slot ON row_comments (row_id, slot) WHERE slot IS NOT NULL;

CREATE INDEX rules_on_event ON rules (workspace_id, on_event);

CREATE INDEX runs_active ON runs (status, id) WHERE status IN ('queued', 'running');

CREATE INDEX runs_held_by ON runs (held_by) WHERE held_by IS NOT NULL;

CREATE UNIQUE INDEX runs_idempotency ON runs (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE INDEX runs_kind ON runs (workspace_id, kind, id);

CREATE INDEX runs_kind_newest ON runs (workspace_id, kind, created_at, id);

CREATE INDEX runs_name_newest ON runs (workspace_id, created_at, id, name);

CREATE INDEX runs_newest ON runs (workspace_id, created_at, id);

CREATE INDEX runs_retention ON runs (workspace_id, finished_at) WHERE finished_at IS NOT NULL AND pinned = 0;

CREATE INDEX runs_status ON runs (workspace_id, status, id);

CREATE INDEX runs_status_newest ON runs (workspace_id, status, created_at, id);

CREATE INDEX runs_workspace ON runs (workspace_id, id);

CREATE INDEX schedules_active ON schedules (status);

CREATE UNIQUE INDEX table_rows_key ON table_rows (table_id, key) WHERE key IS NOT NULL;

CREATE UNIQUE INDEX table_rows_order ON table_rows (table_id, ordinal);

CREATE INDEX tables_workspace ON tables (workspace_id, id);

CREATE UNIQUE INDEX trigger_concurrency_slots_cause ON trigger_concurrency_slots (source_id, cause);

CREATE INDEX trigger_concurrency_slots_run ON trigger_concurrency_slots (run_id) WHERE run_id IS NOT NULL;

CREATE UNIQUE INDEX trigger_events_dedupe ON trigger_events (workspace_id, dedupe_key) WHERE dedupe_key IS NOT NULL;

CREATE INDEX trigger_events_name ON trigger_events (workspace_id, name, id);

CREATE INDEX trigger_events_ws ON trigger_events (workspace_id, id);

CREATE INDEX trigger_fires_event ON trigger_fires (event_id) WHERE event_id IS NOT NULL;

CREATE INDEX trigger_fires_group ON trigger_fires (source_id, group_key) WHERE status = 'pending' AND group_key IS NOT NULL;

CREATE INDEX trigger_fires_held ON trigger_fires (source_id, hold_key, created_at) WHERE status = 'pending' AND hold_key IS NOT NULL;

CREATE INDEX trigger_fires_pending ON trigger_fires (lease_until) WHERE status = 'pending';

CREATE INDEX trigger_fires_source ON trigger_fires (workspace_id, source_id, created_at);

CREATE UNIQUE INDEX trigger_rate_tokens_cause ON trigger_rate_tokens (source_id, cause);

CREATE INDEX waits_open ON waits (status, expires_at);

CREATE INDEX waits_run ON waits (run_id);

CREATE INDEX waits_workspace ON waits (workspace_id, status, created_at);

CREATE INDEX workers_workspace ON workers (workspace_id, id);
