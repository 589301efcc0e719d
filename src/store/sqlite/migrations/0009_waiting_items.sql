-- Items that wait for an answer, and what a run acts on and produced (issue 11, part 3):
-- `items.waiting` holds a waiting item's question (`{"prompt": ..., "form": ...}` JSON; kept
-- once answered); `runs.items_waiting` counts the run's `waiting_for_input` items, a bucket of
-- its own beside `items_running` (leased items only), so `items_total` is still the sum of the
-- buckets; `runs.subject` (what the run acts on) and `runs.output` (what it produced, set by
-- its kind) are nullable JSON.
ALTER TABLE items ADD COLUMN waiting TEXT;
ALTER TABLE runs ADD COLUMN items_waiting INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN subject TEXT;
ALTER TABLE runs ADD COLUMN output TEXT;
