-- Rows written by a rows sink (issue 11, part 3): a kind may upsert its items' outputs as rows
-- of a table by a key field. `table_rows.key` holds that key (null for imported rows), unique
-- per table, so an item executed twice, or a rerun, replaces its row instead of adding one.
ALTER TABLE table_rows ADD COLUMN key TEXT;
CREATE UNIQUE INDEX table_rows_key ON table_rows (table_id, key) WHERE key IS NOT NULL;
