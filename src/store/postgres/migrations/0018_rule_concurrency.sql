-- Per-key concurrency on rules (issue 15): `concurrency {key, limit}` lets at most `limit`
-- non-terminal runs started by a rule share one key value.
--
-- A run takes one of the key's numbered slots by unique key (rule, key, n), so concurrent routers
-- on any node never hand out limit + 1; a retry of the same cause finds its slot (unique rule +
-- cause). A slot is bound to its run once started; it is freed when that run is terminal, or when
-- its fire ended without a run.
CREATE TABLE trigger_concurrency_slots (
  source_id TEXT NOT NULL,
  slot_key TEXT NOT NULL,
  n INTEGER NOT NULL,
  cause TEXT NOT NULL,
  run_id TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (source_id, slot_key, n)
);
CREATE UNIQUE INDEX trigger_concurrency_slots_cause ON trigger_concurrency_slots (source_id, cause);
CREATE INDEX trigger_concurrency_slots_run ON trigger_concurrency_slots (run_id) WHERE run_id IS NOT NULL;

-- A fire over its key's limit stays `pending` (held durably, reason `concurrency_limit`) with
-- its key here; a freed slot wakes the oldest held fire of the same rule and key.
ALTER TABLE trigger_fires ADD COLUMN hold_key TEXT;
CREATE INDEX trigger_fires_held ON trigger_fires (source_id, hold_key, created_at) WHERE status = 'pending' AND hold_key IS NOT NULL;

-- A hook verified by a provider's own HMAC scheme instead of Standard Webhooks: JSON
-- `{header, algorithm, encoding, prefix, id_header}`; null for Standard Webhooks.
ALTER TABLE hooks ADD COLUMN signature TEXT;
