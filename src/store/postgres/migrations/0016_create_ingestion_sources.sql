-- Ingestion sources (issue 16): an HTTP API described as a request template, the JSON path to
-- its records, a key field and a pagination style. Versioned: an edit inserts version n+1 and a
-- run pins the version it ran (`runs.target_version`). The definition is JSON text; it never
-- holds a secret (auth names a run secret).
CREATE TABLE ingestion_sources (
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  table_id TEXT NOT NULL,
  definition TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (id, version)
);
CREATE INDEX ingestion_sources_ws ON ingestion_sources (workspace_id, id);
-- A row's provenance when a rows sink wrote it: the run and the item key (`page:7`) that last
-- created or changed it (an unchanged row keeps its earlier provenance).
ALTER TABLE table_rows ADD COLUMN source_run_id TEXT;
ALTER TABLE table_rows ADD COLUMN source_item_key TEXT;
