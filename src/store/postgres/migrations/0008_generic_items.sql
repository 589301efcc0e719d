-- Items a run creates as it advances (issue 11, part 3): an item may name its own producer and
-- cost bound (null: the run's `spec.producer` and `item_cost_bound`), and an item key is unique
-- in its run, so an append that is replayed (a completion retried after a crash) inserts nothing
-- twice (`ON CONFLICT (run_id, key) DO NOTHING`).
ALTER TABLE items ADD COLUMN producer TEXT, ADD COLUMN cost_bound BIGINT;
CREATE UNIQUE INDEX items_key ON items (run_id, key);
