/**
 * Events (issue 15): `POST /v1/events` records an event and, in the same transaction, one fire
 * per rule listening to its name; the fires are routed after commit. An `id` de-duplicates for
 * 24 h by a unique key, so concurrent repeats agree.
 */
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { debounceGroup, evalFilter, eventScope, parseDuration, type FireRecord, type RuleRecord, type TriggerEventRecord } from '../../core/triggers.js';
import type { Store } from '../../store/port.js';
import type { NewFire } from '../../store/trigger-port.js';
import { nameCheck, type FireSink, type TriggerContext } from './shared.js';

/** An event as sent: `POST /v1/events`. */
export interface SendEvent {
  name: string;
  data?: unknown;
  /** De-duplication key: a repeat within 24 h returns the first event. */
  id?: string;
  /** The event's own time, epoch ms. */
  ts?: number;
}

export class EventsService {
  constructor(
    private readonly ctx: TriggerContext,
    private readonly router: FireSink,
  ) {}

  private get st() {
    return this.ctx.store.triggers;
  }

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
    const now = this.ctx.clock.now();
    const ts = e.ts ?? now;
    if (!Number.isFinite(ts)) throw new ValidationError('ts: expected an ISO-8601 time', { field: 'ts' });
    const dedupe = source.dedupeKey ?? (e.id === undefined ? null : `api:${e.id}`);
    const ev = {
      id: this.ctx.ids.next('tev'),
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
    const lease = now + this.ctx.options.fireLeaseMs;
    const res = await this.st.recordEvent(ev, this.ctx.options.dedupeWindowMs, (rules) => this.decide(rules, ev, lease), now);
    if (res.created) this.router.routeSoon(res.fires.filter((f) => f.status === 'pending' && f.group_key === null));
    if (res.created && this.ctx.onEvent) {
      await this.ctx.onEvent(res.event).catch((err: unknown) => this.ctx.logger.warn('event hook failed', { err: String(err), event_id: res.event.id }));
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
}
