-- Fewer writes per item (issue 11, part 4): `seq` is the events' key and already unique, so the
-- unique index on `id` (a second b-tree written for every event) goes. Readers expand batch
-- rows (`items.started`, `items.succeeded`, … listing their items in `data.items`) into
-- per-item events (src/store/sql/event-batch.ts).
ALTER TABLE events DROP CONSTRAINT events_id_key;
