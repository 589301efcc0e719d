-- 0004_run_history_indexes: run history at scale (issue 7). Lists of runs are newest first by
-- (created_at, id) with a keyset cursor, so every filter walks one index in order and stops
-- after a page: no OFFSET, no sort of the whole history.
CREATE INDEX runs_newest ON runs (workspace_id, created_at, id);
CREATE INDEX runs_status_newest ON runs (workspace_id, status, created_at, id);
CREATE INDEX runs_kind_newest ON runs (workspace_id, kind, created_at, id);
-- Name search walks the newest names from the index alone (runs-repo NAME_WINDOW).
CREATE INDEX runs_name_newest ON runs (workspace_id, created_at, id, name);
-- Superseded by runs_newest.
DROP INDEX runs_created;

-- Name search (case-insensitive substring): an FTS5 trigram index over runs.name, kept in step
-- by triggers. External content (no copy of the names); it maps runs by rowid, so after a
-- VACUUM (which may renumber rowids) run `INSERT INTO runs_name(runs_name) VALUES ('rebuild')`.
-- Queries use it only to narrow candidates and re-check the exact LIKE condition on runs.
CREATE VIRTUAL TABLE runs_name USING fts5(name, content = 'runs', content_rowid = 'rowid', tokenize = 'trigram');
INSERT INTO runs_name(runs_name) VALUES ('rebuild');
CREATE TRIGGER runs_name_insert AFTER INSERT ON runs BEGIN
  INSERT INTO runs_name(rowid, name) VALUES (new.rowid, new.name);
END;
CREATE TRIGGER runs_name_delete AFTER DELETE ON runs BEGIN
  INSERT INTO runs_name(runs_name, rowid, name) VALUES ('delete', old.rowid, old.name);
END;
CREATE TRIGGER runs_name_update AFTER UPDATE OF name ON runs BEGIN
  INSERT INTO runs_name(runs_name, rowid, name) VALUES ('delete', old.rowid, old.name);
  INSERT INTO runs_name(rowid, name) VALUES (new.rowid, new.name);
END;
