-- 0007_create_workspaces_tokens_audit (PostgreSQL): mirrors sqlite/migrations/0007. Workspaces
-- gain the workspace that created them; API tokens and console sessions stored only as SHA-256
-- hashes; the append-only audit log of every write (a trigger refuses UPDATE and DELETE); saved
-- credentials sealed with the secret key, never in clear.
ALTER TABLE workspaces ADD COLUMN created_by TEXT;
ALTER TABLE workspaces ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  kind TEXT NOT NULL,
  parent_id TEXT,
  token_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  last_used_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id, id);

CREATE TABLE audit_log (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  workspace_id TEXT NOT NULL,
  token_id TEXT,
  token_name TEXT,
  method TEXT NOT NULL,
  route TEXT NOT NULL,
  target_id TEXT,
  status INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX audit_workspace ON audit_log (workspace_id, seq);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE credentials (
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  box TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, name)
);
