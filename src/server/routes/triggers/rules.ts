/**
 * Rules: `on` an event name, CEL `if`, a target of any registered kind, prompt template,
 * idempotency key, debounce, rate; versioned; pause/resume; `POST /v1/rules/{id}/test` starts nothing.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { FireRecord, RuleDefinition, RuleRecord } from '../../../core/triggers.js';
import type { Engine } from '../../../engine/engine.js';
import { wsOf } from '../../auth/principal.js';
import { RunTargetBody } from '../../manual-run-schemas.js';
import { iso } from '../../present.js';
import { ErrorSchema, json } from '../../schemas.js';
import { FireSchema, Id, Status, presentFire, runOptionFields, timeField } from './shared.js';

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

const Concurrency = z
  .object({
    key: z.string().min(1).max(4096).openapi({ description: 'CEL over the event giving the key, e.g. event.data.customer' }),
    limit: z.number().int().min(1).max(1000).openapi({ description: 'Most non-terminal runs of this rule per key value' }),
  })
  .strict()
  .openapi('RuleConcurrency', {
    description: 'At most `limit` non-terminal runs per key; later events are held (pending, reason concurrency_limit) and start as runs of the key end',
  });

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
    concurrency: Concurrency.optional(),
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
    concurrency: Concurrency.nullable(),
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
        concurrency_key: z.string().optional().openapi({ description: 'The concurrency key value the event gives (rules with concurrency)' }),
      })
      .nullable(),
  })
  .openapi('RuleTestResult');

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
    concurrency: d.concurrency ?? null,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
    ...(fires ? { recent_fires: fires.map(presentFire) } : {}),
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

/** Registers the rule routes. */
export function ruleRoutes(app: OpenAPIHono, engine: Engine): void {
  const t = engine.triggers.rules;
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
}
