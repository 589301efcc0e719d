/**
 * AI workers (issue 14).
 * - `GET /v1/workers/templates` → the shipped templates
 * - `POST /v1/workers` a definition (or `{template_key, name, model, …}`) → 201 Worker (version
 *   1, active); 422 naming the field (`model.base_url`, `tool_categories[1]`,
 *   `context_sources[0].table_id`, `output.mode` when its category is not allowed, …)
 * - `GET /v1/workers` → every worker at its newest version
 * - `GET /v1/workers/{worker_id}?version=N` → a version (default the newest)
 * - `POST /v1/workers/{worker_id}/versions` a whole definition → 201 the next version (runs
 *   already started keep theirs; the instructions of a version never change)
 * - `POST /v1/workers/{worker_id}/pause` / `resume` → the worker (resume releases its held runs)
 * - `POST /v1/workers/{worker_id}/runs` `{subject: {table_id, row_id}, prompt?, mode?, version?}`
 *   → 201 `{run, output_notice}` (what happens to an earlier output); 404 unknown worker, 422
 *   when the subject table or row does not exist (naming `subject.table_id` / `subject.row_id`)
 * - `GET /v1/workers/{worker_id}/runs` → the worker's runs, newest first
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Engine } from '../../engine/engine.js';
import type { WorkerRecord } from '../../store/workers-port.js';
import { wsOf } from '../auth/principal.js';
import type { ServerContext } from '../context.js';
import { iso, presentOne, presentRuns } from '../present.js';
import { ErrorSchema, json, limitParam, RunSchema } from '../schemas.js';
import { RunOverridesBody } from '../manual-run-schemas.js';
import { manualRunOptions } from './manual-runs.js';

const errors = { 404: json(ErrorSchema, 'Not found'), 422: json(ErrorSchema, 'Invalid input (details.field names it)') };
const WorkerId = z.object({ worker_id: z.string().openapi({ param: { name: 'worker_id', in: 'path' } }) });

const DefinitionBody = z.record(z.string(), z.unknown()).openapi('WorkerDefinition', {
  description:
    'An AI worker: {name, template_key?, instructions, model: {provider, model, base_url, api_key_env?, credentials?, temperature?, max_output_tokens?, ' +
    'max_input_tokens?}, context_sources: [{type: subject_record|related_records|table_rows|static_text, name?, …, max_chars}], tool_categories: ' +
    '[read_records|write_comments|update_records|create_records|http|run_flow], http_hosts?, output: {mode: task_comment|record_field|new_record|none, ' +
    'slot, policy: replace|append|once, field?, table_id?}, limits: {max_steps, max_tool_calls, max_tokens, max_credits_micro?, timeout_s}}. ' +
    'With template_key, missing fields come from the template. The model key is never in it: api_key_env names a run secret.',
  example: {
    name: 'ticket triage',
    template_key: 'triage_ticket',
    model: { model: 'gpt-4o-mini', base_url: 'https://api.openai.com/v1', api_key_env: 'OPENAI_API_KEY' },
  },
});

export const WorkerSchema = z
  .object({
    id: z.string(),
    version: z.number().int(),
    latest_version: z.number().int(),
    name: z.string(),
    status: z.enum(['active', 'paused']),
    template_key: z.string().nullable(),
    instructions: z.string().openapi({ description: 'Read-only: editing makes a new version' }),
    output_mode: z.string(),
    tool_categories: z.array(z.string()),
    context_sources: z.array(z.record(z.string(), z.unknown())),
    definition: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Worker');

const RunWorkerBody = z
  .object({
    subject: z.record(z.string(), z.unknown()).openapi({ description: '{table_id, row_id} (or {type: "row", table_id, id})' }),
    prompt: z.string().max(20_000).optional(),
    mode: z.enum(['live', 'dry_run']).optional().openapi({ description: 'dry_run: the model is called and tools offered, but no write is executed' }),
    version: z.number().int().min(1).optional(),
    tags: z.array(z.string().max(100)).max(50).optional(),
    overrides: RunOverridesBody.optional(),
  })
  .strict()
  .openapi('RunWorker');

/**
 * What a new run (a run, rerun or retry) does to the output an earlier run of the worker left on
 * the subject. Unregistered: `.nullable()` of a registered schema would make the shared
 * `OutputNotice` component nullable everywhere.
 */
export const NoticeFields = z.object({ exists: z.boolean(), policy: z.enum(['replace', 'append', 'once']), message: z.string() });
const NoticeSchema = NoticeFields.openapi('OutputNotice');

function presentWorker(w: WorkerRecord) {
  const d = w.definition as { instructions?: string; output?: { mode?: string }; tool_categories?: string[]; context_sources?: Record<string, unknown>[] };
  return {
    id: w.id,
    version: w.version,
    latest_version: w.latest_version,
    name: w.name,
    status: w.status,
    template_key: w.template_key,
    instructions: d.instructions ?? '',
    output_mode: d.output?.mode ?? 'none',
    tool_categories: d.tool_categories ?? [],
    context_sources: d.context_sources ?? [],
    definition: w.definition,
    created_at: iso(w.created_at),
    updated_at: iso(w.updated_at),
  };
}

export function workerRoutes(app: OpenAPIHono, engine: Engine, sc: ServerContext): void {
  const wk = engine.workers;
  const idOf = (c: { req: { valid(t: 'param'): { worker_id: string } } }) => c.req.valid('param').worker_id;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/workers/templates',
      summary: 'List the shipped worker templates',
      responses: {
        200: json(z.object({ data: z.array(z.object({ key: z.string(), title: z.string(), definition: z.record(z.string(), z.unknown()) })) }), 'Templates'),
      },
    }),
    (c) => c.json({ data: wk.templates() }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/workers',
      summary: 'Create an AI worker (version 1, active)',
      request: { body: { content: { 'application/json': { schema: DefinitionBody } }, required: true } },
      responses: { 201: json(WorkerSchema, 'The worker'), ...errors },
    }),
    async (c) => c.json(presentWorker(await wk.create(wsOf(c), c.req.valid('json'))), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/workers',
      summary: 'List AI workers at their newest version',
      responses: { 200: json(z.object({ data: z.array(WorkerSchema) }), 'Workers') },
    }),
    async (c) => c.json({ data: (await wk.list(wsOf(c))).map(presentWorker) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/workers/{worker_id}',
      summary: 'Get an AI worker (a version, default the newest)',
      request: { params: WorkerId, query: z.object({ version: z.coerce.number().int().min(1).optional() }) },
      responses: { 200: json(WorkerSchema, 'The worker'), ...errors },
    }),
    async (c) => c.json(presentWorker(await wk.get(wsOf(c), idOf(c), c.req.valid('query').version)), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/workers/{worker_id}/versions',
      summary: 'Edit an AI worker: saves the whole definition as its next version',
      request: { params: WorkerId, body: { content: { 'application/json': { schema: DefinitionBody } }, required: true } },
      responses: { 201: json(WorkerSchema, 'The new version'), ...errors },
    }),
    async (c) => c.json(presentWorker(await wk.edit(wsOf(c), idOf(c), c.req.valid('json'))), 201),
  );

  for (const action of ['pause', 'resume'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/workers/{worker_id}/${action}`,
        summary:
          action === 'pause'
            ? 'Pause an AI worker: its new runs wait queued (worker_paused); runs in flight finish'
            : 'Resume an AI worker: its held runs start',
        request: { params: WorkerId },
        responses: { 200: json(WorkerSchema, 'The worker'), ...errors },
      }),
      async (c) => {
        const ws = wsOf(c);
        const w = action === 'pause' ? await wk.pause(ws, idOf(c)) : (await wk.resume(ws, idOf(c))).worker;
        return c.json(presentWorker(w), 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/workers/{worker_id}/runs',
      summary: 'Run an AI worker on a subject row (Idempotency-Key honoured); says what happens to an earlier output',
      request: {
        params: WorkerId,
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        body: { content: { 'application/json': { schema: RunWorkerBody } }, required: true },
      },
      responses: {
        201: json(z.object({ run: RunSchema, output_notice: NoticeSchema }), 'The run'),
        200: json(z.object({ run: RunSchema, output_notice: NoticeSchema }), 'The run created earlier with this Idempotency-Key'),
        ...errors,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const key = c.req.valid('header')['idempotency-key'];
      const res = await wk.run(
        wsOf(c),
        idOf(c),
        { subject: body.subject, prompt: body.prompt, version: body.version },
        {
          trigger: { type: 'api' },
          ...(body.mode === undefined ? {} : { mode: body.mode }),
          ...(body.tags === undefined ? {} : { tags: body.tags }),
          ...manualRunOptions({ overrides: body.overrides }),
          ...(key === undefined ? {} : { idempotency_key: key }),
        },
      );
      return c.json({ run: await presentOne(engine, sc.baseUrl(), res.run), output_notice: res.notice }, res.created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/workers/{worker_id}/runs',
      summary: "List an AI worker's runs, newest first",
      request: { params: WorkerId, query: z.object({ limit: limitParam, cursor: z.string().optional() }) },
      responses: { 200: json(z.object({ data: z.array(RunSchema), next_cursor: z.string().nullable() }), 'Runs'), ...errors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await wk.runs(wsOf(c), idOf(c), { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
      return c.json({ data: await presentRuns(engine, sc.baseUrl(), page.data), next_cursor: page.next_cursor }, 200);
    },
  );
}
