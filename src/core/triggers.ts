/**
 * Triggers, the pure part (issue 15): what starts runs without a person. Shapes of events,
 * rules, schedules and fires; CEL filters and key expressions over an event; rule prompt
 * templates; and the schedule slot decision (which cron slots fire after a gap). No I/O, no
 * clock: `now` comes in as an argument (STYLE.md §3, §7).
 */
import { parse as parseCel } from '@marcbachmann/cel-js';
import { Cron } from 'croner';
import { ValidationError } from './errors.js';
import type { RunMode } from './model.js';
import type { TargetRef } from './kind.js';
import { renderDeep, templateFields } from './template.js';

/** How long an event `id` de-duplicates, ms. @default 24 h */
export const EVENT_DEDUPE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Where an event came from: sent through the API, or a verified webhook call. */
export type EventSource = 'api' | 'webhook';

/** A received event (`tev_…`). Times are epoch ms. */
export interface TriggerEventRecord {
  id: string;
  workspace_id: string;
  name: string;
  data: unknown;
  /** The sender's `id` (de-duplication key within 24 h), or null. */
  client_id: string | null;
  source_type: EventSource;
  /** The hook id for a webhook event. */
  source_id: string | null;
  /** The token name that sent it (API), or null. */
  actor: string | null;
  /** The event's own time (`ts` as sent, else the receive time). */
  ts: number;
  created_at: number;
}

/** Run options a rule or schedule gives the runs it starts. */
export interface TriggerRunOptions {
  /** Handlebars template over `{event: {name, data, id, ts}}` (rules) or plain text (schedules). */
  prompt?: string;
  mode?: RunMode;
  profile?: string;
  /** Display name of the runs; default: the target's. */
  run_name?: string;
}

/** A rule's definition (one version). */
export interface RuleDefinition extends TriggerRunOptions {
  name: string;
  /** The event name it listens to (exact match). */
  on: string;
  /** CEL over `event` (`event.name`, `event.data`, `event.id`, `event.ts`) that must be true; absent: every event. */
  if?: string;
  target: TargetRef;
  /** CEL giving a key: events with the same key start one run (the first); absent: one run per event. */
  idempotency_key?: string;
  /**
   * Collapse a burst into one run with the last event: a run starts once no event of the rule
   * (with the same `key`, CEL) arrived for `period`.
   */
  debounce?: { period: string; key?: string };
  /** At most `limit` runs per fixed window of `period` (by event time); the rest are `skipped: rate_limited`. */
  rate?: { limit: number; period: string };
  /**
   * At most `limit` non-terminal runs started by this rule per value of `key` (CEL over the
   * event); events beyond it are held (their fire stays pending, reason `concurrency_limit`) and
   * start, oldest first, as runs of that key end.
   */
  concurrency?: { key: string; limit: number };
}

/**
 * A rule's concurrency key for an event (at most 200 characters).
 * @throws ValidationError naming `concurrency.key` when the expression fails or gives no scalar
 */
export function concurrencyKey(def: { key: string }, scope: { event: Record<string, unknown> }): string {
  let v: unknown;
  try {
    v = compileCel(def.key, 'concurrency.key')(scope);
  } catch (err) {
    throw new ValidationError(`concurrency.key: ${(err as Error).message.split('\n')[0]}`, { field: 'concurrency.key' });
  }
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean')
    throw new ValidationError('concurrency.key: the expression must give a string or a number', { field: 'concurrency.key' });
  return String(v).slice(0, 200);
}

/**
 * A duration such as `500ms`, `10s`, `5m`, `1h` in ms, from 100 ms to 24 h.
 * @throws ValidationError naming `field`
 */
export function parseDuration(text: string, field: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(text.trim());
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'] : NaN;
  if (!(ms >= 100 && ms <= 24 * 3_600_000)) throw new ValidationError(`${field}: expected a duration from 100ms to 24h such as 500ms, 10s, 5m`, { field });
  return ms;
}

/**
 * The debounce group of a rule for an event (`<rule id>:<key>`), or null without debounce.
 * A key expression that fails groups the event alone (its own id).
 */
export function debounceGroup(ruleId: string, def: Pick<RuleDefinition, 'debounce'>, scope: { event: Record<string, unknown> }): string | null {
  if (!def.debounce) return null;
  if (def.debounce.key === undefined) return `${ruleId}:`;
  try {
    return `${ruleId}:${String(compileCel(def.debounce.key, 'debounce.key')(scope))}`;
  } catch {
    return `${ruleId}:#${String(scope.event.id)}`;
  }
}

export type TriggerStatus = 'active' | 'paused';

/** A rule (`rul_…`) at its current version. */
export interface RuleRecord {
  id: string;
  workspace_id: string;
  version: number;
  status: TriggerStatus;
  definition: RuleDefinition;
  created_at: number;
  updated_at: number;
}

/** What a schedule does with slots missed while no node ran (longer than the miss grace). */
export type CatchUp = 'none' | 'latest' | 'all';

/** A schedule's definition. */
export interface ScheduleDefinition extends TriggerRunOptions {
  name: string;
  /** Cron with 5 fields, or 6 with seconds first. */
  cron: string;
  /** IANA time zone the cron is read in. @default 'UTC' */
  timezone: string;
  catch_up: CatchUp;
  /** No slot after this time (epoch ms) fires. */
  end_at?: number;
  target: TargetRef;
}

/** A schedule (`sch_…`); `cursor_at`: slots at or before it are decided. */
export interface ScheduleRecord {
  id: string;
  workspace_id: string;
  version: number;
  status: TriggerStatus;
  definition: ScheduleDefinition;
  cursor_at: number;
  created_at: number;
  updated_at: number;
}

/**
 * One cause routed to at most one run: a rule + an event, or a schedule + a slot.
 * `pending` (not yet routed, or a crash left it) → `started` (run created), `skipped` (paused
 * rule, duplicate key) or `failed` (the target or template refused it; reason says why).
 */
export type FireStatus = 'pending' | 'started' | 'skipped' | 'failed';

export interface FireRecord {
  workspace_id: string;
  source_type: 'rule' | 'schedule';
  /** The rule or schedule id. */
  source_id: string;
  source_version: number;
  /** The event id (rules) or the slot time as ISO-8601 (schedules). */
  cause: string;
  event_id: string | null;
  /** Debounced rule fires: `<rule id>:<key>`; null otherwise. */
  group_key: string | null;
  slot_at: number | null;
  status: FireStatus;
  reason: string | null;
  run_id: string | null;
  attempts: number;
  lease_until: number;
  created_at: number;
  updated_at: number;
}

/** The variables CEL expressions and prompt templates see. */
export function eventScope(e: Pick<TriggerEventRecord, 'id' | 'name' | 'data' | 'ts'>): { event: Record<string, unknown> } {
  return { event: { id: e.id, name: e.name, data: e.data, ts: new Date(e.ts).toISOString() } };
}

type CelProgram = ReturnType<typeof parseCel>;
const celCache = new Map<string, CelProgram>();

/**
 * Compiles a CEL expression (cached).
 * @throws ValidationError naming `field` when it does not parse
 */
export function compileCel(source: string, field: string): CelProgram {
  let p = celCache.get(source);
  if (!p) {
    if (source.length > 4096) throw new ValidationError(`${field}: at most 4096 characters`, { field });
    try {
      p = parseCel(source);
    } catch (err) {
      throw new ValidationError(`${field}: not a valid CEL expression: ${(err as Error).message.split('\n')[0]}`, { field });
    }
    if (celCache.size > 1000) celCache.clear();
    celCache.set(source, p);
  }
  return p;
}

/** Outcome of a rule's filter on an event. */
export type FilterOutcome = { match: true } | { match: false } | { match: false; error: string };

/** Whether an event passes a rule's `if` (absent: yes). A non-boolean result or an evaluation error is no match, with the reason. */
export function evalFilter(def: Pick<RuleDefinition, 'if'>, scope: { event: Record<string, unknown> }): FilterOutcome {
  if (def.if === undefined) return { match: true };
  try {
    const v: unknown = compileCel(def.if, 'if')(scope);
    if (typeof v !== 'boolean') return { match: false, error: `if: evaluated to ${typeof v}, not a boolean` };
    return v ? { match: true } : { match: false };
  } catch (err) {
    return { match: false, error: `if: ${(err as Error).message.split('\n')[0]}` };
  }
}

/**
 * The run idempotency key for a rule and an event: from the rule's key expression (events with
 * the same value share one run) or, without one, from the event (one run per event).
 * @throws ValidationError naming `idempotency_key` when the expression fails or gives no scalar
 */
export function ruleRunKey(
  ruleId: string,
  def: Pick<RuleDefinition, 'idempotency_key'>,
  event: Pick<TriggerEventRecord, 'id' | 'name' | 'data' | 'ts'>,
): string {
  if (def.idempotency_key === undefined) return `rule:${ruleId}:event:${event.id}`;
  let v: unknown;
  try {
    v = compileCel(def.idempotency_key, 'idempotency_key')(eventScope(event));
  } catch (err) {
    throw new ValidationError(`idempotency_key: ${(err as Error).message.split('\n')[0]}`, { field: 'idempotency_key' });
  }
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean') {
    throw new ValidationError('idempotency_key: the expression must give a string or a number', { field: 'idempotency_key' });
  }
  const key = `rule:${ruleId}:key:${String(v)}`;
  return key.length <= 255 ? key : `rule:${ruleId}:key:${String(v).slice(0, 200)}`;
}

/**
 * A rule's prompt rendered against the event (strict: a missing field is an error).
 * @throws RunyardError `template_error` naming the field
 */
export function renderRulePrompt(def: Pick<RuleDefinition, 'prompt'>, event: Pick<TriggerEventRecord, 'id' | 'name' | 'data' | 'ts'>): string | undefined {
  if (def.prompt === undefined) return undefined;
  const out = renderDeep(def.prompt, eventScope(event), 'prompt');
  return typeof out === 'string' ? out : JSON.stringify(out);
}

/** Checks a prompt template's syntax. @throws ValidationError naming `prompt` */
export function checkPromptTemplate(source: string): void {
  templateFields(source, 'prompt');
}

/**
 * A cron job that never runs by itself (we only ask it for slot times).
 * @throws ValidationError naming `cron` (invalid or never fires) or `timezone` (unknown)
 */
export function cronOf(def: Pick<ScheduleDefinition, 'cron' | 'timezone'>, from: number): Cron {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: def.timezone });
  } catch {
    throw new ValidationError(`timezone: unknown time zone ${JSON.stringify(def.timezone.slice(0, 100))} (use an IANA name such as Europe/Berlin)`, {
      field: 'timezone',
    });
  }
  const fields = def.cron.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) throw new ValidationError('cron: expected 5 fields, or 6 with seconds first', { field: 'cron' });
  let c: Cron;
  try {
    c = new Cron(def.cron, { timezone: def.timezone, paused: true, mode: fields === 6 ? '6-part' : '5-part' });
  } catch (err) {
    throw new ValidationError(`cron: ${(err as Error).message}`, { field: 'cron' });
  }
  if (c.nextRun(new Date(from)) === null) throw new ValidationError('cron: the expression never fires', { field: 'cron' });
  return c;
}

/** The next `n` slot times (epoch ms) strictly after `after`, before `end_at` when set, and at or before `until` when given. */
export function nextSlots(def: Pick<ScheduleDefinition, 'cron' | 'timezone' | 'end_at'>, after: number, n: number, until = Infinity): number[] {
  const c = cronOf(def, after);
  const out: number[] = [];
  let t = new Date(after);
  while (out.length < n) {
    const next = c.nextRun(t);
    if (!next) break;
    const ms = next.getTime();
    if ((def.end_at !== undefined && ms > def.end_at) || ms > until) break;
    out.push(ms);
    t = next;
  }
  return out;
}

/** At most this many slots are decided in one step (a longer gap is decided in several). */
export const MAX_SLOTS_PER_STEP = 1000;

/** Which slots of a schedule fire now, and where its cursor moves. */
export interface SlotDecision {
  /** Slot times to fire, ascending. */
  fire: number[];
  /** Missed slots passed over (not fired). */
  skipped: number;
  /** The new cursor: the last slot decided (unchanged when none was due). */
  cursor: number;
}

/**
 * Decides the due slots of a schedule: slots in `(cursor, now]`. A slot older than
 * `missedAfterMs` was missed (no node ran when it came): it fires only as `catch_up` says —
 * `none` (skip), `latest` (the newest missed one, unless a recent slot fires anyway), `all`.
 */
export function decideSlots(def: ScheduleDefinition, cursor: number, now: number, missedAfterMs: number): SlotDecision {
  const due = nextSlots(def, cursor, MAX_SLOTS_PER_STEP, now);
  if (due.length === 0) return { fire: [], skipped: 0, cursor };
  const last = due[due.length - 1] ?? cursor;
  const recent = due.filter((t) => t >= now - missedAfterMs);
  const missed = due.filter((t) => t < now - missedAfterMs);
  let fire: number[];
  if (def.catch_up === 'all') fire = due;
  else if (def.catch_up === 'latest' && missed.length > 0 && recent.length === 0) fire = [missed[missed.length - 1] ?? last];
  else fire = recent;
  return { fire, skipped: due.length - fire.length, cursor: last };
}
