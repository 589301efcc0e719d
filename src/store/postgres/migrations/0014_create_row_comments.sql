-- 0014_create_row_comments (issue 14): comments live on table rows, so an AI worker's output
-- (a task comment) is a record people and the API see, not a log line.
--
-- `author` is who wrote it (a token's name, or `run:<run_id>` for a run); `created_by_run`
-- and `updated_by_run` link a comment a run wrote to that run. `slot` is set only on comments a
-- sink writes: the output slot key (the target, the output slot and, for an `append` policy,
-- the item), unique per row, so an item executed twice or a rerun with `replace` leaves one
-- comment per slot. Comments go with their row.
CREATE TABLE row_comments (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  table_id TEXT NOT NULL,
  row_id TEXT NOT NULL REFERENCES table_rows(id) ON DELETE CASCADE,
  author TEXT NOT NULL,
  body TEXT NOT NULL,
  slot TEXT,
  created_by_run TEXT,
  updated_by_run TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX row_comments_row ON row_comments (row_id, created_at, id);
CREATE UNIQUE INDEX row_comments_slot ON row_comments (row_id, slot) WHERE slot IS NOT NULL;
