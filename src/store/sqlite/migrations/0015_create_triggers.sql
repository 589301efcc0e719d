-- Triggers (issue 15): events, rules (versioned), schedules and signed webhooks that start runs.
-- Runs already carry `trigger_type/source_id/actor` (0001): runs created before this migration
-- keep the `manual` or `api` type they were started with.
--
-- Safety comes from unique keys, not from timing:
-- - `trigger_events.dedupe_key` is unique per workspace: a repeated client `id` (or a replayed
--   `webhook-id`) inserts nothing and the first event is returned; after 24 h the key is cleared
--   so it may be used again.
-- - `trigger_fires` has one row per cause (a rule + an event, or a schedule + a slot time),
--   written in the same transaction as the event or the slot claim: a cause is routed at most
--   once (the run's idempotency key is derived from it) and never lost (a sweep routes `pending`
--   rows whose lease lapsed).
-- - a debounced rule's fire waits in `pending` until its lease (the debounce period) lapses; a
--   later event of the same rule and `group_key` marks the waiting one `skipped: debounced`.
CREATE TABLE trigger_events (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  data TEXT NOT NULL,
  client_id TEXT,
  dedupe_key TEXT,
  source_type TEXT NOT NULL,
  source_id TEXT,
  actor TEXT,
  ts INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX trigger_events_dedupe ON trigger_events (workspace_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX trigger_events_name ON trigger_events (workspace_id, name, id);
CREATE INDEX trigger_events_ws ON trigger_events (workspace_id, id);

CREATE TABLE rules (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  on_event TEXT NOT NULL,
  status TEXT NOT NULL,
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX rules_on_event ON rules (workspace_id, on_event);

CREATE TABLE rule_versions (
  rule_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  workspace_id TEXT NOT NULL,
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (rule_id, version)
);

CREATE TABLE schedules (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  status TEXT NOT NULL,
  definition TEXT NOT NULL,
  cursor_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX schedules_active ON schedules (status);

CREATE TABLE trigger_fires (
  workspace_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  cause TEXT NOT NULL,
  source_type TEXT NOT NULL,
  source_version INTEGER NOT NULL,
  event_id TEXT,
  group_key TEXT,
  slot_at INTEGER,
  status TEXT NOT NULL,
  reason TEXT,
  run_id TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (source_id, cause)
);
CREATE INDEX trigger_fires_pending ON trigger_fires (lease_until) WHERE status = 'pending';
CREATE INDEX trigger_fires_event ON trigger_fires (event_id) WHERE event_id IS NOT NULL;
CREATE INDEX trigger_fires_group ON trigger_fires (source_id, group_key) WHERE status = 'pending' AND group_key IS NOT NULL;
CREATE INDEX trigger_fires_source ON trigger_fires (workspace_id, source_id, created_at);

-- A rule's `rate` (N runs per window): a run takes one of the window's N numbered tokens, by
-- unique key, so concurrent routers never hand out N + 1; a retry of the same cause finds its token.
CREATE TABLE trigger_rate_tokens (
  source_id TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  n INTEGER NOT NULL,
  cause TEXT NOT NULL,
  PRIMARY KEY (source_id, window_start, n)
);
CREATE UNIQUE INDEX trigger_rate_tokens_cause ON trigger_rate_tokens (source_id, cause);

CREATE TABLE hooks (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  event_name TEXT NOT NULL,
  status TEXT NOT NULL,
  secrets TEXT NOT NULL,
  max_body_bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE hook_rejections (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  hook_id TEXT NOT NULL,
  webhook_id TEXT,
  status INTEGER NOT NULL,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX hook_rejections_hook ON hook_rejections (hook_id, id);
