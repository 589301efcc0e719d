-- AI workers (issue 14): a worker is a saved definition that acts on a row (its run's subject).
-- `workers` holds what is not versioned: the status (`active | paused`, pausing holds new runs)
-- and the newest version number; `worker_versions` keeps every version of the definition (an
-- edit inserts version n+1; a run pins the version it started on, frozen in its spec). A
-- definition never holds a model key (it names a run secret or a saved credential).
CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  status TEXT NOT NULL,
  latest_version INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX workers_workspace ON workers (workspace_id, id);
CREATE TABLE worker_versions (
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  template_key TEXT,
  definition TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (id, version)
);
-- A held run stays `queued` and is never started while `held_by` is set (`worker:<id>` while
-- its worker is paused); its waiting reason says why. Resuming the worker clears it.
ALTER TABLE runs ADD COLUMN held_by TEXT;
CREATE INDEX runs_held_by ON runs (held_by) WHERE held_by IS NOT NULL;
