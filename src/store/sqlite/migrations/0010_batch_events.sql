-- Fewer writes per item (issue 11, part 4): `seq` is the events' key and already unique, so the
-- UNIQUE constraint on `id` (a second b-tree written for every event) goes. SQLite cannot drop
-- a column constraint, so the table is rebuilt with the same rows, sequence and index.
-- Item transitions of one batch are now one row (`items.started`, `items.succeeded`, …) whose
-- `data.items` lists each item's entry; it takes `seq` values up to its own (one per entry),
-- and readers expand it into per-item events (src/store/sql/event-batch.ts).
CREATE TABLE events_new (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  item_id TEXT,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
INSERT INTO events_new (seq, id, workspace_id, run_id, item_id, type, data, created_at)
  SELECT seq, id, workspace_id, run_id, item_id, type, data, created_at FROM events ORDER BY seq;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_run ON events (run_id, seq);
