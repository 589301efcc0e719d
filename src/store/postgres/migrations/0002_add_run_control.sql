-- 0002_add_run_control (PostgreSQL): pinning, per-run overrides (env in clear, secrets
-- encrypted), the pause reason, and tracked bulk operations. Mirrors sqlite/migrations/0002.
ALTER TABLE runs ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN overrides_env TEXT;
ALTER TABLE runs ADD COLUMN overrides_secrets TEXT;
ALTER TABLE runs ADD COLUMN paused_reason TEXT;
CREATE INDEX runs_retention ON runs (workspace_id, finished_at) WHERE finished_at IS NOT NULL AND pinned = 0;

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
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX operations_workspace ON operations (workspace_id, id);
