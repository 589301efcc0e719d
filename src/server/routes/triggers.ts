/**
 * Triggers (issue 15): events, rules, schedules and webhooks.
 * - `POST /v1/events` records an event (`id` de-duplicates for 24 h: a repeat answers 200 with
 *   the first); `GET /v1/trigger-events[/{id}]` lists them with the runs they started
 *   (`GET /v1/events` is the run timeline stream, so received events are listed apart).
 * - `/v1/rules`: `on` an event name, CEL `if`, a target of any registered kind, prompt template,
 *   idempotency key; versioned; pause/resume; `POST /v1/rules/{id}/test` starts nothing.
 * - `/v1/schedules`: cron (+ seconds) in a time zone, one run per slot, pause/resume, next 5 times.
 * - `/v1/hooks`: Standard Webhooks endpoints; `POST /v1/hooks/{id}` carries no token (the
 *   signature is the credential) and answers 202, or 401/409/413 recorded as a rejection.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ValidationError } from '../../core/errors.js';
import type { FireRecord, RuleDefinition, RuleRecord, ScheduleDefinition, ScheduleRecord, TriggerEventRecord } from '../../core/triggers.js';
import type { Engine } from '../../engine/engine.js';
import { HookRejectedError } from '../../engine/triggers.js';
import type { HookRecord } from '../../store/trigger-port.js';
import { principalOf, wsOf } from '../auth/principal.js';
import type { ServerContext } from '../context.js';
import { errorBody } from '../errors.js';
import { RunTargetBody } from '../manual-run-schemas.js';
import { iso } from '../present.js';
import { ErrorSchema, json } from '../schemas.js';

const Id = (name: string) => z.object({ [name]: z.string().min(1).max(100) });
const Status = z.enum(['active', 'paused']);

const FireSchema = z
  .object({
    source_type: z.enum(['rule', 'schedule']),
    source_id: z.string(),
    source_version: z.number().int(),
    cause: z.string(),
    event_id: z.string().nullable(),
    slot_at: z.string().nullable(),
    status: z.enum(['pending', 'started', 'skipped', 'failed']),
    reason: z.string().nullable(),
    run_id: z.string().nullable(),
  })
  .openapi('TriggerFire', { description: 'One cause routed to at most one run (a rule + an event, or a schedule + a slot).' });

const EventSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    data: z.unknown(),
    client_id: z.string().nullable(),
    source: z.object({ type: z.enum(['api', 'webhook']), id: z.string().nullable() }),
    actor: z.string().nullable(),
    ts: z.string(),
    created_at: z.string(),
    fires: z.array(FireSchema),
    run_ids: z.array(z.string()).openapi({ description: 'The runs this event started' }),
  })
  .openapi('TriggerEvent');

const SendEventBody = z
  .object({
    name: z.string().min(1).max(200),
    data: z.unknown().optional(),
    id: z.string().min(1).max(255).optional().openapi({ description: 'De-duplication key: a repeat within 24 h returns the first event' }),
    ts: z.string().optional().openapi({ description: 'ISO-8601 time of the event; default: now' }),
  })
  .strict()
  .openapi('SendEvent');

const runOptionFields = {
  prompt: z
    .string()
    .max(32 * 1024)
    .optional(),
  mode: z.enum(['live', 'dry_run', 'smoke_test']).optional(),
  profile: z.string().min(1).max(100).optional(),
  run_name: z.string().min(1).max(200).optional(),
};

const Debounce = z
  .object({
    period: z.string().min(1).max(20).openapi({ description: 'Quiet time before the run starts, e.g. 500ms, 10s, 5m (100ms to 24h)' }),
    key: z.string().min(1).max(4096).optional().openapi({ description: 'CEL: events with different keys are debounced apart' }),
  })
  .strict()
  .openapi('RuleDebounce', { description: 'Collapse a burst of events into one run with the last event' });

const Rate = z
  .object({
    limit: z.number().int().min(1).max(10_000),
    period: z.string().min(1).max(20).openapi({ description: 'Window length, e.g. 1m, 1h (100ms to 24h); windows are fixed, by event time' }),
  })
  .strict()
  .openapi('RuleRate', { description: 'At most `limit` runs per window; the rest are skipped: rate_limited' });

const RuleBody = z
  .object({
    name: z.string().min(1).max(200),
    on: z.string().min(1).max(200).openapi({ description: 'The event name it listens to' }),
    if: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .openapi({ description: 'CEL over `event` (name, data, id, ts) that must be true', example: 'event.data.amount > 100' }),
    target: RunTargetBody,
    ...runOptionFields,
    idempotency_key: z.string().min(1).max(4096).optional().openapi({ description: 'CEL giving a key: events with the same key start one run' }),
    debounce: Debounce.optional(),
    rate: Rate.optional(),
    status: Status.optional(),
  })
  .strict()
  .openapi('RuleInput');

const RuleSchema = z
  .object({
    id: z.string(),
    version: z.number().int(),
    status: Status,
    name: z.string(),
    on: z.string(),
    if: z.string().nullable(),
    target: z.record(z.string(), z.unknown()),
    prompt: z.string().nullable(),
    mode: z.string().nullable(),
    profile: z.string().nullable(),
    run_name: z.string().nullable(),
    idempotency_key: z.string().nullable(),
    debounce: Debounce.nullable(),
    rate: Rate.nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    recent_fires: z.array(FireSchema).optional(),
  })
  .openapi('Rule');

const TestBody = z
  .object({ name: z.string().min(1).max(200), data: z.unknown().optional(), ts: z.string().optional() })
  .strict()
  .openapi('RuleTestInput');

const TestResult = z
  .object({
    match: z.boolean(),
    reason: z.string().nullable(),
    run: z
      .object({
        target: z.record(z.string(), z.unknown()),
        trigger: z.object({ type: z.string(), source_id: z.string().nullable(), actor: z.string().nullable() }),
        prompt: z.string().nullable(),
        mode: z.string(),
        profile: z.string().nullable(),
        name: z.string().nullable(),
        idempotency_key: z.string(),
      })
      .nullable(),
  })
  .openapi('RuleTestResult');

const ScheduleBody = z
  .object({
    name: z.string().min(1).max(200),
    cron: z.string().min(1).max(200).openapi({ description: '5 fields, or 6 with seconds first', example: '0 */5 * * * *' }),
    timezone: z.string().min(1).max(100).optional().openapi({ description: 'IANA time zone; default UTC' }),
    catch_up: z.enum(['none', 'latest', 'all']).optional().openapi({ description: 'Slots missed while no node ran: none (default), the latest, or all' }),
    end_at: z.string().optional().openapi({ description: 'ISO-8601; no slot after it fires' }),
    target: RunTargetBody,
    ...runOptionFields,
    status: Status.optional(),
  })
  .strict()
  .openapi('ScheduleInput');

const ScheduleSchema = z
  .object({
    id: z.string(),
    version: z.number().int(),
    status: Status,
    name: z.string(),
    cron: z.string(),
    timezone: z.string(),
    catch_up: z.string(),
    end_at: z.string().nullable(),
    target: z.record(z.string(), z.unknown()),
    prompt: z.string().nullable(),
    mode: z.string().nullable(),
    profile: z.string().nullable(),
    next_fire_times: z.array(z.string()),
    created_at: z.string(),
    updated_at: z.string(),
    recent_fires: z.array(FireSchema).optional(),
  })
  .openapi('Schedule');

const HookBody = z
  .object({
    name: z.string().min(1).max(200),
    event_name: z.string().min(1).max(200).optional().openapi({ description: 'The event a verified call becomes; default hook.<name>' }),
    secret: z.string().optional().openapi({ description: 'whsec_… (Standard Webhooks); default: generated and returned once' }),
    max_body_bytes: z.number().int().optional(),
  })
  .strict()
  .openapi('HookInput');

const HookSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    event_name: z.string(),
    status: Status,
    url: z.string(),
    max_body_bytes: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    secret: z.string().optional().openapi({ description: 'Only when created or rotated; never shown again' }),
  })
  .openapi('Hook');

const RejectionSchema = z
  .object({ id: z.string(), webhook_id: z.string().nullable(), status: z.number().int(), reason: z.string(), created_at: z.string() })
  .openapi('HookRejection');

function timeField(v: string | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(ms))
    throw new ValidationError(`${field}: expected an ISO-8601 time such as 2026-11-21T07:00:00Z`, { field });
  return ms;
}

function presentFire(f: FireRecord): z.infer<typeof FireSchema> {
  return {
    source_type: f.source_type,
    source_id: f.source_id,
    source_version: f.source_version,
    cause: f.cause,
    event_id: f.event_id,
    slot_at: iso(f.slot_at),
    status: f.status,
    reason: f.reason,
    run_id: f.run_id,
  };
}

function presentEvent(e: TriggerEventRecord, fires: FireRecord[]): z.infer<typeof EventSchema> {
  return {
    id: e.id,
    name: e.name,
    data: e.data,
    client_id: e.client_id,
    source: { type: e.source_type, id: e.source_id },
    actor: e.actor,
    ts: iso(e.ts),
    created_at: iso(e.created_at),
    fires: fires.map(presentFire),
    run_ids: fires.filter((f) => f.status === 'started' && f.run_id !== null).map((f) => f.run_id as string),
  };
}

function presentRule(r: RuleRecord, fires?: FireRecord[]): z.infer<typeof RuleSchema> {
  const d = r.definition;
  return {
    id: r.id,
    version: r.version,
    status: r.status,
    name: d.name,
    on: d.on,
    if: d.if ?? null,
    target: d.target,
    prompt: d.prompt ?? null,
    mode: d.mode ?? null,
    profile: d.profile ?? null,
    run_name: d.run_name ?? null,
    idempotency_key: d.idempotency_key ?? null,
    debounce: d.debounce ?? null,
    rate: d.rate ?? null,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
    ...(fires ? { recent_fires: fires.map(presentFire) } : {}),
  };
}

function presentSchedule(engine: Engine, s: ScheduleRecord, fires?: FireRecord[]): z.infer<typeof ScheduleSchema> {
  const d = s.definition;
  let next: number[];
  try {
    next = s.status === 'active' ? engine.triggers.nextFireTimes(s) : [];
  } catch {
    // A definition that no longer decides (e.g. a time zone dropped from the runtime) shows none.
    next = [];
  }
  return {
    id: s.id,
    version: s.version,
    status: s.status,
    name: d.name,
    cron: d.cron,
    timezone: d.timezone,
    catch_up: d.catch_up,
    end_at: d.end_at === undefined ? null : iso(d.end_at),
    target: d.target,
    prompt: d.prompt ?? null,
    mode: d.mode ?? null,
    profile: d.profile ?? null,
    next_fire_times: next.map((t) => iso(t)),
    created_at: iso(s.created_at),
    updated_at: iso(s.updated_at),
    ...(fires ? { recent_fires: fires.map(presentFire) } : {}),
  };
}

function presentHook(sc: ServerContext, h: HookRecord, secret?: string): z.infer<typeof HookSchema> {
  return {
    id: h.id,
    name: h.name,
    event_name: h.event_name,
    status: h.status,
    url: `${sc.baseUrl()}/v1/hooks/${h.id}`,
    max_body_bytes: h.max_body_bytes,
    created_at: iso(h.created_at),
    updated_at: iso(h.updated_at),
    ...(secret === undefined ? {} : { secret }),
  };
}

/** A parsed rule body as a definition (no `undefined` entries). */
function ruleDef(b: z.infer<typeof RuleBody>): RuleDefinition {
  const { status: _s, target, ...rest } = b;
  return {
    ...(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as unknown as Omit<RuleDefinition, 'target'>),
    target: target as RuleDefinition['target'],
  };
}

function scheduleDef(b: z.infer<typeof ScheduleBody>): ScheduleDefinition {
  const { status: _s, target, end_at, timezone, catch_up, ...rest } = b;
  const end = timeField(end_at, 'end_at');
  return {
    ...(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Pick<ScheduleDefinition, 'name' | 'cron'>),
    timezone: timezone ?? 'UTC',
    catch_up: catch_up ?? 'none',
    ...(end === undefined ? {} : { end_at: end }),
    target: target as ScheduleDefinition['target'],
  };
}

function actorOf(c: Context): string | null {
  try {
    return principalOf(c).token_name;
  } catch {
    return null;
  }
}

export function triggerRoutes(app: OpenAPIHono, engine: Engine, sc: ServerContext): void {
  const t = engine.triggers;

  // ---- events
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/events',
      summary: 'Record an event; rules listening to its name start runs (id de-duplicates for 24 h)',
      request: { body: { content: { 'application/json': { schema: SendEventBody } }, required: true } },
      responses: {
        201: json(EventSchema, 'The event, recorded'),
        200: json(EventSchema, 'The first event sent with this id (within 24 h)'),
        422: json(ErrorSchema, 'Invalid input (details.field)'),
      },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const ts = timeField(b.ts, 'ts');
      const res = await t.sendEvent(
        wsOf(c),
        { name: b.name, data: b.data, ...(b.id === undefined ? {} : { id: b.id }), ...(ts === undefined ? {} : { ts }) },
        { type: 'api', id: null, actor: actorOf(c) },
      );
      const fires = res.created ? res.fires : (await t.getEvent(wsOf(c), res.event.id)).fires;
      return c.json(presentEvent(res.event, fires), res.created ? 201 : 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/trigger-events',
      summary: 'Received events, newest first, each with the runs it started',
      request: {
        query: z.object({
          name: z.string().max(200).optional(),
          source_id: z.string().max(100).optional().openapi({ description: 'Only events of this hook' }),
          created_after: z.string().optional(),
          created_before: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
          cursor: z.string().optional(),
        }),
      },
      responses: { 200: json(z.object({ data: z.array(EventSchema), next_cursor: z.string().nullable() }), 'A page of events') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const after = timeField(q.created_after, 'created_after');
      const before = timeField(q.created_before, 'created_before');
      const page = await t.listEvents(
        wsOf(c),
        {
          ...(q.name === undefined ? {} : { name: q.name }),
          ...(q.source_id === undefined ? {} : { source_id: q.source_id }),
          ...(after === undefined ? {} : { created_after: after }),
          ...(before === undefined ? {} : { created_before: before }),
        },
        { limit: q.limit ?? 50, ...(q.cursor === undefined ? {} : { cursor: q.cursor }) },
      );
      return c.json({ data: page.data.map((x) => presentEvent(x.event, x.fires)), next_cursor: page.next_cursor }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/trigger-events/{event_id}',
      summary: 'One received event with its fires and the runs it started',
      request: { params: Id('event_id') },
      responses: { 200: json(EventSchema, 'The event'), 404: json(ErrorSchema, 'Unknown event') },
    }),
    async (c) => {
      const { event, fires } = await t.getEvent(wsOf(c), c.req.valid('param').event_id as string);
      return c.json(presentEvent(event, fires), 200);
    },
  );

  // ---- rules
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/rules',
      summary: 'Create a rule: on an event name, an optional CEL filter, a target of any kind',
      request: { body: { content: { 'application/json': { schema: RuleBody } }, required: true } },
      responses: { 201: json(RuleSchema, 'The rule (version 1)'), 422: json(ErrorSchema, 'Invalid input, nothing saved (details.field)') },
    }),
    async (c) => {
      const b = c.req.valid('json');
      return c.json(presentRule(await t.createRule(wsOf(c), ruleDef(b), b.status ?? 'active')), 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/rules',
      summary: 'Rules of the workspace',
      responses: { 200: json(z.object({ data: z.array(RuleSchema) }), 'Rules') },
    }),
    async (c) => c.json({ data: (await t.listRules(wsOf(c))).map((r) => presentRule(r)) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/rules/{rule_id}',
      summary: 'One rule with its recent fires',
      request: { params: Id('rule_id') },
      responses: { 200: json(RuleSchema, 'The rule'), 404: json(ErrorSchema, 'Unknown rule') },
    }),
    async (c) => {
      const id = c.req.valid('param').rule_id as string;
      const r = await t.getRule(wsOf(c), id);
      return c.json(presentRule(r, await t.fires(wsOf(c), id)), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/rules/{rule_id}',
      summary: 'Save a new version of a rule (fires decided earlier keep their version)',
      request: { params: Id('rule_id'), body: { content: { 'application/json': { schema: RuleBody } }, required: true } },
      responses: {
        200: json(RuleSchema, 'The rule at its new version'),
        404: json(ErrorSchema, 'Unknown rule'),
        422: json(ErrorSchema, 'Invalid input, nothing saved'),
      },
    }),
    async (c) => {
      const id = c.req.valid('param').rule_id as string;
      const b = c.req.valid('json');
      let r = await t.updateRule(wsOf(c), id, ruleDef(b));
      if (b.status !== undefined && b.status !== r.status) r = await t.setRuleStatus(wsOf(c), id, b.status);
      return c.json(presentRule(r), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/rules/{rule_id}',
      summary: 'Delete a rule (runs it started stay)',
      request: { params: Id('rule_id') },
      responses: { 204: { description: 'Deleted' }, 404: json(ErrorSchema, 'Unknown rule') },
    }),
    async (c) => {
      await t.deleteRule(wsOf(c), c.req.valid('param').rule_id as string);
      return c.body(null, 204);
    },
  );
  for (const action of ['pause', 'resume'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/rules/{rule_id}/${action}`,
        summary: action === 'pause' ? 'Pause a rule: events are still recorded, its fires marked skipped: rule_paused' : 'Resume a rule',
        request: { params: Id('rule_id') },
        responses: { 200: json(RuleSchema, 'The rule'), 404: json(ErrorSchema, 'Unknown rule') },
      }),
      async (c) => c.json(presentRule(await t.setRuleStatus(wsOf(c), c.req.valid('param').rule_id as string, action === 'pause' ? 'paused' : 'active')), 200),
    );
  }
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/rules/{rule_id}/test',
      summary: 'Test a rule against a sample event: whether it matches and the run it would create (nothing is written or started)',
      request: { params: Id('rule_id'), body: { content: { 'application/json': { schema: TestBody } }, required: true } },
      responses: { 200: json(TestResult, 'The outcome'), 404: json(ErrorSchema, 'Unknown rule') },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const ts = timeField(b.ts, 'ts');
      const res = await t.testRule(wsOf(c), c.req.valid('param').rule_id as string, { name: b.name, data: b.data, ...(ts === undefined ? {} : { ts }) });
      return c.json(res as z.infer<typeof TestResult>, 200);
    },
  );

  // ---- schedules
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/schedules',
      summary: 'Create a schedule: cron (seconds optional) in a time zone; one run per slot across all nodes',
      request: { body: { content: { 'application/json': { schema: ScheduleBody } }, required: true } },
      responses: {
        201: json(ScheduleSchema, 'The schedule'),
        422: json(ErrorSchema, 'Invalid cron, unknown time zone, never fires, bad target (details.field)'),
      },
    }),
    async (c) => {
      const b = c.req.valid('json');
      return c.json(presentSchedule(engine, await t.createSchedule(wsOf(c), scheduleDef(b), b.status ?? 'active')), 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/schedules',
      summary: 'Schedules of the workspace',
      responses: { 200: json(z.object({ data: z.array(ScheduleSchema) }), 'Schedules') },
    }),
    async (c) => c.json({ data: (await t.listSchedules(wsOf(c))).map((s) => presentSchedule(engine, s)) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/schedules/{schedule_id}',
      summary: 'One schedule: next 5 fire times and recent fires',
      request: { params: Id('schedule_id') },
      responses: { 200: json(ScheduleSchema, 'The schedule'), 404: json(ErrorSchema, 'Unknown schedule') },
    }),
    async (c) => {
      const id = c.req.valid('param').schedule_id as string;
      return c.json(presentSchedule(engine, await t.getSchedule(wsOf(c), id), await t.fires(wsOf(c), id)), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/schedules/{schedule_id}',
      summary: 'Delete a schedule (runs it started stay)',
      request: { params: Id('schedule_id') },
      responses: { 204: { description: 'Deleted' }, 404: json(ErrorSchema, 'Unknown schedule') },
    }),
    async (c) => {
      await t.deleteSchedule(wsOf(c), c.req.valid('param').schedule_id as string);
      return c.body(null, 204);
    },
  );
  for (const action of ['pause', 'resume'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/schedules/{schedule_id}/${action}`,
        summary: action === 'pause' ? 'Pause a schedule' : 'Resume a schedule (slots passed while paused do not fire)',
        request: { params: Id('schedule_id') },
        responses: { 200: json(ScheduleSchema, 'The schedule'), 404: json(ErrorSchema, 'Unknown schedule') },
      }),
      async (c) =>
        c.json(
          presentSchedule(engine, await t.setScheduleStatus(wsOf(c), c.req.valid('param').schedule_id as string, action === 'pause' ? 'paused' : 'active')),
          200,
        ),
    );
  }

  // ---- hooks
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/hooks',
      summary: 'Create a webhook endpoint (Standard Webhooks); the secret is shown once',
      request: { body: { content: { 'application/json': { schema: HookBody } }, required: true } },
      responses: { 201: json(HookSchema, 'The hook with its secret'), 422: json(ErrorSchema, 'Invalid input') },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const { hook, secret } = await t.createHook(wsOf(c), {
        name: b.name,
        ...(b.event_name === undefined ? {} : { event_name: b.event_name }),
        ...(b.secret === undefined ? {} : { secret: b.secret }),
        ...(b.max_body_bytes === undefined ? {} : { max_body_bytes: b.max_body_bytes }),
      });
      return c.json(presentHook(sc, hook, secret), 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/hooks',
      summary: 'Webhook endpoints of the workspace',
      responses: { 200: json(z.object({ data: z.array(HookSchema) }), 'Hooks') },
    }),
    async (c) => c.json({ data: (await t.listHooks(wsOf(c))).map((h) => presentHook(sc, h)) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/hooks/{hook_id}',
      summary: 'One webhook endpoint',
      request: { params: Id('hook_id') },
      responses: { 200: json(HookSchema, 'The hook'), 404: json(ErrorSchema, 'Unknown hook') },
    }),
    async (c) => c.json(presentHook(sc, await t.getHook(wsOf(c), c.req.valid('param').hook_id as string)), 200),
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/hooks/{hook_id}',
      summary: 'Delete a webhook endpoint',
      request: { params: Id('hook_id') },
      responses: { 204: { description: 'Deleted' }, 404: json(ErrorSchema, 'Unknown hook') },
    }),
    async (c) => {
      await t.deleteHook(wsOf(c), c.req.valid('param').hook_id as string);
      return c.body(null, 204);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/hooks/{hook_id}/rotate-secret',
      summary: 'Rotate the secret: the new one now, the previous one still valid for 24 h',
      request: { params: Id('hook_id') },
      responses: { 200: json(HookSchema, 'The hook with its new secret'), 404: json(ErrorSchema, 'Unknown hook') },
    }),
    async (c) => {
      const { hook, secret } = await t.rotateHookSecret(wsOf(c), c.req.valid('param').hook_id as string);
      return c.json(presentHook(sc, hook, secret), 200);
    },
  );
  for (const action of ['pause', 'resume'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/hooks/{hook_id}/${action}`,
        summary: action === 'pause' ? 'Pause a hook (calls are refused with 409 and recorded)' : 'Resume a hook',
        request: { params: Id('hook_id') },
        responses: { 200: json(HookSchema, 'The hook'), 404: json(ErrorSchema, 'Unknown hook') },
      }),
      async (c) =>
        c.json(presentHook(sc, await t.setHookStatus(wsOf(c), c.req.valid('param').hook_id as string, action === 'pause' ? 'paused' : 'active')), 200),
    );
  }
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/hooks/{hook_id}/rejections',
      summary: 'Refused calls of a hook, newest first (unsigned, stale, bad signature, replayed, too large)',
      request: { params: Id('hook_id') },
      responses: { 200: json(z.object({ data: z.array(RejectionSchema) }), 'Rejections'), 404: json(ErrorSchema, 'Unknown hook') },
    }),
    async (c) => {
      const id = c.req.valid('param').hook_id as string;
      await t.getHook(wsOf(c), id);
      const rows = await t.hookRejections(wsOf(c), id);
      return c.json(
        { data: rows.map((r) => ({ id: r.id, webhook_id: r.webhook_id, status: r.status, reason: r.reason, created_at: iso(r.created_at) })) },
        200,
      );
    },
  );
  // The delivery itself: no token, the Standard Webhooks signature is the credential.
  app.post('/v1/hooks/:hook_id', async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const headers = {
      'webhook-id': c.req.header('webhook-id'),
      'webhook-timestamp': c.req.header('webhook-timestamp'),
      'webhook-signature': c.req.header('webhook-signature'),
    };
    try {
      const ev = await t.receiveWebhook(c.req.param('hook_id'), headers, body);
      return c.json({ event_id: ev.id }, 202);
    } catch (err) {
      if (err instanceof HookRejectedError) {
        const code = err.status === 413 ? 'payload_too_large' : err.status === 401 ? 'unauthorized' : 'conflict';
        return c.json(errorBody(code, err.message, { reason: err.reason, ...(err.eventId ? { event_id: err.eventId } : {}) }), err.status);
      }
      // An unknown hook answers like an unsigned call: ids are not probed.
      if (err instanceof Error && 'code' in err && err.code === 'not_found') return c.json(errorBody('unauthorized', 'unknown hook or missing signature'), 401);
      throw err;
    }
  });
}
