/**
 * A small typed client of the trigger routes (issue 15): events, rules, schedules, hooks.
 * Kept apart from `RunyardClient` so the trigger surface can grow without touching it; errors
 * are the same {@link ApiError}.
 */
import { ApiError } from './errors.js';

/** A fire: one cause (a rule + an event, or a schedule + a slot) routed to at most one run. */
export interface TriggerFire {
  source_type: 'rule' | 'schedule';
  source_id: string;
  source_version: number;
  cause: string;
  event_id: string | null;
  slot_at: string | null;
  status: 'pending' | 'started' | 'skipped' | 'failed';
  reason: string | null;
  run_id: string | null;
}

/** A received event with the runs it started. */
export interface TriggerEvent {
  id: string;
  name: string;
  data: unknown;
  client_id: string | null;
  source: { type: 'api' | 'webhook'; id: string | null };
  actor: string | null;
  ts: string;
  created_at: string;
  fires: TriggerFire[];
  run_ids: string[];
}

export interface Rule {
  id: string;
  version: number;
  status: 'active' | 'paused';
  name: string;
  on: string;
  if: string | null;
  target: Record<string, unknown>;
  prompt: string | null;
  mode: string | null;
  profile: string | null;
  run_name: string | null;
  idempotency_key: string | null;
  created_at: string;
  updated_at: string;
  recent_fires?: TriggerFire[];
}

export interface Schedule {
  id: string;
  version: number;
  status: 'active' | 'paused';
  name: string;
  cron: string;
  timezone: string;
  catch_up: string;
  end_at: string | null;
  target: Record<string, unknown>;
  prompt: string | null;
  mode: string | null;
  profile: string | null;
  next_fire_times: string[];
  created_at: string;
  updated_at: string;
  recent_fires?: TriggerFire[];
}

export interface Hook {
  id: string;
  name: string;
  event_name: string;
  status: 'active' | 'paused';
  url: string;
  max_body_bytes: number;
  created_at: string;
  updated_at: string;
  /** Only when created or rotated. */
  secret?: string;
}

export interface RuleTestResult {
  match: boolean;
  reason: string | null;
  run: Record<string, unknown> | null;
}

const seg = encodeURIComponent;

/** Client of the trigger routes. */
export class TriggersClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: { baseUrl: string; token?: string; fetch?: typeof fetch }) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** `POST /v1/events`: `created` false when `id` was sent within 24 h (the first event is returned). */
  async sendEvent(body: { name: string; data?: unknown; id?: string; ts?: string }): Promise<{ event: TriggerEvent; created: boolean }> {
    const res = await this.#send('POST', '/v1/events', body);
    return { event: (await res.json()) as TriggerEvent, created: res.status === 201 };
  }
  listEvents(q: { name?: string; source_id?: string; created_after?: string; created_before?: string; limit?: number; cursor?: string } = {}) {
    return this.#json<{ data: TriggerEvent[]; next_cursor: string | null }>('GET', '/v1/trigger-events', undefined, q);
  }
  getEvent(id: string) {
    return this.#json<TriggerEvent>('GET', `/v1/trigger-events/${seg(id)}`);
  }

  createRule(body: Record<string, unknown>) {
    return this.#json<Rule>('POST', '/v1/rules', body);
  }
  updateRule(id: string, body: Record<string, unknown>) {
    return this.#json<Rule>('PUT', `/v1/rules/${seg(id)}`, body);
  }
  listRules() {
    return this.#json<{ data: Rule[] }>('GET', '/v1/rules');
  }
  getRule(id: string) {
    return this.#json<Rule>('GET', `/v1/rules/${seg(id)}`);
  }
  setRuleStatus(id: string, action: 'pause' | 'resume') {
    return this.#json<Rule>('POST', `/v1/rules/${seg(id)}/${action}`);
  }
  testRule(id: string, sample: { name: string; data?: unknown }) {
    return this.#json<RuleTestResult>('POST', `/v1/rules/${seg(id)}/test`, sample);
  }
  async deleteRule(id: string): Promise<void> {
    await this.#send('DELETE', `/v1/rules/${seg(id)}`);
  }

  createSchedule(body: Record<string, unknown>) {
    return this.#json<Schedule>('POST', '/v1/schedules', body);
  }
  listSchedules() {
    return this.#json<{ data: Schedule[] }>('GET', '/v1/schedules');
  }
  getSchedule(id: string) {
    return this.#json<Schedule>('GET', `/v1/schedules/${seg(id)}`);
  }
  setScheduleStatus(id: string, action: 'pause' | 'resume') {
    return this.#json<Schedule>('POST', `/v1/schedules/${seg(id)}/${action}`);
  }
  async deleteSchedule(id: string): Promise<void> {
    await this.#send('DELETE', `/v1/schedules/${seg(id)}`);
  }

  createHook(body: { name: string; event_name?: string; secret?: string; max_body_bytes?: number }) {
    return this.#json<Hook>('POST', '/v1/hooks', body);
  }
  listHooks() {
    return this.#json<{ data: Hook[] }>('GET', '/v1/hooks');
  }
  getHook(id: string) {
    return this.#json<Hook>('GET', `/v1/hooks/${seg(id)}`);
  }
  rotateHookSecret(id: string) {
    return this.#json<Hook>('POST', `/v1/hooks/${seg(id)}/rotate-secret`);
  }
  setHookStatus(id: string, action: 'pause' | 'resume') {
    return this.#json<Hook>('POST', `/v1/hooks/${seg(id)}/${action}`);
  }
  hookRejections(id: string) {
    return this.#json<{ data: { id: string; webhook_id: string | null; status: number; reason: string; created_at: string }[] }>(
      'GET',
      `/v1/hooks/${seg(id)}/rejections`,
    );
  }
  async deleteHook(id: string): Promise<void> {
    await this.#send('DELETE', `/v1/hooks/${seg(id)}`);
  }

  async #json<T>(method: string, path: string, body?: unknown, query?: Record<string, string | number | undefined>): Promise<T> {
    const res = await this.#send(method, path, body, query);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(res.status, 'bad_response', `${method} ${path}: the answer is not JSON: ${text.slice(0, 200)}`);
    }
  }

  async #send(method: string, path: string, body?: unknown, query: Record<string, string | number | undefined> = {}): Promise<Response> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.#fetch(`${this.baseUrl}${path}${qs.size > 0 ? `?${qs.toString()}` : ''}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw ApiError.unreachable(this.baseUrl, err);
    }
    if (!res.ok) throw await ApiError.fromResponse(res);
    return res;
  }
}
