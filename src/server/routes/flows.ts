/**
 * Flows and waits (issue 13).
 * - `GET /v1/flows/schema` → the JSON Schema of a flow definition
 * - `POST /v1/flows/validate` `{definition}` → `{valid: true, definition}` (422 listing every
 *   error with its JSON path in `details.errors`)
 * - `POST /v1/flows` `{definition}` (YAML/JSON text or an object) → 201 Flow (version 1)
 * - `GET /v1/flows`, `GET /v1/flows/{flow_id}?version=N`
 * - `POST /v1/flows/{flow_id}/versions` `{definition}` → 201 Flow (the next version)
 * - `POST /v1/flows/{flow_id}/runs` `{version?, inputs?, name?}` → 201 Run (Idempotency-Key
 *   honoured; 422 naming `inputs.<field>`)
 * - `GET /v1/waits?status=open&run_id=` (oldest first), `GET /v1/waits/{wait_id}`
 * - `POST /v1/waits/{wait_id}/responses` `{values?, decision?, comment?}` → 200 `{wait, run}`;
 *   422 naming the field (the wait stays open); 409 `item_not_waiting` with `details.outcome`
 *   when it is closed; the same Idempotency-Key as the winner returns it (200)
 *
 * A flow whose tool steps use `shell` or `js` runs code on the server: saving it needs `admin`.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ForbiddenError } from '../../core/errors.js';
import { definitionJsonSchema } from '../../kinds/flow/index.js';
import type { Engine } from '../../engine/engine.js';
import { CODE_PRODUCERS, producersOf } from '../../engine/flows-service.js';
import type { FlowRecord, WaitRecord } from '../../store/flows-port.js';
import type { ServerContext } from '../context.js';
import { iso, presentOne } from '../present.js';
import { ErrorSchema, RunSchema, json } from '../schemas.js';
import { principalOf, wsOf } from '../auth/principal.js';
import type { Context } from 'hono';

const errors = { 404: json(ErrorSchema, 'Not found'), 422: json(ErrorSchema, 'Invalid input (details.errors lists every error with its JSON path)') };
const FlowId = z.object({ flow_id: z.string().openapi({ param: { name: 'flow_id', in: 'path' } }) });
const WaitId = z.object({ wait_id: z.string().openapi({ param: { name: 'wait_id', in: 'path' } }) });
const DefinitionBody = z
  .object({
    definition: z.union([z.string(), z.record(z.string(), z.unknown())]).openapi({ description: 'The definition: YAML or JSON text, or a JSON object' }),
  })
  .strict()
  .openapi('FlowDefinitionBody');
const FlowSchema = z
  .object({
    id: z.string(),
    version: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    definition: z.record(z.string(), z.unknown()),
    source: z.string(),
    created_at: z.string(),
  })
  .openapi('Flow');
const WaitSchema = z
  .object({
    id: z.string(),
    run_id: z.string(),
    run_name: z.string(),
    run_status: z.string(),
    item_id: z.string(),
    step_id: z.string(),
    phase: z.string().nullable(),
    title: z.string().nullable(),
    prompt: z.string(),
    form: z.record(z.string(), z.unknown()).nullable(),
    decisions: z.array(z.object({ id: z.string(), label: z.string().optional(), next: z.string().optional() })),
    event: z
      .object({ name: z.string(), match: z.string().optional() })
      .nullable()
      .openapi({ description: 'A flow `wait` step on an event: the event name and CEL match it waits for; null for a person’s wait' }),
    assignees: z.array(z.string()).openapi({ description: 'Who may answer: role names (that role or higher) or token names; empty: any operator' }),
    status: z.enum(['open', 'answered', 'expired', 'canceled']),
    on_timeout: z.enum(['fail', 'cancel', 'continue']),
    expires_at: z.string(),
    response: z.record(z.string(), z.unknown()).nullable(),
    responded_by: z.string().nullable(),
    reason: z.string().nullable(),
    created_at: z.string(),
    closed_at: z.string().nullable(),
    age_ms: z.number().int(),
    time_left_ms: z.number().int(),
  })
  .openapi('Wait');
const RunFlowBody = z
  .object({
    version: z.number().int().min(1).optional(),
    inputs: z.record(z.string(), z.unknown()).optional(),
    name: z.string().min(1).max(200).optional(),
  })
  .strict()
  .openapi('RunFlowBody');
const AnswerBody = z
  .object({
    values: z.record(z.string(), z.unknown()).optional(),
    decision: z.string().optional(),
    comment: z.string().max(10_000).optional(),
  })
  .strict()
  .openapi('WaitAnswer');

function presentFlow(f: FlowRecord) {
  return { id: f.id, version: f.version, name: f.name, description: f.description, definition: f.definition, source: f.source, created_at: iso(f.created_at) };
}

function presentWait(w: WaitRecord, now: number) {
  return {
    id: w.id,
    run_id: w.run_id,
    run_name: w.run_name,
    run_status: w.run_status,
    item_id: w.item_id,
    step_id: w.step_key,
    phase: w.phase,
    title: w.title,
    prompt: w.prompt,
    form: w.form,
    decisions: w.decisions,
    event: w.event,
    assignees: w.assignees,
    status: w.status,
    on_timeout: w.on_timeout,
    expires_at: iso(w.expires_at),
    response: w.response,
    responded_by: w.responded_by,
    reason: w.reason,
    created_at: iso(w.created_at),
    closed_at: iso(w.closed_at),
    age_ms: Math.max(0, (w.closed_at ?? now) - w.created_at),
    time_left_ms: w.status === 'open' ? Math.max(0, w.expires_at - now) : 0,
  };
}

/** Refuses a definition that runs code on the server unless the caller is an admin. */
function guardCode(c: Context, engine: Engine, definition: unknown): void {
  const def = engine.flows.validate(definition);
  const code = producersOf(def).filter((p) => CODE_PRODUCERS.has(p));
  if (code.length > 0 && principalOf(c).role !== 'admin') {
    throw new ForbiddenError(`definition: steps using ${code.join(', ')} run code on the server; saving it needs the admin role`, 'admin');
  }
}

export function flowRoutes(app: OpenAPIHono, engine: Engine, sc: ServerContext): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/flows/schema',
      summary: 'The JSON Schema of a flow definition',
      responses: { 200: json(z.record(z.string(), z.unknown()), 'JSON Schema') },
    }),
    (c) => c.json(definitionJsonSchema(), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/flows/validate',
      summary: 'Validate a flow definition (422 lists every error with its JSON path)',
      request: { body: { content: { 'application/json': { schema: DefinitionBody } }, required: true } },
      responses: { 200: json(z.object({ valid: z.boolean(), definition: z.record(z.string(), z.unknown()) }), 'Valid'), 422: errors[422] },
    }),
    (c) => c.json({ valid: true, definition: engine.flows.validate(c.req.valid('json').definition) as unknown as Record<string, unknown> }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/flows',
      summary: 'Create a flow (version 1)',
      request: { body: { content: { 'application/json': { schema: DefinitionBody } }, required: true } },
      responses: { 201: json(FlowSchema, 'The flow'), 422: errors[422] },
    }),
    async (c) => {
      const { definition } = c.req.valid('json');
      guardCode(c, engine, definition);
      return c.json(presentFlow(await engine.flows.create(wsOf(c), definition)), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/flows',
      summary: 'List flows (newest version of each), by name',
      responses: { 200: json(z.object({ data: z.array(FlowSchema) }), 'Flows') },
    }),
    async (c) => c.json({ data: (await engine.flows.list(wsOf(c))).map(presentFlow) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/flows/{flow_id}',
      summary: 'Get a flow (its newest version, or ?version=N)',
      request: { params: FlowId, query: z.object({ version: z.coerce.number().int().min(1).optional() }) },
      responses: { 200: json(FlowSchema, 'The flow'), ...errors },
    }),
    async (c) => c.json(presentFlow(await engine.flows.get(wsOf(c), c.req.valid('param').flow_id, c.req.valid('query').version)), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/flows/{flow_id}/versions',
      summary: 'Add a version of a flow (runs keep the version they started on)',
      request: { params: FlowId, body: { content: { 'application/json': { schema: DefinitionBody } }, required: true } },
      responses: { 201: json(FlowSchema, 'The new version'), ...errors },
    }),
    async (c) => {
      const { definition } = c.req.valid('json');
      const { flow_id } = c.req.valid('param');
      // An unknown flow (or another workspace's) is 404 before its body is looked at.
      await engine.flows.get(wsOf(c), flow_id);
      guardCode(c, engine, definition);
      return c.json(presentFlow(await engine.flows.addVersion(wsOf(c), flow_id, definition)), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/flows/{flow_id}/runs',
      summary: 'Run a flow (Idempotency-Key honoured)',
      request: {
        params: FlowId,
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        body: { content: { 'application/json': { schema: RunFlowBody } }, required: true },
      },
      responses: { 201: json(RunSchema, 'The new run'), 200: json(RunSchema, 'The run created earlier with this Idempotency-Key'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const key = c.req.valid('header')['idempotency-key'];
      const p = principalOf(c);
      const { run, created } = await engine.flows.run(wsOf(c), c.req.valid('param').flow_id, body, {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(key === undefined ? {} : { idempotency_key: key }),
        trigger: { type: 'api', actor: p.token_name },
      });
      return c.json(await presentOne(engine, sc.baseUrl(), run), created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/waits',
      summary: 'List waits, oldest first (?status=open for the inbox)',
      request: {
        query: z.object({
          status: z.enum(['open', 'answered', 'expired', 'canceled']).optional(),
          run_id: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
      },
      responses: { 200: json(z.object({ data: z.array(WaitSchema) }), 'Waits'), 422: errors[422] },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const waits = await engine.flows.listWaits(wsOf(c), {
        ...(q.status === undefined ? {} : { status: q.status }),
        ...(q.run_id === undefined ? {} : { run_id: q.run_id }),
        limit: q.limit,
      });
      const now = engine.clock.now();
      return c.json({ data: waits.map((w) => presentWait(w, now)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/waits/{wait_id}',
      summary: 'Get a wait',
      request: { params: WaitId },
      responses: { 200: json(WaitSchema, 'The wait'), ...errors },
    }),
    async (c) => c.json(presentWait(await engine.flows.getWait(wsOf(c), c.req.valid('param').wait_id), engine.clock.now()), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/waits/{wait_id}/responses',
      summary: 'Answer a wait: validated against its form; the first valid answer wins (Idempotency-Key honoured)',
      request: {
        params: WaitId,
        headers: z.object({ 'idempotency-key': z.string().max(255).optional() }),
        body: { content: { 'application/json': { schema: AnswerBody } }, required: true },
      },
      responses: {
        200: json(z.object({ wait: WaitSchema, run: RunSchema.nullable(), replayed: z.boolean() }).openapi('WaitAnswerResult'), 'The answered wait'),
        403: json(ErrorSchema, 'forbidden: the caller is not one of the wait’s assignees (nothing changes)'),
        409: json(ErrorSchema, 'item_not_waiting: the wait is closed (details.outcome is what was recorded)'),
        ...errors,
      },
    }),
    async (c) => {
      const key = c.req.valid('header')['idempotency-key'];
      const res = await engine.flows.respond(wsOf(c), c.req.valid('param').wait_id, c.req.valid('json'), principalOf(c), key);
      const now = engine.clock.now();
      return c.json({ wait: presentWait(res.wait, now), run: res.run ? await presentOne(engine, sc.baseUrl(), res.run) : null, replayed: res.replayed }, 200);
    },
  );
}
