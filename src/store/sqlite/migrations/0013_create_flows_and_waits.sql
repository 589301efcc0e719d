-- Flows (issue 13): versioned flow definitions and the waits of items that ask a person.
-- `flows` keeps every version of a definition (editing makes a new version; a run pins the
-- version it started on, frozen in its spec); `definition` is the validated JSON, `source` the
-- YAML or JSON as given. `waits` holds one row per waiting item (its question stays in
-- `items.waiting`): open until answered (first valid answer wins, compare-and-set on
-- `status`), expired by the reaper (`on_timeout`), or canceled with its run; `response` is
-- the recorded answer, `responded_by` who gave it and `idempotency_key` the key it came with.
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
CREATE INDEX flows_workspace ON flows (workspace_id, id, version);

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
CREATE INDEX waits_open ON waits (status, expires_at);
CREATE INDEX waits_run ON waits (run_id);
CREATE INDEX waits_workspace ON waits (workspace_id, status, created_at);
