-- 0002_add_run_control: pinning, per-run overrides (env in clear, secrets encrypted), the
-- smoke-test size, the pause reason, and tracked bulk operations.
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
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX operations_workspace ON operations (workspace_id, id);
