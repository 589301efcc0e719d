-- 0004_run_history_indexes: run history at scale (issue 7). Lists of runs are newest first by
-- (created_at, id) with a keyset cursor, so every filter walks one index in order and stops
-- after a page: no OFFSET, no sort of the whole history.
CREATE INDEX runs_newest ON runs (workspace_id, created_at, id);
CREATE INDEX runs_status_newest ON runs (workspace_id, status, created_at, id);
CREATE INDEX runs_kind_newest ON runs (workspace_id, kind, created_at, id);
-- Superseded by runs_newest.
DROP INDEX runs_created;

-- Name search (case-insensitive substring, ILIKE '%…%'): a trigram GIN index. pg_trgm ships
-- with PostgreSQL's contrib and is a trusted extension (13+): the database owner may create it.
-- It is installed once per database (in public unless it already is elsewhere), while runyard's
-- tables may live in another schema (search_path): the operator class is named with its schema.
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
DO $$
DECLARE
  trgm_schema text;
BEGIN
  SELECT n.nspname INTO trgm_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
  EXECUTE format('CREATE INDEX runs_name_trgm ON runs USING gin (name %I.gin_trgm_ops)', trgm_schema);
END $$;
