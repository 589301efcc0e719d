/**
 * The store's trigger part (issue 15): received events, rules, schedules, fires and webhooks.
 * Reached as `store.triggers` so the run/item port stays as it is. Each method is one
 * transaction; times are epoch ms passed in by the caller.
 */
import type {
  FireRecord,
  FireStatus,
  RuleDefinition,
  RuleRecord,
  ScheduleDefinition,
  ScheduleRecord,
  TriggerEventRecord,
  TriggerStatus,
} from '../core/triggers.js';
import type { Page } from './port.js';

/** A fire to write with an event or a slot claim. */
export type NewFire = Omit<FireRecord, 'workspace_id' | 'attempts' | 'created_at' | 'updated_at'>;

/** A webhook endpoint (`hook_…`); secrets stay in the store in the form the engine gave them. */
export interface HookRecord {
  id: string;
  workspace_id: string;
  name: string;
  /** The event name a verified call becomes. */
  event_name: string;
  status: TriggerStatus;
  /** Opaque text: the engine seals and opens it. */
  secrets: string;
  max_body_bytes: number;
  created_at: number;
  updated_at: number;
  /** A provider's HMAC scheme (JSON of engine/triggers/hooks.ts `HookSignature`); null or absent: Standard Webhooks. */
  signature?: string | null | undefined;
}

/** A refused webhook call. */
export interface HookRejectionRecord {
  id: string;
  workspace_id: string;
  hook_id: string;
  webhook_id: string | null;
  /** The HTTP status answered (401, 409, 413). */
  status: number;
  reason: string;
  created_at: number;
}

export interface EventFilter {
  name?: string;
  source_id?: string;
  created_after?: number;
  created_before?: number;
}

export interface TriggerStore {
  /**
   * Records an event and its fires in one transaction. With a `dedupe_key`, a key already used
   * within `dedupeWindowMs` inserts nothing and returns the first event (`created: false`); the
   * unique key decides, so concurrent repeats agree. `decide` runs inside the transaction with
   * the workspace's rules listening to the event's name and returns the fires to write.
   */
  recordEvent(
    ev: TriggerEventRecord & { dedupe_key: string | null },
    dedupeWindowMs: number,
    decide: (rules: RuleRecord[]) => NewFire[],
    now: number,
  ): Promise<{ event: TriggerEventRecord; created: boolean; fires: FireRecord[] }>;
  getEvent(ws: string, id: string): Promise<TriggerEventRecord | undefined>;
  /** Newest first. */
  listEvents(ws: string, f: EventFilter, opts: { limit: number; cursor?: string }): Promise<Page<TriggerEventRecord>>;

  /** Writes a rule at version 1 (and its version row). */
  createRule(rule: RuleRecord): Promise<RuleRecord>;
  /** A new version of the definition; undefined when the rule does not exist. */
  updateRule(ws: string, id: string, def: RuleDefinition, now: number): Promise<RuleRecord | undefined>;
  setRuleStatus(ws: string, id: string, status: TriggerStatus, now: number): Promise<RuleRecord | undefined>;
  getRule(ws: string, id: string): Promise<RuleRecord | undefined>;
  /** The definition a fire was decided with. */
  getRuleVersion(ruleId: string, version: number): Promise<RuleDefinition | undefined>;
  listRules(ws: string): Promise<RuleRecord[]>;
  deleteRule(ws: string, id: string): Promise<boolean>;

  createSchedule(s: ScheduleRecord): Promise<ScheduleRecord>;
  /**
   * A new version of a schedule's definition; its cursor moves to `now` when behind (slots of the
   * old definition already decided stay decided; none of the new one before the edit fires).
   * Undefined when the schedule does not exist.
   */
  updateSchedule(ws: string, id: string, def: ScheduleDefinition, now: number): Promise<ScheduleRecord | undefined>;
  /** Pause, or resume with the cursor moved to `now` (slots passed while paused never fire). */
  setScheduleStatus(ws: string, id: string, status: TriggerStatus, now: number): Promise<ScheduleRecord | undefined>;
  getSchedule(ws: string, id: string): Promise<ScheduleRecord | undefined>;
  listSchedules(ws: string): Promise<ScheduleRecord[]>;
  /** Active schedules of every workspace (the scheduler's scan). */
  activeSchedules(): Promise<ScheduleRecord[]>;
  deleteSchedule(ws: string, id: string): Promise<boolean>;
  /**
   * Moves a schedule's cursor from `expectedCursor` to `cursor` and writes the fires of the slots
   * it passed, in one transaction. Another node that moved the cursor first wins: nothing is
   * written and `[]` returned. A slot already fired (unique schedule + slot) is not written again.
   */
  claimSlots(ws: string, scheduleId: string, expectedCursor: number, cursor: number, fires: NewFire[], now: number): Promise<FireRecord[]>;

  /**
   * Leases pending fires whose lease lapsed (a crash, or a node that stopped): each row is taken
   * by compare-and-set on its lease, so two sweeps never both take it.
   */
  claimPendingFires(now: number, leaseMs: number, limit: number): Promise<FireRecord[]>;
  /**
   * Takes one of the `limit` tokens of a rate window for `cause` (or finds the one it took
   * before): each token is a row with a unique key, so concurrent takers never exceed `limit`.
   * @returns false when the window's tokens are all taken
   */
  takeRateToken(sourceId: string, windowStart: number, limit: number, cause: string): Promise<boolean>;
  /**
   * Takes one of the `limit` slots of a rule's concurrency key for `cause` (or finds the one it
   * took before). Slots of the key whose run is terminal, or whose fire ended without a run, are
   * freed first. Each slot is a row with a unique key, so concurrent takers never exceed `limit`.
   * @returns false when all slots of the key are held by live runs
   */
  takeConcurrencySlot(sourceId: string, key: string, limit: number, cause: string, now: number): Promise<boolean>;
  /** Binds a cause's slot to the run it started. */
  bindConcurrencySlot(sourceId: string, cause: string, runId: string): Promise<void>;
  /** Frees a cause's slot; true when this call freed it (another node did not first). */
  releaseConcurrencySlot(sourceId: string, cause: string): Promise<boolean>;
  /** Slots whose run is terminal (to free and wake a held fire), at most `limit`. */
  finishedConcurrencySlots(limit: number): Promise<{ source_id: string; slot_key: string; cause: string }[]>;
  /**
   * Holds a pending fire over its key's limit: reason \`concurrency_limit\`, its key recorded, and
   * its lease moved to \`until\` (a safety re-check should no freed slot wake it).
   */
  holdFire(key: { source_id: string; cause: string }, holdKey: string, until: number, now: number): Promise<void>;
  /** Leases the oldest `n` fires held on a rule's key (compare-and-set, as the sweep) and returns them. */
  wakeHeldFires(sourceId: string, holdKey: string, n: number, now: number, leaseMs: number): Promise<FireRecord[]>;
  finishFire(
    key: { source_id: string; cause: string },
    patch: { status: Exclude<FireStatus, 'pending'>; reason: string | null; run_id: string | null },
    now: number,
  ): Promise<void>;
  /** Fires of some events (by event id), or of a rule or schedule (newest first). */
  listFires(ws: string, by: { event_ids: string[] } | { source_id: string; limit: number }): Promise<FireRecord[]>;

  createHook(h: HookRecord): Promise<HookRecord>;
  /** By id in any workspace (a webhook call carries no token). */
  findHook(id: string): Promise<HookRecord | undefined>;
  getHook(ws: string, id: string): Promise<HookRecord | undefined>;
  listHooks(ws: string): Promise<HookRecord[]>;
  updateHook(ws: string, id: string, patch: { secrets?: string; status?: TriggerStatus }, now: number): Promise<HookRecord | undefined>;
  deleteHook(ws: string, id: string): Promise<boolean>;
  recordHookRejection(r: HookRejectionRecord): Promise<void>;
  /** Newest first. */
  listHookRejections(ws: string, hookId: string, limit: number): Promise<HookRejectionRecord[]>;
}
