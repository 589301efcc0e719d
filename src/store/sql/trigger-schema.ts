/** Table shapes of triggers (migration 0015) as Kysely sees them; JSON columns hold text. */

export interface TriggerEventsTable {
  id: string;
  workspace_id: string;
  name: string;
  data: string;
  client_id: string | null;
  /** Unique per workspace while set; cleared once the 24 h de-duplication window has passed. */
  dedupe_key: string | null;
  source_type: string;
  source_id: string | null;
  actor: string | null;
  ts: number;
  created_at: number;
}

export interface RulesTable {
  id: string;
  workspace_id: string;
  name: string;
  version: number;
  on_event: string;
  status: string;
  definition: string;
  created_at: number;
  updated_at: number;
}

export interface RuleVersionsTable {
  rule_id: string;
  version: number;
  workspace_id: string;
  definition: string;
  created_at: number;
}

export interface SchedulesTable {
  id: string;
  workspace_id: string;
  name: string;
  version: number;
  status: string;
  definition: string;
  cursor_at: number;
  created_at: number;
  updated_at: number;
}

export interface TriggerFiresTable {
  workspace_id: string;
  source_id: string;
  cause: string;
  source_type: string;
  source_version: number;
  event_id: string | null;
  /** Debounced fires: `<rule>:<key>`; a newer fire of the group supersedes a pending one. */
  group_key: string | null;
  slot_at: number | null;
  status: string;
  reason: string | null;
  run_id: string | null;
  attempts: number;
  lease_until: number;
  created_at: number;
  updated_at: number;
  /** A fire held by its rule's concurrency limit: the key value it waits on (0018). */
  hold_key?: string | null | undefined;
}

export interface TriggerRateTokensTable {
  source_id: string;
  window_start: number;
  n: number;
  cause: string;
}

/** A rule's concurrency slot (0018): one of `limit` numbered slots of a key, held by a cause and bound to its run. */
export interface TriggerConcurrencySlotsTable {
  source_id: string;
  slot_key: string;
  n: number;
  cause: string;
  run_id: string | null;
  created_at: number;
}

export interface HooksTable {
  id: string;
  workspace_id: string;
  name: string;
  event_name: string;
  status: string;
  /** JSON `[{secret, created_at, expires_at}]`, sealed when the node has a secret key. */
  secrets: string;
  max_body_bytes: number;
  created_at: number;
  updated_at: number;
  /** A provider's HMAC scheme as JSON, or null for Standard Webhooks (0018). */
  signature?: string | null | undefined;
}

export interface HookRejectionsTable {
  id: string;
  workspace_id: string;
  hook_id: string;
  webhook_id: string | null;
  status: number;
  reason: string;
  created_at: number;
}

/** The trigger tables, merged into `Database`. */
export interface TriggerTables {
  trigger_events: TriggerEventsTable;
  rules: RulesTable;
  rule_versions: RuleVersionsTable;
  schedules: SchedulesTable;
  trigger_fires: TriggerFiresTable;
  trigger_rate_tokens: TriggerRateTokensTable;
  trigger_concurrency_slots: TriggerConcurrencySlotsTable;
  hooks: HooksTable;
  hook_rejections: HookRejectionsTable;
}
