CREATE TABLE api_tokens (
  id text NOT NULL,
  workspace_id text NOT NULL,
  name text NOT NULL,
  role text NOT NULL,
  kind text NOT NULL,
  parent_id text,
  token_hash text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint,
  last_used_at bigint,
  revoked_at bigint
);

CREATE TABLE audit_log (
  seq bigint NOT NULL DEFAULT nextval('audit_log_seq_seq'::regclass),
  id text NOT NULL,
  workspace_id text NOT NULL,
  token_id text,
  token_name text,
  method text NOT NULL,
  route text NOT NULL,
  target_id text,
  status integer NOT NULL,
  outcome text NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE cells (
  workspace_id text NOT NULL,
  table_id text NOT NULL,
  row_id text NOT NULL,
  column_id text NOT NULL,
  status text NOT NULL,
  value text,
  error text,
  run_id text NOT NULL,
  item_id text NOT NULL,
  attempt integer NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE columns (
  id text NOT NULL,
  workspace_id text NOT NULL,
  table_id text NOT NULL,
  name text NOT NULL,
  producer text NOT NULL,
  config text NOT NULL,
  profile text NOT NULL,
  version integer NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE credentials (
  workspace_id text NOT NULL,
  name text NOT NULL,
  box text NOT NULL,
  version integer NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE credit_accounts (
  workspace_id text NOT NULL,
  granted bigint NOT NULL DEFAULT 0,
  captured bigint NOT NULL DEFAULT 0,
  outstanding bigint NOT NULL DEFAULT 0,
  adjusted bigint NOT NULL DEFAULT 0,
  updated_at bigint NOT NULL
);

CREATE TABLE events (
  seq bigint NOT NULL DEFAULT nextval('events_seq_seq'::regclass),
  id text NOT NULL,
  workspace_id text NOT NULL,
  run_id text NOT NULL,
  item_id text,
  type text NOT NULL,
  data text NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE flows (
  id text NOT NULL,
  version bigint NOT NULL,
  workspace_id text NOT NULL,
  name text NOT NULL,
  description text,
  definition text NOT NULL,
  source text NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE hook_rejections (
  id text NOT NULL,
  workspace_id text NOT NULL,
  hook_id text NOT NULL,
  webhook_id text,
  status bigint NOT NULL,
  reason text NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE hooks (
  id text NOT NULL,
  workspace_id text NOT NULL,
  name text NOT NULL,
  event_name text NOT NULL,
  status text NOT NULL,
  secrets text NOT NULL,
  max_body_bytes bigint NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  signature text
);

CREATE TABLE ingestion_sources (
  id text NOT NULL,
  version integer NOT NULL,
  workspace_id text NOT NULL,
  name text NOT NULL,
  table_id text NOT NULL,
  definition text NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE items (
  id text NOT NULL,
  workspace_id text NOT NULL,
  run_id text NOT NULL,
  ordinal integer NOT NULL,
  key text NOT NULL,
  status text NOT NULL,
  attempt_count integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  next_attempt_at bigint,
  inputs text,
  outputs text,
  error text,
  provider text,
  usage text,
  credits_used bigint NOT NULL DEFAULT 0,
  lease_token text,
  lease_owner text,
  lease_expires_at bigint,
  started_at bigint,
  finished_at bigint,
  duration_ms bigint,
  lease_lost_count integer NOT NULL DEFAULT 0,
  producer text,
  cost_bound bigint,
  waiting text
);

CREATE TABLE ledger_entries (
  seq bigint NOT NULL DEFAULT nextval('ledger_entries_seq_seq'::regclass),
  id text NOT NULL,
  workspace_id text NOT NULL,
  kind text NOT NULL,
  amount bigint NOT NULL,
  run_id text,
  item_id text,
  idempotency_key text NOT NULL,
  reason text,
  created_at bigint NOT NULL
);

CREATE TABLE nodes (
  id text NOT NULL,
  workspace_id text NOT NULL,
  hostname text NOT NULL,
  pid integer NOT NULL,
  roles text NOT NULL,
  capacity integer NOT NULL,
  started_at bigint NOT NULL,
  heartbeat_at bigint NOT NULL,
  stopped_at bigint,
  pid_namespace text
);

CREATE TABLE operations (
  id text NOT NULL,
  workspace_id text NOT NULL,
  action text NOT NULL,
  filter text NOT NULL,
  status text NOT NULL,
  total integer NOT NULL DEFAULT 0,
  succeeded integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  error text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  finished_at bigint
);

CREATE TABLE price_versions (
  workspace_id text NOT NULL,
  version integer NOT NULL,
  prices text NOT NULL,
  source text NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE row_comments (
  id text NOT NULL,
  workspace_id text NOT NULL,
  table_id text NOT NULL,
  row_id text NOT NULL,
  author text NOT NULL,
  body text NOT NULL,
  slot text,
  created_by_run text,
  updated_by_run text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE rule_versions (
  rule_id text NOT NULL,
  version bigint NOT NULL,
  workspace_id text NOT NULL,
  definition text NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE rules (
  id text NOT NULL,
  workspace_id text NOT NULL,
  name text NOT NULL,
  version bigint NOT NULL,
  on_event text NOT NULL,
  status text NOT NULL,
  definition text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE runs (
  id text NOT NULL,
  workspace_id text NOT NULL,
  kind text NOT NULL,
  target_id text NOT NULL,
  target_version integer NOT NULL,
  name text NOT NULL,
  status text NOT NULL,
  phase text,
  mode text NOT NULL,
  trigger_type text NOT NULL,
  trigger_source_id text,
  trigger_actor text,
  profile text NOT NULL,
  prompt text,
  session_id text,
  items_total integer NOT NULL,
  items_succeeded integer NOT NULL DEFAULT 0,
  items_failed integer NOT NULL DEFAULT 0,
  items_pending integer NOT NULL DEFAULT 0,
  items_running integer NOT NULL DEFAULT 0,
  items_skipped integer NOT NULL DEFAULT 0,
  items_canceled integer NOT NULL DEFAULT 0,
  credits_reserved bigint NOT NULL DEFAULT 0,
  credits_used bigint NOT NULL DEFAULT 0,
  result_summary text,
  error text,
  retry_of text,
  idempotency_key text,
  request_hash text,
  tags text NOT NULL,
  spec text NOT NULL,
  scheduled_for bigint,
  claimed_by text,
  created_at bigint NOT NULL,
  started_at bigint,
  finished_at bigint,
  updated_at bigint NOT NULL,
  pinned integer NOT NULL DEFAULT 0,
  overrides_env text,
  overrides_secrets text,
  paused_reason text,
  credit_cap bigint,
  item_cost_bound bigint NOT NULL DEFAULT 0,
  credits_released bigint NOT NULL DEFAULT 0,
  price_version integer,
  items_waiting bigint NOT NULL DEFAULT 0,
  subject text,
  output text,
  held_by text
);

CREATE TABLE runyard_migrations (
  id integer NOT NULL,
  name text NOT NULL,
  applied_at bigint NOT NULL
);

CREATE TABLE schedules (
  id text NOT NULL,
  workspace_id text NOT NULL,
  name text NOT NULL,
  version bigint NOT NULL,
  status text NOT NULL,
  definition text NOT NULL,
  cursor_at bigint NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE settings (
  key text NOT NULL,
  value text NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE table_rows (
  id text NOT NULL,
  workspace_id text NOT NULL,
  table_id text NOT NULL,
  ordinal integer NOT NULL,
  data text NOT NULL,
  key text,
  source_run_id text,
  source_item_key text
);

CREATE TABLE tables (
  id text NOT NULL,
  workspace_id text NOT NULL,
  name text NOT NULL,
  fields text NOT NULL,
  row_count integer NOT NULL,
  created_at bigint NOT NULL,
  status text NOT NULL DEFAULT 'ready'::text,
  label_column text
);

CREATE TABLE trigger_concurrency_slots (
  source_id text NOT NULL,
  slot_key text NOT NULL,
  n integer NOT NULL,
  cause text NOT NULL,
  run_id text,
  created_at bigint NOT NULL
);

CREATE TABLE trigger_events (
  id text NOT NULL,
  workspace_id text NOT NULL,
  name text NOT NULL,
  data text NOT NULL,
  client_id text,
  dedupe_key text,
  source_type text NOT NULL,
  source_id text,
  actor text,
  ts bigint NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE trigger_fires (
  workspace_id text NOT NULL,
  source_id text NOT NULL,
  cause text NOT NULL,
  source_type text NOT NULL,
  source_version bigint NOT NULL,
  event_id text,
  group_key text,
  slot_at bigint,
  status text NOT NULL,
  reason text,
  run_id text,
  attempts integer NOT NULL DEFAULT 0,
  lease_until bigint NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  hold_key text
);

CREATE TABLE trigger_rate_tokens (
  source_id text NOT NULL,
  window_start bigint NOT NULL,
  n integer NOT NULL,
  cause text NOT NULL
);

CREATE TABLE waits (
  id text NOT NULL,
  workspace_id text NOT NULL,
  run_id text NOT NULL,
  item_id text NOT NULL,
  step_key text NOT NULL,
  phase text,
  title text,
  status text NOT NULL,
  on_timeout text NOT NULL,
  expires_at bigint NOT NULL,
  response text,
  responded_by text,
  idempotency_key text,
  reason text,
  created_at bigint NOT NULL,
  closed_at bigint
);

CREATE TABLE worker_versions (
  id text NOT NULL,
  version integer NOT NULL,
  workspace_id text NOT NULL,
  name text NOT NULL,
  template_key text,
  definition text NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE workers (
  id text NOT NULL,
  workspace_id text NOT NULL,
  status text NOT NULL,
  latest_version integer NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE workspaces (
  id text NOT NULL,
  workspace_id text NOT NULL,
  name text NOT NULL,
  created_at bigint NOT NULL,
  created_by text,
  updated_at bigint NOT NULL DEFAULT 0
);

ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_created_at_not_null NOT NULL created_at;

ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_id_not_null NOT NULL id;

ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_kind_not_null NOT NULL kind;

ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_name_not_null NOT NULL name;

ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_pkey PRIMARY KEY (id);

ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_not_null NOT NULL role;

ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash);

ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_token_hash_not_null NOT NULL token_hash;

ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces(id);

ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE audit_log ADD CONSTRAINT audit_log_created_at_not_null NOT NULL created_at;

ALTER TABLE audit_log ADD CONSTRAINT audit_log_id_key UNIQUE (id);

ALTER TABLE audit_log ADD CONSTRAINT audit_log_id_not_null NOT NULL id;

ALTER TABLE audit_log ADD CONSTRAINT audit_log_method_not_null NOT NULL method;

ALTER TABLE audit_log ADD CONSTRAINT audit_log_outcome_not_null NOT NULL outcome;

ALTER TABLE audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY (seq);

ALTER TABLE audit_log ADD CONSTRAINT audit_log_route_not_null NOT NULL route;

ALTER TABLE audit_log ADD CONSTRAINT audit_log_seq_not_null NOT NULL seq;

ALTER TABLE audit_log ADD CONSTRAINT audit_log_status_not_null NOT NULL status;

ALTER TABLE audit_log ADD CONSTRAINT audit_log_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE cells ADD CONSTRAINT cells_attempt_not_null NOT NULL attempt;

ALTER TABLE cells ADD CONSTRAINT cells_column_id_not_null NOT NULL column_id;

ALTER TABLE cells ADD CONSTRAINT cells_item_id_not_null NOT NULL item_id;

ALTER TABLE cells ADD CONSTRAINT cells_pkey PRIMARY KEY (column_id, row_id);

ALTER TABLE cells ADD CONSTRAINT cells_row_id_not_null NOT NULL row_id;

ALTER TABLE cells ADD CONSTRAINT cells_run_id_not_null NOT NULL run_id;

ALTER TABLE cells ADD CONSTRAINT cells_status_not_null NOT NULL status;

ALTER TABLE cells ADD CONSTRAINT cells_table_id_not_null NOT NULL table_id;

ALTER TABLE cells ADD CONSTRAINT cells_updated_at_not_null NOT NULL updated_at;

ALTER TABLE cells ADD CONSTRAINT cells_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE columns ADD CONSTRAINT columns_config_not_null NOT NULL config;

ALTER TABLE columns ADD CONSTRAINT columns_created_at_not_null NOT NULL created_at;

ALTER TABLE columns ADD CONSTRAINT columns_id_not_null NOT NULL id;

ALTER TABLE columns ADD CONSTRAINT columns_name_not_null NOT NULL name;

ALTER TABLE columns ADD CONSTRAINT columns_pkey PRIMARY KEY (id);

ALTER TABLE columns ADD CONSTRAINT columns_producer_not_null NOT NULL producer;

ALTER TABLE columns ADD CONSTRAINT columns_profile_not_null NOT NULL profile;

ALTER TABLE columns ADD CONSTRAINT columns_table_id_fkey FOREIGN KEY (table_id) REFERENCES tables(id) ON DELETE CASCADE;

ALTER TABLE columns ADD CONSTRAINT columns_table_id_not_null NOT NULL table_id;

ALTER TABLE columns ADD CONSTRAINT columns_updated_at_not_null NOT NULL updated_at;

ALTER TABLE columns ADD CONSTRAINT columns_version_not_null NOT NULL version;

ALTER TABLE columns ADD CONSTRAINT columns_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE credentials ADD CONSTRAINT credentials_box_not_null NOT NULL box;

ALTER TABLE credentials ADD CONSTRAINT credentials_created_at_not_null NOT NULL created_at;

ALTER TABLE credentials ADD CONSTRAINT credentials_name_not_null NOT NULL name;

ALTER TABLE credentials ADD CONSTRAINT credentials_pkey PRIMARY KEY (workspace_id, name);

ALTER TABLE credentials ADD CONSTRAINT credentials_updated_at_not_null NOT NULL updated_at;

ALTER TABLE credentials ADD CONSTRAINT credentials_version_not_null NOT NULL version;

ALTER TABLE credentials ADD CONSTRAINT credentials_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE credit_accounts ADD CONSTRAINT credit_accounts_adjusted_not_null NOT NULL adjusted;

ALTER TABLE credit_accounts ADD CONSTRAINT credit_accounts_captured_not_null NOT NULL captured;

ALTER TABLE credit_accounts ADD CONSTRAINT credit_accounts_granted_not_null NOT NULL granted;

ALTER TABLE credit_accounts ADD CONSTRAINT credit_accounts_outstanding_not_null NOT NULL outstanding;

ALTER TABLE credit_accounts ADD CONSTRAINT credit_accounts_pkey PRIMARY KEY (workspace_id);

ALTER TABLE credit_accounts ADD CONSTRAINT credit_accounts_updated_at_not_null NOT NULL updated_at;

ALTER TABLE credit_accounts ADD CONSTRAINT credit_accounts_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE events ADD CONSTRAINT events_created_at_not_null NOT NULL created_at;

ALTER TABLE events ADD CONSTRAINT events_data_not_null NOT NULL data;

ALTER TABLE events ADD CONSTRAINT events_id_not_null NOT NULL id;

ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (seq);

ALTER TABLE events ADD CONSTRAINT events_run_id_not_null NOT NULL run_id;

ALTER TABLE events ADD CONSTRAINT events_seq_not_null NOT NULL seq;

ALTER TABLE events ADD CONSTRAINT events_type_not_null NOT NULL type;

ALTER TABLE events ADD CONSTRAINT events_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE flows ADD CONSTRAINT flows_created_at_not_null NOT NULL created_at;

ALTER TABLE flows ADD CONSTRAINT flows_definition_not_null NOT NULL definition;

ALTER TABLE flows ADD CONSTRAINT flows_id_not_null NOT NULL id;

ALTER TABLE flows ADD CONSTRAINT flows_name_not_null NOT NULL name;

ALTER TABLE flows ADD CONSTRAINT flows_pkey PRIMARY KEY (id, version);

ALTER TABLE flows ADD CONSTRAINT flows_source_not_null NOT NULL source;

ALTER TABLE flows ADD CONSTRAINT flows_version_not_null NOT NULL version;

ALTER TABLE flows ADD CONSTRAINT flows_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE hook_rejections ADD CONSTRAINT hook_rejections_created_at_not_null NOT NULL created_at;

ALTER TABLE hook_rejections ADD CONSTRAINT hook_rejections_hook_id_not_null NOT NULL hook_id;

ALTER TABLE hook_rejections ADD CONSTRAINT hook_rejections_id_not_null NOT NULL id;

ALTER TABLE hook_rejections ADD CONSTRAINT hook_rejections_pkey PRIMARY KEY (id);

ALTER TABLE hook_rejections ADD CONSTRAINT hook_rejections_reason_not_null NOT NULL reason;

ALTER TABLE hook_rejections ADD CONSTRAINT hook_rejections_status_not_null NOT NULL status;

ALTER TABLE hook_rejections ADD CONSTRAINT hook_rejections_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE hooks ADD CONSTRAINT hooks_created_at_not_null NOT NULL created_at;

ALTER TABLE hooks ADD CONSTRAINT hooks_event_name_not_null NOT NULL event_name;

ALTER TABLE hooks ADD CONSTRAINT hooks_id_not_null NOT NULL id;

ALTER TABLE hooks ADD CONSTRAINT hooks_max_body_bytes_not_null NOT NULL max_body_bytes;

ALTER TABLE hooks ADD CONSTRAINT hooks_name_not_null NOT NULL name;

ALTER TABLE hooks ADD CONSTRAINT hooks_pkey PRIMARY KEY (id);

ALTER TABLE hooks ADD CONSTRAINT hooks_secrets_not_null NOT NULL secrets;

ALTER TABLE hooks ADD CONSTRAINT hooks_status_not_null NOT NULL status;

ALTER TABLE hooks ADD CONSTRAINT hooks_updated_at_not_null NOT NULL updated_at;

ALTER TABLE hooks ADD CONSTRAINT hooks_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE ingestion_sources ADD CONSTRAINT ingestion_sources_created_at_not_null NOT NULL created_at;

ALTER TABLE ingestion_sources ADD CONSTRAINT ingestion_sources_definition_not_null NOT NULL definition;

ALTER TABLE ingestion_sources ADD CONSTRAINT ingestion_sources_id_not_null NOT NULL id;

ALTER TABLE ingestion_sources ADD CONSTRAINT ingestion_sources_name_not_null NOT NULL name;

ALTER TABLE ingestion_sources ADD CONSTRAINT ingestion_sources_pkey PRIMARY KEY (id, version);

ALTER TABLE ingestion_sources ADD CONSTRAINT ingestion_sources_table_id_not_null NOT NULL table_id;

ALTER TABLE ingestion_sources ADD CONSTRAINT ingestion_sources_version_not_null NOT NULL version;

ALTER TABLE ingestion_sources ADD CONSTRAINT ingestion_sources_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE items ADD CONSTRAINT items_attempt_count_not_null NOT NULL attempt_count;

ALTER TABLE items ADD CONSTRAINT items_credits_used_not_null NOT NULL credits_used;

ALTER TABLE items ADD CONSTRAINT items_id_not_null NOT NULL id;

ALTER TABLE items ADD CONSTRAINT items_key_not_null NOT NULL key;

ALTER TABLE items ADD CONSTRAINT items_lease_lost_count_not_null NOT NULL lease_lost_count;

ALTER TABLE items ADD CONSTRAINT items_max_attempts_not_null NOT NULL max_attempts;

ALTER TABLE items ADD CONSTRAINT items_ordinal_not_null NOT NULL ordinal;

ALTER TABLE items ADD CONSTRAINT items_pkey PRIMARY KEY (id);

ALTER TABLE items ADD CONSTRAINT items_run_id_fkey FOREIGN KEY (run_id) REFERENCES runs(id) ON DELETE CASCADE;

ALTER TABLE items ADD CONSTRAINT items_run_id_not_null NOT NULL run_id;

ALTER TABLE items ADD CONSTRAINT items_status_not_null NOT NULL status;

ALTER TABLE items ADD CONSTRAINT items_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_amount_not_null NOT NULL amount;

ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_created_at_not_null NOT NULL created_at;

ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_id_key UNIQUE (id);

ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_id_not_null NOT NULL id;

ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_idempotency_key_not_null NOT NULL idempotency_key;

ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_not_null NOT NULL kind;

ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_pkey PRIMARY KEY (seq);

ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_seq_not_null NOT NULL seq;

ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE nodes ADD CONSTRAINT nodes_capacity_not_null NOT NULL capacity;

ALTER TABLE nodes ADD CONSTRAINT nodes_heartbeat_at_not_null NOT NULL heartbeat_at;

ALTER TABLE nodes ADD CONSTRAINT nodes_hostname_not_null NOT NULL hostname;

ALTER TABLE nodes ADD CONSTRAINT nodes_id_not_null NOT NULL id;

ALTER TABLE nodes ADD CONSTRAINT nodes_pid_not_null NOT NULL pid;

ALTER TABLE nodes ADD CONSTRAINT nodes_pkey PRIMARY KEY (id);

ALTER TABLE nodes ADD CONSTRAINT nodes_roles_not_null NOT NULL roles;

ALTER TABLE nodes ADD CONSTRAINT nodes_started_at_not_null NOT NULL started_at;

ALTER TABLE nodes ADD CONSTRAINT nodes_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE operations ADD CONSTRAINT operations_action_not_null NOT NULL action;

ALTER TABLE operations ADD CONSTRAINT operations_created_at_not_null NOT NULL created_at;

ALTER TABLE operations ADD CONSTRAINT operations_failed_not_null NOT NULL failed;

ALTER TABLE operations ADD CONSTRAINT operations_filter_not_null NOT NULL filter;

ALTER TABLE operations ADD CONSTRAINT operations_id_not_null NOT NULL id;

ALTER TABLE operations ADD CONSTRAINT operations_pkey PRIMARY KEY (id);

ALTER TABLE operations ADD CONSTRAINT operations_status_not_null NOT NULL status;

ALTER TABLE operations ADD CONSTRAINT operations_succeeded_not_null NOT NULL succeeded;

ALTER TABLE operations ADD CONSTRAINT operations_total_not_null NOT NULL total;

ALTER TABLE operations ADD CONSTRAINT operations_updated_at_not_null NOT NULL updated_at;

ALTER TABLE operations ADD CONSTRAINT operations_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE price_versions ADD CONSTRAINT price_versions_created_at_not_null NOT NULL created_at;

ALTER TABLE price_versions ADD CONSTRAINT price_versions_pkey PRIMARY KEY (workspace_id, version);

ALTER TABLE price_versions ADD CONSTRAINT price_versions_prices_not_null NOT NULL prices;

ALTER TABLE price_versions ADD CONSTRAINT price_versions_source_not_null NOT NULL source;

ALTER TABLE price_versions ADD CONSTRAINT price_versions_version_not_null NOT NULL version;

ALTER TABLE price_versions ADD CONSTRAINT price_versions_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces(id);

ALTER TABLE price_versions ADD CONSTRAINT price_versions_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE row_comments ADD CONSTRAINT row_comments_author_not_null NOT NULL author;

ALTER TABLE row_comments ADD CONSTRAINT row_comments_body_not_null NOT NULL body;

ALTER TABLE row_comments ADD CONSTRAINT row_comments_created_at_not_null NOT NULL created_at;

ALTER TABLE row_comments ADD CONSTRAINT row_comments_id_not_null NOT NULL id;

ALTER TABLE row_comments ADD CONSTRAINT row_comments_pkey PRIMARY KEY (id);

ALTER TABLE row_comments ADD CONSTRAINT row_comments_row_id_fkey FOREIGN KEY (row_id) REFERENCES table_rows(id) ON DELETE CASCADE;

ALTER TABLE row_comments ADD CONSTRAINT row_comments_row_id_not_null NOT NULL row_id;

ALTER TABLE row_comments ADD CONSTRAINT row_comments_table_id_not_null NOT NULL table_id;

ALTER TABLE row_comments ADD CONSTRAINT row_comments_updated_at_not_null NOT NULL updated_at;

ALTER TABLE row_comments ADD CONSTRAINT row_comments_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE rule_versions ADD CONSTRAINT rule_versions_created_at_not_null NOT NULL created_at;

ALTER TABLE rule_versions ADD CONSTRAINT rule_versions_definition_not_null NOT NULL definition;

ALTER TABLE rule_versions ADD CONSTRAINT rule_versions_pkey PRIMARY KEY (rule_id, version);

ALTER TABLE rule_versions ADD CONSTRAINT rule_versions_rule_id_not_null NOT NULL rule_id;

ALTER TABLE rule_versions ADD CONSTRAINT rule_versions_version_not_null NOT NULL version;

ALTER TABLE rule_versions ADD CONSTRAINT rule_versions_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE rules ADD CONSTRAINT rules_created_at_not_null NOT NULL created_at;

ALTER TABLE rules ADD CONSTRAINT rules_definition_not_null NOT NULL definition;

ALTER TABLE rules ADD CONSTRAINT rules_id_not_null NOT NULL id;

ALTER TABLE rules ADD CONSTRAINT rules_name_not_null NOT NULL name;

ALTER TABLE rules ADD CONSTRAINT rules_on_event_not_null NOT NULL on_event;

ALTER TABLE rules ADD CONSTRAINT rules_pkey PRIMARY KEY (id);

ALTER TABLE rules ADD CONSTRAINT rules_status_not_null NOT NULL status;

ALTER TABLE rules ADD CONSTRAINT rules_updated_at_not_null NOT NULL updated_at;

ALTER TABLE rules ADD CONSTRAINT rules_version_not_null NOT NULL version;

ALTER TABLE rules ADD CONSTRAINT rules_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE runs ADD CONSTRAINT runs_created_at_not_null NOT NULL created_at;

ALTER TABLE runs ADD CONSTRAINT runs_credits_released_not_null NOT NULL credits_released;

ALTER TABLE runs ADD CONSTRAINT runs_credits_reserved_not_null NOT NULL credits_reserved;

ALTER TABLE runs ADD CONSTRAINT runs_credits_used_not_null NOT NULL credits_used;

ALTER TABLE runs ADD CONSTRAINT runs_id_not_null NOT NULL id;

ALTER TABLE runs ADD CONSTRAINT runs_item_cost_bound_not_null NOT NULL item_cost_bound;

ALTER TABLE runs ADD CONSTRAINT runs_items_canceled_not_null NOT NULL items_canceled;

ALTER TABLE runs ADD CONSTRAINT runs_items_failed_not_null NOT NULL items_failed;

ALTER TABLE runs ADD CONSTRAINT runs_items_pending_not_null NOT NULL items_pending;

ALTER TABLE runs ADD CONSTRAINT runs_items_running_not_null NOT NULL items_running;

ALTER TABLE runs ADD CONSTRAINT runs_items_skipped_not_null NOT NULL items_skipped;

ALTER TABLE runs ADD CONSTRAINT runs_items_succeeded_not_null NOT NULL items_succeeded;

ALTER TABLE runs ADD CONSTRAINT runs_items_total_not_null NOT NULL items_total;

ALTER TABLE runs ADD CONSTRAINT runs_items_waiting_not_null NOT NULL items_waiting;

ALTER TABLE runs ADD CONSTRAINT runs_kind_not_null NOT NULL kind;

ALTER TABLE runs ADD CONSTRAINT runs_mode_not_null NOT NULL mode;

ALTER TABLE runs ADD CONSTRAINT runs_name_not_null NOT NULL name;

ALTER TABLE runs ADD CONSTRAINT runs_pinned_not_null NOT NULL pinned;

ALTER TABLE runs ADD CONSTRAINT runs_pkey PRIMARY KEY (id);

ALTER TABLE runs ADD CONSTRAINT runs_profile_not_null NOT NULL profile;

ALTER TABLE runs ADD CONSTRAINT runs_spec_not_null NOT NULL spec;

ALTER TABLE runs ADD CONSTRAINT runs_status_not_null NOT NULL status;

ALTER TABLE runs ADD CONSTRAINT runs_tags_not_null NOT NULL tags;

ALTER TABLE runs ADD CONSTRAINT runs_target_id_not_null NOT NULL target_id;

ALTER TABLE runs ADD CONSTRAINT runs_target_version_not_null NOT NULL target_version;

ALTER TABLE runs ADD CONSTRAINT runs_trigger_type_not_null NOT NULL trigger_type;

ALTER TABLE runs ADD CONSTRAINT runs_updated_at_not_null NOT NULL updated_at;

ALTER TABLE runs ADD CONSTRAINT runs_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE runyard_migrations ADD CONSTRAINT runyard_migrations_applied_at_not_null NOT NULL applied_at;

ALTER TABLE runyard_migrations ADD CONSTRAINT runyard_migrations_id_not_null NOT NULL id;

ALTER TABLE runyard_migrations ADD CONSTRAINT runyard_migrations_name_not_null NOT NULL name;

ALTER TABLE runyard_migrations ADD CONSTRAINT runyard_migrations_pkey PRIMARY KEY (id);

ALTER TABLE schedules ADD CONSTRAINT schedules_created_at_not_null NOT NULL created_at;

ALTER TABLE schedules ADD CONSTRAINT schedules_cursor_at_not_null NOT NULL cursor_at;

ALTER TABLE schedules ADD CONSTRAINT schedules_definition_not_null NOT NULL definition;

ALTER TABLE schedules ADD CONSTRAINT schedules_id_not_null NOT NULL id;

ALTER TABLE schedules ADD CONSTRAINT schedules_name_not_null NOT NULL name;

ALTER TABLE schedules ADD CONSTRAINT schedules_pkey PRIMARY KEY (id);

ALTER TABLE schedules ADD CONSTRAINT schedules_status_not_null NOT NULL status;

ALTER TABLE schedules ADD CONSTRAINT schedules_updated_at_not_null NOT NULL updated_at;

ALTER TABLE schedules ADD CONSTRAINT schedules_version_not_null NOT NULL version;

ALTER TABLE schedules ADD CONSTRAINT schedules_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE settings ADD CONSTRAINT settings_created_at_not_null NOT NULL created_at;

ALTER TABLE settings ADD CONSTRAINT settings_key_not_null NOT NULL key;

ALTER TABLE settings ADD CONSTRAINT settings_pkey PRIMARY KEY (key);

ALTER TABLE settings ADD CONSTRAINT settings_value_not_null NOT NULL value;

ALTER TABLE table_rows ADD CONSTRAINT table_rows_data_not_null NOT NULL data;

ALTER TABLE table_rows ADD CONSTRAINT table_rows_id_not_null NOT NULL id;

ALTER TABLE table_rows ADD CONSTRAINT table_rows_ordinal_not_null NOT NULL ordinal;

ALTER TABLE table_rows ADD CONSTRAINT table_rows_pkey PRIMARY KEY (id);

ALTER TABLE table_rows ADD CONSTRAINT table_rows_table_id_fkey FOREIGN KEY (table_id) REFERENCES tables(id) ON DELETE CASCADE;

ALTER TABLE table_rows ADD CONSTRAINT table_rows_table_id_not_null NOT NULL table_id;

ALTER TABLE table_rows ADD CONSTRAINT table_rows_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE tables ADD CONSTRAINT tables_created_at_not_null NOT NULL created_at;

ALTER TABLE tables ADD CONSTRAINT tables_fields_not_null NOT NULL fields;

ALTER TABLE tables ADD CONSTRAINT tables_id_not_null NOT NULL id;

ALTER TABLE tables ADD CONSTRAINT tables_name_not_null NOT NULL name;

ALTER TABLE tables ADD CONSTRAINT tables_pkey PRIMARY KEY (id);

ALTER TABLE tables ADD CONSTRAINT tables_row_count_not_null NOT NULL row_count;

ALTER TABLE tables ADD CONSTRAINT tables_status_not_null NOT NULL status;

ALTER TABLE tables ADD CONSTRAINT tables_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces(id);

ALTER TABLE tables ADD CONSTRAINT tables_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE trigger_concurrency_slots ADD CONSTRAINT trigger_concurrency_slots_cause_not_null NOT NULL cause;

ALTER TABLE trigger_concurrency_slots ADD CONSTRAINT trigger_concurrency_slots_created_at_not_null NOT NULL created_at;

ALTER TABLE trigger_concurrency_slots ADD CONSTRAINT trigger_concurrency_slots_n_not_null NOT NULL n;

ALTER TABLE trigger_concurrency_slots ADD CONSTRAINT trigger_concurrency_slots_pkey PRIMARY KEY (source_id, slot_key, n);

ALTER TABLE trigger_concurrency_slots ADD CONSTRAINT trigger_concurrency_slots_slot_key_not_null NOT NULL slot_key;

ALTER TABLE trigger_concurrency_slots ADD CONSTRAINT trigger_concurrency_slots_source_id_not_null NOT NULL source_id;

ALTER TABLE trigger_events ADD CONSTRAINT trigger_events_created_at_not_null NOT NULL created_at;

ALTER TABLE trigger_events ADD CONSTRAINT trigger_events_data_not_null NOT NULL data;

ALTER TABLE trigger_events ADD CONSTRAINT trigger_events_id_not_null NOT NULL id;

ALTER TABLE trigger_events ADD CONSTRAINT trigger_events_name_not_null NOT NULL name;

ALTER TABLE trigger_events ADD CONSTRAINT trigger_events_pkey PRIMARY KEY (id);

ALTER TABLE trigger_events ADD CONSTRAINT trigger_events_source_type_not_null NOT NULL source_type;

ALTER TABLE trigger_events ADD CONSTRAINT trigger_events_ts_not_null NOT NULL ts;

ALTER TABLE trigger_events ADD CONSTRAINT trigger_events_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE trigger_fires ADD CONSTRAINT trigger_fires_attempts_not_null NOT NULL attempts;

ALTER TABLE trigger_fires ADD CONSTRAINT trigger_fires_cause_not_null NOT NULL cause;

ALTER TABLE trigger_fires ADD CONSTRAINT trigger_fires_created_at_not_null NOT NULL created_at;

ALTER TABLE trigger_fires ADD CONSTRAINT trigger_fires_lease_until_not_null NOT NULL lease_until;

ALTER TABLE trigger_fires ADD CONSTRAINT trigger_fires_pkey PRIMARY KEY (source_id, cause);

ALTER TABLE trigger_fires ADD CONSTRAINT trigger_fires_source_id_not_null NOT NULL source_id;

ALTER TABLE trigger_fires ADD CONSTRAINT trigger_fires_source_type_not_null NOT NULL source_type;

ALTER TABLE trigger_fires ADD CONSTRAINT trigger_fires_source_version_not_null NOT NULL source_version;

ALTER TABLE trigger_fires ADD CONSTRAINT trigger_fires_status_not_null NOT NULL status;

ALTER TABLE trigger_fires ADD CONSTRAINT trigger_fires_updated_at_not_null NOT NULL updated_at;

ALTER TABLE trigger_fires ADD CONSTRAINT trigger_fires_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE trigger_rate_tokens ADD CONSTRAINT trigger_rate_tokens_cause_not_null NOT NULL cause;

ALTER TABLE trigger_rate_tokens ADD CONSTRAINT trigger_rate_tokens_n_not_null NOT NULL n;

ALTER TABLE trigger_rate_tokens ADD CONSTRAINT trigger_rate_tokens_pkey PRIMARY KEY (source_id, window_start, n);

ALTER TABLE trigger_rate_tokens ADD CONSTRAINT trigger_rate_tokens_source_id_not_null NOT NULL source_id;

ALTER TABLE trigger_rate_tokens ADD CONSTRAINT trigger_rate_tokens_window_start_not_null NOT NULL window_start;

ALTER TABLE waits ADD CONSTRAINT waits_created_at_not_null NOT NULL created_at;

ALTER TABLE waits ADD CONSTRAINT waits_expires_at_not_null NOT NULL expires_at;

ALTER TABLE waits ADD CONSTRAINT waits_id_not_null NOT NULL id;

ALTER TABLE waits ADD CONSTRAINT waits_item_id_key UNIQUE (item_id);

ALTER TABLE waits ADD CONSTRAINT waits_item_id_not_null NOT NULL item_id;

ALTER TABLE waits ADD CONSTRAINT waits_on_timeout_not_null NOT NULL on_timeout;

ALTER TABLE waits ADD CONSTRAINT waits_pkey PRIMARY KEY (id);

ALTER TABLE waits ADD CONSTRAINT waits_run_id_not_null NOT NULL run_id;

ALTER TABLE waits ADD CONSTRAINT waits_status_not_null NOT NULL status;

ALTER TABLE waits ADD CONSTRAINT waits_step_key_not_null NOT NULL step_key;

ALTER TABLE waits ADD CONSTRAINT waits_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE worker_versions ADD CONSTRAINT worker_versions_created_at_not_null NOT NULL created_at;

ALTER TABLE worker_versions ADD CONSTRAINT worker_versions_definition_not_null NOT NULL definition;

ALTER TABLE worker_versions ADD CONSTRAINT worker_versions_id_not_null NOT NULL id;

ALTER TABLE worker_versions ADD CONSTRAINT worker_versions_name_not_null NOT NULL name;

ALTER TABLE worker_versions ADD CONSTRAINT worker_versions_pkey PRIMARY KEY (id, version);

ALTER TABLE worker_versions ADD CONSTRAINT worker_versions_version_not_null NOT NULL version;

ALTER TABLE worker_versions ADD CONSTRAINT worker_versions_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE workers ADD CONSTRAINT workers_created_at_not_null NOT NULL created_at;

ALTER TABLE workers ADD CONSTRAINT workers_id_not_null NOT NULL id;

ALTER TABLE workers ADD CONSTRAINT workers_latest_version_not_null NOT NULL latest_version;

ALTER TABLE workers ADD CONSTRAINT workers_pkey PRIMARY KEY (id);

ALTER TABLE workers ADD CONSTRAINT workers_status_not_null NOT NULL status;

ALTER TABLE workers ADD CONSTRAINT workers_updated_at_not_null NOT NULL updated_at;

ALTER TABLE workers ADD CONSTRAINT workers_workspace_id_not_null NOT NULL workspace_id;

ALTER TABLE workspaces ADD CONSTRAINT workspaces_created_at_not_null NOT NULL created_at;

ALTER TABLE workspaces ADD CONSTRAINT workspaces_id_not_null NOT NULL id;

ALTER TABLE workspaces ADD CONSTRAINT workspaces_name_not_null NOT NULL name;

ALTER TABLE workspaces ADD CONSTRAINT workspaces_pkey PRIMARY KEY (id);

ALTER TABLE workspaces ADD CONSTRAINT workspaces_updated_at_not_null NOT NULL updated_at;

ALTER TABLE workspaces ADD CONSTRAINT workspaces_workspace_id_not_null NOT NULL workspace_id;

CREATE UNIQUE INDEX api_tokens_pkey ON api_tokens USING btree (id);

CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens USING btree (token_hash);

CREATE INDEX api_tokens_workspace ON api_tokens USING btree (workspace_id, id);

CREATE UNIQUE INDEX audit_log_id_key ON audit_log USING btree (id);

CREATE UNIQUE INDEX audit_log_pkey ON audit_log USING btree (seq);

CREATE INDEX audit_workspace ON audit_log USING btree (workspace_id, seq);

CREATE UNIQUE INDEX cells_pkey ON cells USING btree (column_id, row_id);

CREATE UNIQUE INDEX columns_name ON columns USING btree (table_id, name);

CREATE UNIQUE INDEX columns_pkey ON columns USING btree (id);

CREATE UNIQUE INDEX credentials_pkey ON credentials USING btree (workspace_id, name);

CREATE UNIQUE INDEX credit_accounts_pkey ON credit_accounts USING btree (workspace_id);

CREATE UNIQUE INDEX events_pkey ON events USING btree (seq);

CREATE INDEX events_run ON events USING btree (run_id, seq);

CREATE UNIQUE INDEX flows_pkey ON flows USING btree (id, version);

CREATE INDEX flows_workspace ON flows USING btree (workspace_id, id, version);

CREATE INDEX hook_rejections_hook ON hook_rejections USING btree (hook_id, id);

CREATE UNIQUE INDEX hook_rejections_pkey ON hook_rejections USING btree (id);

CREATE UNIQUE INDEX hooks_pkey ON hooks USING btree (id);

CREATE UNIQUE INDEX ingestion_sources_pkey ON ingestion_sources USING btree (id, version);

CREATE INDEX ingestion_sources_ws ON ingestion_sources USING btree (workspace_id, id);

CREATE INDEX items_claimable ON items USING btree (run_id, next_attempt_at, ordinal) WHERE (status = ANY (ARRAY['pending'::text, 'retrying'::text]));

CREATE UNIQUE INDEX items_key ON items USING btree (run_id, key);

CREATE INDEX items_leased ON items USING btree (lease_expires_at) WHERE (status = 'running'::text);

CREATE UNIQUE INDEX items_order ON items USING btree (run_id, ordinal);

CREATE UNIQUE INDEX items_pkey ON items USING btree (id);

CREATE INDEX items_status ON items USING btree (run_id, status, ordinal);

CREATE UNIQUE INDEX ledger_entries_id_key ON ledger_entries USING btree (id);

CREATE UNIQUE INDEX ledger_entries_pkey ON ledger_entries USING btree (seq);

CREATE UNIQUE INDEX ledger_idempotency ON ledger_entries USING btree (workspace_id, idempotency_key);

CREATE INDEX ledger_run ON ledger_entries USING btree (run_id, seq) WHERE (run_id IS NOT NULL);

CREATE INDEX ledger_workspace ON ledger_entries USING btree (workspace_id, seq);

CREATE UNIQUE INDEX nodes_pkey ON nodes USING btree (id);

CREATE UNIQUE INDEX operations_pkey ON operations USING btree (id);

CREATE INDEX operations_workspace ON operations USING btree (workspace_id, id);

CREATE UNIQUE INDEX price_versions_pkey ON price_versions USING btree (workspace_id, version);

CREATE UNIQUE INDEX row_comments_pkey ON row_comments USING btree (id);

CREATE INDEX row_comments_row ON row_comments USING btree (row_id, created_at, id);

CREATE UNIQUE INDEX row_comments_slot ON row_comments USING btree (row_id, slot) WHERE (slot IS NOT NULL);

CREATE UNIQUE INDEX rule_versions_pkey ON rule_versions USING btree (rule_id, version);

CREATE INDEX rules_on_event ON rules USING btree (workspace_id, on_event);

CREATE UNIQUE INDEX rules_pkey ON rules USING btree (id);

CREATE INDEX runs_active ON runs USING btree (status, id) WHERE (status = ANY (ARRAY['queued'::text, 'running'::text]));

CREATE INDEX runs_held_by ON runs USING btree (held_by) WHERE (held_by IS NOT NULL);

CREATE UNIQUE INDEX runs_idempotency ON runs USING btree (workspace_id, idempotency_key) WHERE (idempotency_key IS NOT NULL);

CREATE INDEX runs_kind ON runs USING btree (workspace_id, kind, id);

CREATE INDEX runs_kind_newest ON runs USING btree (workspace_id, kind, created_at, id);

CREATE INDEX runs_name_trgm ON runs USING gin (name gin_trgm_ops);

CREATE INDEX runs_newest ON runs USING btree (workspace_id, created_at, id);

CREATE UNIQUE INDEX runs_pkey ON runs USING btree (id);

CREATE INDEX runs_retention ON runs USING btree (workspace_id, finished_at) WHERE ((finished_at IS NOT NULL) AND (pinned = 0));

CREATE INDEX runs_status ON runs USING btree (workspace_id, status, id);

CREATE INDEX runs_status_newest ON runs USING btree (workspace_id, status, created_at, id);

CREATE INDEX runs_workspace ON runs USING btree (workspace_id, id);

CREATE UNIQUE INDEX runyard_migrations_pkey ON runyard_migrations USING btree (id);

CREATE INDEX schedules_active ON schedules USING btree (status);

CREATE UNIQUE INDEX schedules_pkey ON schedules USING btree (id);

CREATE UNIQUE INDEX settings_pkey ON settings USING btree (key);

CREATE UNIQUE INDEX table_rows_key ON table_rows USING btree (table_id, key) WHERE (key IS NOT NULL);

CREATE UNIQUE INDEX table_rows_order ON table_rows USING btree (table_id, ordinal);

CREATE UNIQUE INDEX table_rows_pkey ON table_rows USING btree (id);

CREATE UNIQUE INDEX tables_pkey ON tables USING btree (id);

CREATE INDEX tables_workspace ON tables USING btree (workspace_id, id);

CREATE UNIQUE INDEX trigger_concurrency_slots_cause ON trigger_concurrency_slots USING btree (source_id, cause);

CREATE UNIQUE INDEX trigger_concurrency_slots_pkey ON trigger_concurrency_slots USING btree (source_id, slot_key, n);

CREATE INDEX trigger_concurrency_slots_run ON trigger_concurrency_slots USING btree (run_id) WHERE (run_id IS NOT NULL);

CREATE UNIQUE INDEX trigger_events_dedupe ON trigger_events USING btree (workspace_id, dedupe_key) WHERE (dedupe_key IS NOT NULL);

CREATE INDEX trigger_events_name ON trigger_events USING btree (workspace_id, name, id);

CREATE UNIQUE INDEX trigger_events_pkey ON trigger_events USING btree (id);

CREATE INDEX trigger_events_ws ON trigger_events USING btree (workspace_id, id);

CREATE INDEX trigger_fires_event ON trigger_fires USING btree (event_id) WHERE (event_id IS NOT NULL);

CREATE INDEX trigger_fires_group ON trigger_fires USING btree (source_id, group_key) WHERE ((status = 'pending'::text) AND (group_key IS NOT NULL));

CREATE INDEX trigger_fires_held ON trigger_fires USING btree (source_id, hold_key, created_at) WHERE ((status = 'pending'::text) AND (hold_key IS NOT NULL));

CREATE INDEX trigger_fires_pending ON trigger_fires USING btree (lease_until) WHERE (status = 'pending'::text);

CREATE UNIQUE INDEX trigger_fires_pkey ON trigger_fires USING btree (source_id, cause);

CREATE INDEX trigger_fires_source ON trigger_fires USING btree (workspace_id, source_id, created_at);

CREATE UNIQUE INDEX trigger_rate_tokens_cause ON trigger_rate_tokens USING btree (source_id, cause);

CREATE UNIQUE INDEX trigger_rate_tokens_pkey ON trigger_rate_tokens USING btree (source_id, window_start, n);

CREATE UNIQUE INDEX waits_item_id_key ON waits USING btree (item_id);

CREATE INDEX waits_open ON waits USING btree (status, expires_at);

CREATE UNIQUE INDEX waits_pkey ON waits USING btree (id);

CREATE INDEX waits_run ON waits USING btree (run_id);

CREATE INDEX waits_workspace ON waits USING btree (workspace_id, status, created_at);

CREATE UNIQUE INDEX worker_versions_pkey ON worker_versions USING btree (id, version);

CREATE UNIQUE INDEX workers_pkey ON workers USING btree (id);

CREATE INDEX workers_workspace ON workers USING btree (workspace_id, id);

CREATE UNIQUE INDEX workspaces_pkey ON workspaces USING btree (id);
