-- 0011_import_tables_in_batches: a large import is written in batches, each its own
-- transaction, so it neither holds the write lock nor the event loop for its whole length. Until
-- its last batch is in, the table is `importing` and no read sees it; a failed import deletes
-- it, and one left by a crashed node is deleted once it is an hour old.
ALTER TABLE tables ADD COLUMN status TEXT NOT NULL DEFAULT 'ready';
