-- 0001_create_core_tables (PostgreSQL): workspaces, tables, rows, columns, cells, runs, items,
-- events, nodes. Mirrors sqlite/migrations/0001 in meaning: every table carries workspace_id;
-- times are epoch ms (BIGINT); credits are micro-credits (BIGINT); JSON columns are TEXT.
CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
INSERT INTO workspaces (id, workspace_id, name, created_at) VALUES ('wsp_default', 'wsp_default', 'default', 0);

CREATE TABLE tables (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  name TEXT NOT NULL,
  fields TEXT NOT NULL,
  row_count INTEGER NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX tables_workspace ON tables (workspace_id, id);

CREATE TABLE table_rows (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  table_id TEXT NOT NULL REFERENCES tables(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE UNIQUE INDEX table_rows_order ON table_rows (table_id, ordinal);

CREATE TABLE columns (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  table_id TEXT NOT NULL REFERENCES tables(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  producer TEXT NOT NULL,
  config TEXT NOT NULL,
  profile TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX columns_name ON columns (table_id, name);

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
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (column_id, row_id)
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
  credits_reserved BIGINT NOT NULL DEFAULT 0,
  credits_used BIGINT NOT NULL DEFAULT 0,
  result_summary TEXT,
  error TEXT,
  retry_of TEXT,
  idempotency_key TEXT,
  request_hash TEXT,
  tags TEXT NOT NULL,
  spec TEXT NOT NULL,
  scheduled_for BIGINT,
  claimed_by TEXT,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX runs_workspace ON runs (workspace_id, id);
CREATE INDEX runs_status ON runs (workspace_id, status, id);
CREATE INDEX runs_kind ON runs (workspace_id, kind, id);
CREATE INDEX runs_created ON runs (workspace_id, created_at);
CREATE INDEX runs_active ON runs (status, id) WHERE status IN ('queued', 'running');
CREATE UNIQUE INDEX runs_idempotency ON runs (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE items (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  key TEXT NOT NULL,
  status TEXT NOT NULL,
  attempt_count INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  next_attempt_at BIGINT,
  inputs TEXT,
  outputs TEXT,
  error TEXT,
  provider TEXT,
  usage TEXT,
  credits_used BIGINT NOT NULL DEFAULT 0,
  lease_token TEXT,
  lease_owner TEXT,
  lease_expires_at BIGINT,
  started_at BIGINT,
  finished_at BIGINT,
  duration_ms BIGINT
);
CREATE UNIQUE INDEX items_order ON items (run_id, ordinal);
CREATE INDEX items_status ON items (run_id, status, ordinal);
CREATE INDEX items_claimable ON items (run_id, next_attempt_at, ordinal) WHERE status IN ('pending', 'retrying');
CREATE INDEX items_leased ON items (lease_expires_at) WHERE status = 'running';

CREATE TABLE events (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  workspace_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  item_id TEXT,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX events_run ON events (run_id, seq);

CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  hostname TEXT NOT NULL,
  pid INTEGER NOT NULL,
  roles TEXT NOT NULL,
  capacity INTEGER NOT NULL,
  started_at BIGINT NOT NULL,
  heartbeat_at BIGINT NOT NULL,
  stopped_at BIGINT
);
