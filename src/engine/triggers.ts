/**
 * Triggers (issue 15): events routed by rules, cron schedules and signed webhooks start runs of
 * any registered kind, labelled with what started them.
 *
 * Never twice, never lost:
 * - an event and its fires (one per matching rule) are written in one transaction; a fire is
 *   unique per rule + event, and a schedule slot's fire per schedule + slot time;
 * - a fire is routed after commit by the node that wrote it (it holds the fire's lease); the run
 *   it starts has an idempotency key derived from the fire, so a second attempt (after a crash
 *   between the run and the fire's update) finds the first run instead of making another;
 * - a sweep on every node takes fires whose lease lapsed (a crash left them) and routes them.
 */
import { Webhook } from 'standardwebhooks';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { IdempotencyConflictError, NotFoundError, RunyardError, ValidationError } from '../core/errors.js';
import type { Clock, IdSource } from '../core/ids.js';
import type { TargetRef } from '../core/kind.js';
import type { RunRecord } from '../core/model.js';
import {
  EVENT_DEDUPE_WINDOW_MS,
  checkPromptTemplate,
  compileCel,
  cronOf,
  debounceGroup,
  parseDuration,
  decideSlots,
  evalFilter,
  eventScope,
  nextSlots,
  renderRulePrompt,
  ruleRunKey,
  type FireRecord,
  type RuleDefinition,
  type RuleRecord,
  type ScheduleDefinition,
  type ScheduleRecord,
  type TriggerEventRecord,
  type TriggerRunOptions,
  type TriggerStatus,
} from '../core/triggers.js';
import type { KindRegistry } from '../kinds/index.js';
import type { Store } from '../store/port.js';
import type { HookRecord, NewFire } from '../store/trigger-port.js';
import type { Logger } from './logger.js';
import type { ProfileCatalog } from './profiles.js';
import { kindReader, type RunsService, type StartColumnRun } from './runs-service.js';
import type { SecretBox } from './secrets.js';

/** Timing of the trigger loops. */
export interface TriggerOptions {
  /** How long a node owns a fire it took before a sweep may take it, ms. @default 30000 */
  fireLeaseMs: number;
  /** How often the sweep looks for fires a crash left, ms. @default 1000 */
  sweepMs: number;
  /** How often schedules are checked for due slots, ms. @default 250 */
  scheduleTickMs: number;
  /** A slot older than this when decided was missed (no node ran): fired only per `catch_up`, ms. @default 60000 */
  missedAfterMs: number;
  /** How long an event `id` de-duplicates, ms. @default 24 h */
  dedupeWindowMs: number;
}

export const defaultTriggerOptions: TriggerOptions = {
  fireLeaseMs: 30_000,
  sweepMs: 1000,
  scheduleTickMs: 250,
  missedAfterMs: 60_000,
  dedupeWindowMs: EVENT_DEDUPE_WINDOW_MS,
};

/** Standard Webhooks' tolerance on `webhook-timestamp`, seconds. */
export const WEBHOOK_TOLERANCE_S = 300;
/** Largest webhook body accepted by default, bytes. @default 256 KiB */
export const DEFAULT_HOOK_BODY_BYTES = 256 * 1024;
/** How long a rotated-out webhook secret stays valid, ms. @default 24 h */
export const HOOK_SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;

export interface TriggersDeps {
  store: Store;
  runs: RunsService;
  kinds: KindRegistry;
  profiles: Pick<ProfileCatalog, 'resolve'>;
  clock: Clock;
  ids: IdSource;
  logger: Logger;
  secrets?: SecretBox | undefined;
  options?: Partial<TriggerOptions> | undefined;
  /** Called with every new event after it is recorded (flows resume `wait` steps on it); errors are logged. */
  onEvent?: ((ev: TriggerEventRecord) => Promise<unknown>) | undefined;
}

/** An event as sent: `POST /v1/events`. */
export interface SendEvent {
  name: string;
  data?: unknown;
  /** De-duplication key: a repeat within 24 h returns the first event. */
  id?: string;
  /** The event's own time, epoch ms. */
  ts?: number;
}

/** A fire as shown on an event, rule or schedule. */
export type FireView = Pick<FireRecord, 'source_type' | 'source_id' | 'source_version' | 'cause' | 'event_id' | 'slot_at' | 'status' | 'reason' | 'run_id'>;

interface HookSecret {
  secret: string;
  created_at: number;
  expires_at: number | null;
}

/** Why a webhook call was refused, with its HTTP status. */
export class HookRejectedError extends RunyardError {
  constructor(
    readonly status: 401 | 409 | 413,
    readonly reason: 'unsigned' | 'stale' | 'bad_signature' | 'replayed' | 'too_large' | 'paused',
    message: string,
    readonly eventId?: string,
  ) {
    super(status === 401 ? 'unauthorized' : 'conflict', message, { reason, ...(eventId ? { event_id: eventId } : {}) });
  }
}

function nameCheck(v: string, field: string, max = 200): void {
  if (v.length === 0 || v.length > max || /[\r\n\0]/.test(v))
    throw new ValidationError(`${field}: expected 1 to ${max} characters without line breaks`, { field });
}

export class TriggersService {
  readonly options: TriggerOptions;
  #timers: NodeJS.Timeout[] = [];
  #inFlight = new Set<Promise<unknown>>();
  #ticking = false;
  #sweeping = false;
  #stopped = true;

  constructor(private readonly deps: TriggersDeps) {
    this.options = { ...defaultTriggerOptions, ...deps.options };
  }

  private get st() {
    return this.deps.store.triggers;
  }

  /** Starts the sweep and the scheduler on this node (idempotent). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#timers.push(setInterval(() => void this.sweep(), this.options.sweepMs));
    this.#timers.push(setInterval(() => void this.tick(), this.options.scheduleTickMs));
    for (const t of this.#timers) t.unref();
  }

  /** Stops the loops and waits for routing in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    await Promise.allSettled([...this.#inFlight]);
  }

  // ---- events ---------------------------------------------------------------------------

  /**
   * Records an event durably with a fire for every rule listening to its name (paused rules:
   * `skipped: rule_paused`; a filter that does not match writes nothing), then routes the
   * fires after commit.
   * @returns the event and whether it was new (false: a repeat of `id` within 24 h).
   * @throws ValidationError naming `name`, `id`, `ts` or `data`
   */
  async sendEvent(
    ws: string,
    e: SendEvent,
    source: { type: 'api' | 'webhook'; id: string | null; actor: string | null; dedupeKey?: string },
  ): Promise<{ event: TriggerEventRecord; created: boolean; fires: FireRecord[] }> {
    nameCheck(e.name, 'name');
    if (e.id !== undefined) nameCheck(e.id, 'id', 255);
    const now = this.deps.clock.now();
    const ts = e.ts ?? now;
    if (!Number.isFinite(ts)) throw new ValidationError('ts: expected an ISO-8601 time', { field: 'ts' });
    const dedupe = source.dedupeKey ?? (e.id === undefined ? null : `api:${e.id}`);
    const ev = {
      id: this.deps.ids.next('tev'),
      workspace_id: ws,
      name: e.name,
      data: e.data ?? {},
      client_id: e.id ?? null,
      dedupe_key: dedupe,
      source_type: source.type,
      source_id: source.id,
      actor: source.actor,
      ts,
      created_at: now,
    };
    const lease = now + this.options.fireLeaseMs;
    const res = await this.st.recordEvent(ev, this.options.dedupeWindowMs, (rules) => this.decide(rules, ev, lease), now);
    if (res.created) this.routeSoon(res.fires.filter((f) => f.status === 'pending' && f.group_key === null));
    if (res.created && this.deps.onEvent) {
      await this.deps.onEvent(res.event).catch((err: unknown) => this.deps.logger.warn('event hook failed', { err: String(err), event_id: res.event.id }));
    }
    return res;
  }

  /** The fires an event's rules get (pure but for the rules read in the event's transaction). */
  private decide(rules: RuleRecord[], ev: TriggerEventRecord, lease: number): NewFire[] {
    const scope = eventScope(ev);
    const out: NewFire[] = [];
    for (const r of rules) {
      const base = {
        source_type: 'rule' as const,
        source_id: r.id,
        source_version: r.version,
        cause: ev.id,
        event_id: ev.id,
        group_key: null,
        slot_at: null,
        run_id: null,
        lease_until: lease,
      };
      if (r.status === 'paused') {
        out.push({ ...base, status: 'skipped', reason: 'rule_paused' });
        continue;
      }
      const f = evalFilter(r.definition, scope);
      if ('error' in f) out.push({ ...base, status: 'failed', reason: f.error });
      else if (f.match) {
        const group = debounceGroup(r.id, r.definition, scope);
        // A debounced fire waits out its period as its lease: the sweep routes it unless a later event supersedes it.
        const wait = r.definition.debounce ? parseDuration(r.definition.debounce.period, 'debounce.period') : 0;
        out.push({ ...base, group_key: group, lease_until: group === null ? lease : ev.created_at + wait, status: 'pending', reason: null });
      }
    }
    return out;
  }

  /** An event with the fires it caused. @throws NotFoundError */
  async getEvent(ws: string, id: string): Promise<{ event: TriggerEventRecord; fires: FireRecord[] }> {
    const event = await this.st.getEvent(ws, id);
    if (!event) throw new NotFoundError('event', id);
    return { event, fires: await this.st.listFires(ws, { event_ids: [id] }) };
  }

  /** Events newest first, each with its fires. */
  async listEvents(ws: string, f: Parameters<Store['triggers']['listEvents']>[1], opts: { limit: number; cursor?: string }) {
    const page = await this.st.listEvents(ws, f, opts);
    const fires = await this.st.listFires(ws, { event_ids: page.data.map((e) => e.id) });
    return { ...page, data: page.data.map((event) => ({ event, fires: fires.filter((x) => x.event_id === event.id) })) };
  }

  // ---- rules ----------------------------------------------------------------------------

  /**
   * Checks a rule definition: the filter and key compile, the prompt parses, the target names a
   * registered kind and exists.
   * @throws ValidationError naming the field (`if`, `idempotency_key`, `prompt`, `target…`)
   */
  async checkRule(ws: string, def: RuleDefinition): Promise<void> {
    nameCheck(def.name, 'name');
    nameCheck(def.on, 'on');
    if (def.if !== undefined) compileCel(def.if, 'if');
    if (def.idempotency_key !== undefined) compileCel(def.idempotency_key, 'idempotency_key');
    if (def.debounce !== undefined) {
      parseDuration(def.debounce.period, 'debounce.period');
      if (def.debounce.key !== undefined) compileCel(def.debounce.key, 'debounce.key');
    }
    if (def.rate !== undefined) {
      parseDuration(def.rate.period, 'rate.period');
      if (!Number.isInteger(def.rate.limit) || def.rate.limit < 1 || def.rate.limit > 10_000)
        throw new ValidationError('rate.limit: expected an integer from 1 to 10000', { field: 'rate.limit' });
    }
    await this.checkRunOptions(ws, def, def.target);
  }

  private async checkRunOptions(ws: string, o: TriggerRunOptions, target: TargetRef): Promise<void> {
    if (o.prompt !== undefined) {
      if (o.prompt.length > 32 * 1024) throw new ValidationError('prompt: at most 32 KiB', { field: 'prompt' });
      checkPromptTemplate(o.prompt);
    }
    if (o.profile !== undefined) this.deps.profiles.resolve(o.profile);
    if (o.mode !== undefined && !['live', 'dry_run', 'smoke_test'].includes(o.mode))
      throw new ValidationError('mode: expected live, dry_run or smoke_test', { field: 'mode' });
    const kind = this.deps.kinds.get(String(target.type), 'target.type');
    try {
      await kind.resolve(kind.parseTarget(target), kindReader(this.deps.store, ws));
    } catch (err) {
      if (err instanceof NotFoundError) throw new ValidationError(`target: ${err.message}`, { field: 'target' });
      throw err;
    }
  }

  /** Saves a new rule (version 1). @throws ValidationError naming the field (nothing saved) */
  async createRule(ws: string, def: RuleDefinition, status: TriggerStatus = 'active'): Promise<RuleRecord> {
    await this.checkRule(ws, def);
    const now = this.deps.clock.now();
    return this.st.createRule({ id: this.deps.ids.next('rul'), workspace_id: ws, version: 1, status, definition: def, created_at: now, updated_at: now });
  }

  /** Saves a new version of a rule; fires decided earlier keep the version they were decided with. @throws ValidationError, NotFoundError */
  async updateRule(ws: string, id: string, def: RuleDefinition): Promise<RuleRecord> {
    await this.getRule(ws, id);
    await this.checkRule(ws, def);
    const r = await this.st.updateRule(ws, id, def, this.deps.clock.now());
    if (!r) throw new NotFoundError('rule', id);
    return r;
  }

  /** @throws NotFoundError */
  async getRule(ws: string, id: string): Promise<RuleRecord> {
    const r = await this.st.getRule(ws, id);
    if (!r) throw new NotFoundError('rule', id);
    return r;
  }

  listRules(ws: string): Promise<RuleRecord[]> {
    return this.st.listRules(ws);
  }

  /** Pause (events are still recorded, the rule's fires `skipped: rule_paused`) or resume. @throws NotFoundError */
  async setRuleStatus(ws: string, id: string, status: TriggerStatus): Promise<RuleRecord> {
    const r = await this.st.setRuleStatus(ws, id, status, this.deps.clock.now());
    if (!r) throw new NotFoundError('rule', id);
    return r;
  }

  /** @throws NotFoundError */
  async deleteRule(ws: string, id: string): Promise<void> {
    if (!(await this.st.deleteRule(ws, id))) throw new NotFoundError('rule', id);
  }

  /** Recent fires of a rule or schedule, newest first. */
  fires(ws: string, sourceId: string, limit = 20): Promise<FireRecord[]> {
    return this.st.listFires(ws, { source_id: sourceId, limit });
  }

  /**
   * Tests a rule against a sample event without writing or starting anything: whether it
   * matches, and the run it would start (target, trigger, prompt, idempotency key).
   * @throws NotFoundError; ValidationError naming `name`
   */
  async testRule(ws: string, id: string, sample: SendEvent) {
    const rule = await this.getRule(ws, id);
    nameCheck(sample.name, 'name');
    const now = this.deps.clock.now();
    const ev = { id: 'tev_sample', name: sample.name, data: sample.data ?? {}, ts: sample.ts ?? now };
    const def = rule.definition;
    if (sample.name !== def.on) return { match: false, reason: `the rule listens to "${def.on}", not "${sample.name}"`, run: null };
    if (rule.status === 'paused') return { match: false, reason: 'rule_paused', run: null };
    const f = evalFilter(def, eventScope(ev));
    if (!f.match) return { match: false, reason: 'error' in f ? f.error : 'if: false', run: null };
    try {
      const prompt = renderRulePrompt(def, ev);
      return {
        match: true,
        reason: null,
        run: {
          target: def.target,
          trigger: { type: 'rule' as const, source_id: rule.id, actor: ev.id },
          prompt: prompt ?? null,
          mode: def.mode ?? 'live',
          profile: def.profile ?? null,
          name: def.run_name ?? null,
          idempotency_key: ruleRunKey(rule.id, def, ev),
        },
      };
    } catch (err) {
      return { match: true, reason: `would fail: ${(err as Error).message}`, run: null };
    }
  }

  // ---- routing --------------------------------------------------------------------------

  private routeSoon(fires: FireRecord[]): void {
    for (const f of fires) {
      const p = this.route(f).catch((err: unknown) =>
        this.deps.logger.warn('trigger routing failed; the sweep retries', { source_id: f.source_id, cause: f.cause, error: String(err) }),
      );
      this.#inFlight.add(p);
      void p.finally(() => this.#inFlight.delete(p));
    }
  }

  /** Routes one fire this node holds: starts its run (or finds the one an earlier attempt started) and records the outcome. */
  async route(f: FireRecord): Promise<RunRecord | undefined> {
    const now = () => this.deps.clock.now();
    const key = { source_id: f.source_id, cause: f.cause };
    let planned: { target: TargetRef; opts: StartColumnRun; rate?: { window: number; limit: number } };
    try {
      planned = await this.plan(f);
    } catch (err) {
      if (!(err instanceof RunyardError)) throw err;
      await this.st.finishFire(key, { status: 'failed', reason: err.message.slice(0, 500), run_id: null }, now());
      return undefined;
    }
    const idem = planned.opts.idempotency_key ?? '';
    if (planned.rate && !(await this.st.takeRateToken(f.source_id, planned.rate.window, planned.rate.limit, f.cause))) {
      const existing = await this.deps.store.findRunByIdempotencyKey(f.workspace_id, idem);
      if (!existing) {
        await this.st.finishFire(key, { status: 'skipped', reason: 'rate_limited', run_id: null }, now());
        return undefined;
      }
    }
    try {
      const { run } = await this.deps.runs.startRun(f.workspace_id, planned.target, planned.opts);
      const same = run.trigger.source_id === f.source_id && (f.event_id === null || run.trigger.actor === f.event_id);
      await this.st.finishFire(
        key,
        same ? { status: 'started', reason: null, run_id: run.id } : { status: 'skipped', reason: 'duplicate_key', run_id: run.id },
        now(),
      );
      return run;
    } catch (err) {
      // The key is taken by another cause's run (rule key expression), or a concurrent attempt won the insert.
      const existing = await this.deps.store.findRunByIdempotencyKey(f.workspace_id, idem);
      if (existing) {
        const mine = existing.run.trigger.source_id === f.source_id && (f.event_id === null || existing.run.trigger.actor === f.event_id);
        await this.st.finishFire(
          key,
          mine ? { status: 'started', reason: null, run_id: existing.run.id } : { status: 'skipped', reason: 'duplicate_key', run_id: existing.run.id },
          now(),
        );
        return existing.run;
      }
      if (err instanceof RunyardError && !(err instanceof IdempotencyConflictError) && err.code !== 'database_unavailable' && err.code !== 'internal') {
        await this.st.finishFire(key, { status: 'failed', reason: err.message.slice(0, 500), run_id: null }, now());
        return undefined;
      }
      throw err;
    }
  }

  /** The target and run options of a fire, from the rule or schedule version it was decided with. */
  private async plan(f: FireRecord): Promise<{ target: TargetRef; opts: StartColumnRun; rate?: { window: number; limit: number } }> {
    if (f.source_type === 'rule') {
      const def = (await this.st.getRule(f.workspace_id, f.source_id)) && (await this.st.getRuleVersion(f.source_id, f.source_version));
      // A rule deleted before its fire was routed starts nothing (the fire says why).
      if (!def) throw new NotFoundError('rule', f.source_id);
      const event = f.event_id === null ? undefined : await this.st.getEvent(f.workspace_id, f.event_id);
      if (!event) throw new NotFoundError('event', String(f.event_id));
      const prompt = renderRulePrompt(def, event);
      const period = def.rate ? parseDuration(def.rate.period, 'rate.period') : 0;
      return {
        ...(def.rate ? { rate: { window: Math.floor(event.created_at / period) * period, limit: def.rate.limit } } : {}),
        target: def.target,
        opts: {
          ...runOpts(def),
          ...(prompt === undefined ? {} : { prompt }),
          trigger: { type: 'rule', source_id: f.source_id, actor: event.id },
          idempotency_key: ruleRunKey(f.source_id, def, event),
        },
      };
    }
    const s = await this.st.getSchedule(f.workspace_id, f.source_id);
    if (!s) throw new NotFoundError('schedule', f.source_id);
    const def = s.definition;
    const slot = new Date(f.slot_at ?? 0).toISOString();
    return {
      target: def.target,
      opts: {
        ...runOpts(def),
        ...(def.prompt === undefined ? {} : { prompt: def.prompt }),
        name: `${def.run_name ?? def.name} · ${slot}`,
        trigger: { type: 'schedule', source_id: s.id, actor: null },
        tags: [`slot:${slot}`],
        idempotency_key: `schedule:${s.id}:${slot}`,
      },
    };
  }

  /** Routes fires a crash or a stopped node left pending (their lease lapsed). */
  async sweep(): Promise<number> {
    if (this.#sweeping || this.#stopped) return 0;
    this.#sweeping = true;
    try {
      const fires = await this.st.claimPendingFires(this.deps.clock.now(), this.options.fireLeaseMs, 100);
      for (const f of fires) await this.route(f).catch((err: unknown) => this.deps.logger.warn('trigger sweep failed', { cause: f.cause, error: String(err) }));
      return fires.length;
    } catch (err) {
      this.deps.logger.warn('trigger sweep failed', { error: String(err) });
      return 0;
    } finally {
      this.#sweeping = false;
    }
  }

  // ---- schedules ------------------------------------------------------------------------

  /** @throws ValidationError naming `cron`, `timezone`, `end_at`, `catch_up` or the target's field */
  async createSchedule(ws: string, def: ScheduleDefinition, status: TriggerStatus = 'active'): Promise<ScheduleRecord> {
    nameCheck(def.name, 'name');
    const now = this.deps.clock.now();
    cronOf(def, now);
    if (nextSlots(def, now, 1).length === 0) throw new ValidationError('end_at: the schedule never fires before its end', { field: 'end_at' });
    await this.checkRunOptions(ws, def, def.target);
    return this.st.createSchedule({
      id: this.deps.ids.next('sch'),
      workspace_id: ws,
      version: 1,
      status,
      definition: def,
      cursor_at: now,
      created_at: now,
      updated_at: now,
    });
  }

  /** @throws NotFoundError */
  async getSchedule(ws: string, id: string): Promise<ScheduleRecord> {
    const s = await this.st.getSchedule(ws, id);
    if (!s) throw new NotFoundError('schedule', id);
    return s;
  }

  listSchedules(ws: string): Promise<ScheduleRecord[]> {
    return this.st.listSchedules(ws);
  }

  /** Pause, or resume (slots passed while paused never fire). @throws NotFoundError */
  async setScheduleStatus(ws: string, id: string, status: TriggerStatus): Promise<ScheduleRecord> {
    const s = await this.st.setScheduleStatus(ws, id, status, this.deps.clock.now());
    if (!s) throw new NotFoundError('schedule', id);
    return s;
  }

  /** @throws NotFoundError */
  async deleteSchedule(ws: string, id: string): Promise<void> {
    if (!(await this.st.deleteSchedule(ws, id))) throw new NotFoundError('schedule', id);
  }

  /** The next `n` fire times of a schedule, epoch ms. */
  nextFireTimes(s: ScheduleRecord, n = 5): number[] {
    return nextSlots(s.definition, Math.max(s.cursor_at, this.deps.clock.now()), n);
  }

  /** One scheduler step: claims due slots of every active schedule (one node wins each) and routes them. */
  async tick(): Promise<number> {
    if (this.#ticking || this.#stopped) return 0;
    this.#ticking = true;
    let fired = 0;
    try {
      const now = this.deps.clock.now();
      for (const s of await this.st.activeSchedules()) {
        let d;
        try {
          d = decideSlots(s.definition, s.cursor_at, now, this.options.missedAfterMs);
        } catch (err) {
          this.deps.logger.warn('schedule cannot be decided', { schedule_id: s.id, error: String(err) });
          continue;
        }
        if (d.cursor === s.cursor_at) continue;
        const lease = now + this.options.fireLeaseMs;
        const fires: NewFire[] = d.fire.map((t) => ({
          source_type: 'schedule',
          source_id: s.id,
          source_version: s.version,
          cause: new Date(t).toISOString(),
          event_id: null,
          group_key: null,
          slot_at: t,
          status: 'pending',
          reason: null,
          run_id: null,
          lease_until: lease,
        }));
        const claimed = await this.st.claimSlots(s.workspace_id, s.id, s.cursor_at, d.cursor, fires, now);
        if (d.skipped > 0 && claimed.length > 0)
          this.deps.logger.info('schedule slots missed and not fired (catch_up)', { schedule_id: s.id, skipped: d.skipped });
        fired += claimed.length;
        this.routeSoon(claimed);
      }
    } catch (err) {
      this.deps.logger.warn('scheduler step failed', { error: String(err) });
    } finally {
      this.#ticking = false;
    }
    return fired;
  }

  // ---- webhooks -------------------------------------------------------------------------

  /** A new webhook secret in Standard Webhooks form (`whsec_` + base64 of 24 random bytes). */
  static newSecret(): string {
    return `whsec_${randomBytes(24).toString('base64')}`;
  }

  private sealSecrets(list: HookSecret[]): string {
    const json = JSON.stringify(list);
    return this.deps.secrets ? `sealed:${this.deps.secrets.seal({ s: json }) ?? ''}` : json;
  }

  private openSecrets(stored: string): HookSecret[] {
    const json = stored.startsWith('sealed:') && this.deps.secrets ? (this.deps.secrets.open(stored.slice(7)).s ?? '[]') : stored;
    return JSON.parse(json) as HookSecret[];
  }

  /** Creates a hook; the secret is returned once (sealed at rest when the node has a secret key). @throws ValidationError */
  async createHook(
    ws: string,
    h: { name: string; event_name?: string; secret?: string; max_body_bytes?: number },
  ): Promise<{ hook: HookRecord; secret: string }> {
    nameCheck(h.name, 'name');
    const eventName = h.event_name ?? `hook.${h.name}`;
    nameCheck(eventName, 'event_name');
    const secret = h.secret ?? TriggersService.newSecret();
    checkSecret(secret);
    const max = h.max_body_bytes ?? DEFAULT_HOOK_BODY_BYTES;
    if (!Number.isInteger(max) || max < 1 || max > 4 * 1024 * 1024)
      throw new ValidationError('max_body_bytes: expected 1 to 4194304', { field: 'max_body_bytes' });
    const now = this.deps.clock.now();
    const hook = await this.st.createHook({
      id: this.deps.ids.next('hook'),
      workspace_id: ws,
      name: h.name,
      event_name: eventName,
      status: 'active',
      secrets: this.sealSecrets([{ secret, created_at: now, expires_at: null }]),
      max_body_bytes: max,
      created_at: now,
      updated_at: now,
    });
    return { hook, secret };
  }

  /**
   * Rotates a hook's secret: the new one is active at once, the previous stays valid for
   * {@link HOOK_SECRET_OVERLAP_MS} (two active secrets), older ones are dropped.
   * @throws NotFoundError
   */
  async rotateHookSecret(ws: string, id: string, secret = TriggersService.newSecret()): Promise<{ hook: HookRecord; secret: string }> {
    checkSecret(secret);
    const hook = await this.getHook(ws, id);
    const now = this.deps.clock.now();
    const current = this.openSecrets(hook.secrets).filter((s) => s.expires_at === null || s.expires_at > now);
    const newest = current.find((s) => s.expires_at === null) ?? current[current.length - 1];
    const kept = newest ? [{ ...newest, expires_at: now + HOOK_SECRET_OVERLAP_MS }] : [];
    const updated = await this.st.updateHook(ws, id, { secrets: this.sealSecrets([...kept, { secret, created_at: now, expires_at: null }]) }, now);
    if (!updated) throw new NotFoundError('hook', id);
    return { hook: updated, secret };
  }

  /** @throws NotFoundError */
  async getHook(ws: string, id: string): Promise<HookRecord> {
    const h = await this.st.getHook(ws, id);
    if (!h) throw new NotFoundError('hook', id);
    return h;
  }

  listHooks(ws: string): Promise<HookRecord[]> {
    return this.st.listHooks(ws);
  }

  /** @throws NotFoundError */
  async setHookStatus(ws: string, id: string, status: TriggerStatus): Promise<HookRecord> {
    await this.getHook(ws, id);
    const h = await this.st.updateHook(ws, id, { status }, this.deps.clock.now());
    if (!h) throw new NotFoundError('hook', id);
    return h;
  }

  /** @throws NotFoundError */
  async deleteHook(ws: string, id: string): Promise<void> {
    if (!(await this.st.deleteHook(ws, id))) throw new NotFoundError('hook', id);
  }

  hookRejections(ws: string, id: string, limit = 50) {
    return this.st.listHookRejections(ws, id, limit);
  }

  /**
   * A webhook call, verified per Standard Webhooks: `webhook-id`, `webhook-timestamp` (within
   * 5 minutes of now) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one
   * of the hook's active secrets). A verified call becomes an event (name: the hook's
   * `event_name`, data: the JSON body) that rules route; a `webhook-id` seen before is a replay.
   * A refusal is recorded and starts nothing.
   * @throws NotFoundError (unknown hook); HookRejectedError 401 (unsigned, stale, bad signature),
   *   409 (replayed), 413 (body over the hook's limit)
   */
  async receiveWebhook(hookId: string, headers: Record<string, string | undefined>, body: Uint8Array): Promise<TriggerEventRecord> {
    const hook = await this.st.findHook(hookId);
    if (!hook) throw new NotFoundError('hook', hookId);
    const msgId = headers['webhook-id'];
    const reject = async (status: 401 | 409 | 413, reason: HookRejectedError['reason'], message: string, eventId?: string): Promise<never> => {
      await this.st.recordHookRejection({
        id: this.deps.ids.next('hrj'),
        workspace_id: hook.workspace_id,
        hook_id: hook.id,
        webhook_id: msgId?.slice(0, 255) ?? null,
        status,
        reason,
        created_at: this.deps.clock.now(),
      });
      throw new HookRejectedError(status, reason, message, eventId);
    };
    if (body.byteLength > hook.max_body_bytes) return reject(413, 'too_large', `body: larger than ${hook.max_body_bytes} bytes`);
    if (hook.status === 'paused') return reject(409, 'paused', 'the hook is paused');
    const tsText = headers['webhook-timestamp'];
    const sig = headers['webhook-signature'];
    if (!msgId || !tsText || !sig || msgId.length > 255)
      return reject(401, 'unsigned', 'webhook-id, webhook-timestamp and webhook-signature headers are required');
    if (!/^\d{1,12}$/.test(tsText)) return reject(401, 'stale', 'webhook-timestamp: expected integer seconds');
    const now = this.deps.clock.now();
    const ts = Number(tsText) * 1000;
    if (Math.abs(now - ts) > WEBHOOK_TOLERANCE_S * 1000) return reject(401, 'stale', `webhook-timestamp: more than ${WEBHOOK_TOLERANCE_S} s from now`);
    const secrets = this.openSecrets(hook.secrets).filter((s) => s.expires_at === null || s.expires_at > now);
    const text = Buffer.from(body).toString('utf8');
    if (!secrets.some((s) => signatureMatches(s.secret, msgId, tsText, text, sig)))
      return reject(401, 'bad_signature', 'webhook-signature: no signature matches');
    let data: unknown;
    try {
      data = text.length === 0 ? {} : JSON.parse(text);
    } catch {
      data = { body: text };
    }
    const res = await this.sendEvent(
      hook.workspace_id,
      { name: hook.event_name, data, ts },
      { type: 'webhook', id: hook.id, actor: null, dedupeKey: `hook:${hook.id}:${msgId}` },
    );
    if (!res.created) return reject(409, 'replayed', `webhook-id ${JSON.stringify(msgId.slice(0, 100))} was delivered before`, res.event.id);
    return res.event;
  }
}

function runOpts(o: TriggerRunOptions): StartColumnRun {
  return {
    ...(o.mode === undefined ? {} : { mode: o.mode }),
    ...(o.profile === undefined ? {} : { profile: o.profile }),
    ...(o.run_name === undefined ? {} : { name: o.run_name }),
  };
}

function checkSecret(secret: string): void {
  try {
    new Webhook(secret);
  } catch {
    throw new ValidationError('secret: expected whsec_ followed by base64', { field: 'secret' });
  }
  const raw = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  if (raw.length < 16 || raw.length > 64) throw new ValidationError('secret: expected 16 to 64 bytes of key (base64)', { field: 'secret' });
}

/**
 * Whether one of the space-separated `v1,<base64>` signatures is the HMAC-SHA256 of
 * `id.timestamp.body` under `secret` (`whsec_` + base64 key), compared in constant time.
 * (The standardwebhooks package's `verify` checks the timestamp against the process clock;
 * the engine checks it against its own clock, then the signature here with the same scheme.)
 */
export function signatureMatches(secret: string, msgId: string, ts: string, body: string, header: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${msgId}.${ts}.${body}`).digest();
  for (const part of header.split(' ')) {
    const [version, value] = part.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const got = Buffer.from(value, 'base64');
    if (got.length === expected.length && timingSafeEqual(got, expected)) return true;
  }
  return false;
}
