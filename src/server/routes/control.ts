/**
 * Run control and nodes.
 * - `POST /v1/runs/{run_id}/pause` · `/resume` · `/cancel` → Run (409 `illegal_transition`
 *   naming the current status); cancelling a canceled run returns it unchanged
 * - `GET /v1/runs/{run_id}/output-notice` → `{ applies, output_notice }`: for a worker run, what
 *   a rerun or retry of it would do to the output its worker left on the subject (`applies:
 *   false, output_notice: null` for other kinds); 404 unknown run
 * - `POST /v1/runs/{run_id}/retry-failed` → `{ run, retried, output_notice }` (the notice as
 *   told before the retry, null for non-worker runs; 422 `nothing_to_retry`)
 * - `POST /v1/runs/{run_id}/rerun` `{ pin: version | current }` → 201 Run with `retry_of`
 * - `POST /v1/runs/{run_id}/items/{item_id}/respond` `{ answer: {...} }` → `{ run, item }`: answers
 *   a waiting item (404 unknown run or item; 409 `item_not_waiting` when it is not waiting, was
 *   already answered, or its run is finished; 422 `validation_failed` naming `answer`)
 * - `GET /v1/nodes` → registered engine nodes with liveness and in-flight counts
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Engine } from '../../engine/engine.js';
import { isNodeAlive } from '../../engine/waiting.js';
import type { ServerContext } from '../context.js';
import { iso, presentItem, presentItems, presentOne } from '../present.js';
import { ErrorSchema, ItemSchema, NodeSchema, RerunBody, RunSchema, json } from '../schemas.js';
import { principalOf, wsOf } from '../auth/principal.js';
import { NoticeFields } from './workers.js';

const errors = {
  404: json(ErrorSchema, 'Not found'),
  409: json(ErrorSchema, 'Not allowed in the current status (details.status)'),
  422: json(ErrorSchema, 'Invalid input'),
};
const RunId = z.object({ run_id: z.string().openapi({ param: { name: 'run_id', in: 'path' } }) });
const RunItemId = RunId.extend({ item_id: z.string().openapi({ param: { name: 'item_id', in: 'path' } }) });
/** The body of an answer: a JSON object, which becomes the answered item's `outputs`. */
const RespondBody = z
  .object({
    answer: z.record(z.string(), z.unknown(), { error: 'expected a JSON object' }).openapi({
      description: "The answer (a JSON object): it becomes the item's outputs",
      example: { approved: true },
    }),
  })
  .strict()
  .openapi('RespondBody');

export function controlRoutes(app: OpenAPIHono, engine: Engine, sc: ServerContext): void {
  const simple = [
    ['pause', 'Pause: no new item is claimed; in-flight items finish', (ws: string, id: string) => engine.control.pause(ws, id)],
    ['resume', 'Resume a paused run', (ws: string, id: string) => engine.control.resume(ws, id)],
    ['cancel', 'Cancel: unfinished items become canceled; in-flight producers are aborted', (ws: string, id: string) => engine.control.cancel(ws, id)],
  ] as const;
  for (const [action, summary, fn] of simple) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/runs/{run_id}/${action}`,
        summary,
        request: { params: RunId },
        responses: { 200: json(RunSchema, 'The run'), ...errors },
      }),
      async (c) => c.json(await presentOne(engine, sc.baseUrl(), await fn(wsOf(c), c.req.valid('param').run_id)), 200),
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/runs/{run_id}/retry-failed',
      summary: 'Re-execute only the failed items (succeeded items never run again)',
      request: { params: RunId },
      responses: {
        200: json(
          z.object({
            run: RunSchema,
            retried: z.number().int(),
            output_notice: NoticeFields.nullable().optional().openapi({
              description: 'For a worker run: what the retry does to the output its worker left on the subject (as it was before the retry); null otherwise',
            }),
          }),
          'The run and how many items were retried',
        ),
        ...errors,
      },
    }),
    async (c) => {
      const ws = wsOf(c);
      const notice = await engine.workers.noticeForRun(ws, await engine.runs.getRun(ws, c.req.valid('param').run_id));
      const res = await engine.control.retryFailed(ws, c.req.valid('param').run_id);
      return c.json({ run: await presentOne(engine, sc.baseUrl(), res.run), retried: res.retried, output_notice: notice }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/{run_id}/output-notice',
      summary: 'What a rerun or retry of a worker run would do to the output its worker left on the subject (ask before starting one)',
      request: { params: RunId },
      responses: {
        200: json(
          z
            .object({
              applies: z.boolean().openapi({ description: 'true for a worker run; false for other kinds (output_notice is then null)' }),
              output_notice: NoticeFields.nullable(),
            })
            .openapi('RunOutputNotice'),
          'The notice',
        ),
        404: errors[404],
      },
    }),
    async (c) => {
      const ws = wsOf(c);
      const notice = await engine.workers.noticeForRun(ws, await engine.runs.getRun(ws, c.req.valid('param').run_id));
      return c.json({ applies: notice !== null, output_notice: notice }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/runs/{run_id}/items/{item_id}/respond',
      summary: 'Answer a waiting item: it succeeds with the answer as its outputs and its run goes on (one answer wins)',
      request: { params: RunItemId, body: { content: { 'application/json': { schema: RespondBody } }, required: true } },
      responses: {
        200: json(z.object({ run: RunSchema, item: ItemSchema }).openapi('RespondResult'), 'The run after the answer and the answered item'),
        403: json(ErrorSchema, 'forbidden: the item is a flow wait assigned to others (nothing changes)'),
        404: json(ErrorSchema, 'Unknown run or item'),
        409: json(ErrorSchema, 'item_not_waiting: the item is not waiting for an answer (already answered), or its run is finished (details.status)'),
        422: json(ErrorSchema, 'Invalid body (details.field names it)'),
      },
    }),
    async (c) => {
      const { run_id, item_id } = c.req.valid('param');
      // A flow's wait may name who answers it: the same check as POST /v1/waits/{id}/responses.
      await engine.flows.checkItemAssignee(wsOf(c), run_id, item_id, principalOf(c));
      const res = await engine.control.respond(wsOf(c), run_id, item_id, c.req.valid('json').answer);
      const item = (await presentItems(engine, res.run, [res.item]))[0] ?? presentItem(res.item);
      return c.json({ run: await presentOne(engine, sc.baseUrl(), res.run), item }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/runs/{run_id}/rerun',
      summary: 'A new run of the same target with retry_of set',
      request: {
        params: RunId,
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        body: { content: { 'application/json': { schema: RerunBody } }, required: false },
      },
      responses: { 201: json(RunSchema, 'The new run'), 200: json(RunSchema, 'The run created earlier with this Idempotency-Key'), ...errors },
    }),
    async (c) => {
      const body = c.req.header('content-type') ? c.req.valid('json') : { pin: 'version' as const };
      const { run, created } = await engine.control.rerun(wsOf(c), c.req.valid('param').run_id, body.pin, c.req.valid('header')['idempotency-key']);
      return c.json(await presentOne(engine, sc.baseUrl(), run), created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/nodes',
      summary: 'Engine nodes: liveness, capacity, items in flight',
      responses: { 200: json(z.object({ data: z.array(NodeSchema) }), 'Nodes') },
    }),
    async (c) => {
      const [nodes, inFlight] = await Promise.all([engine.store.listNodes(), engine.store.inFlightByNode()]);
      const now = engine.clock.now();
      const data = nodes.map((n) => ({
        id: n.id,
        hostname: n.hostname,
        pid: n.pid,
        roles: n.roles,
        capacity: n.capacity,
        in_flight: inFlight.get(n.id) ?? 0,
        alive: isNodeAlive(n, now, engine.options.heartbeatMs),
        started_at: iso(n.started_at),
        heartbeat_at: iso(n.heartbeat_at),
        stopped_at: iso(n.stopped_at),
      }));
      return c.json({ data }, 200);
    },
  );
}
