-- 0007_create_workspaces_tokens_audit: who may do what. Workspaces gain the workspace that
-- created them (a workspace's admin manages the ones it created); API tokens and console
-- sessions stored only as SHA-256 hashes; the append-only audit log of every write; saved
-- credentials sealed with the secret key (AES-256-GCM, engine/secrets.ts), never in clear.
ALTER TABLE workspaces ADD COLUMN created_by TEXT;
ALTER TABLE workspaces ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;

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
CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id, id);

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
CREATE INDEX audit_workspace ON audit_log (workspace_id, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE credentials (
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  box TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, name)
);
