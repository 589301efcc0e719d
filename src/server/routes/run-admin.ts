/**
 * Deleting, counting and pinning runs.
 * - `DELETE /v1/runs/{run_id}` → 204; a run that has not finished → 409 `conflict` naming its status
 * - `GET /v1/runs/count?<filters of GET /v1/runs>` → `{count}` (the preview of a bulk action)
 * - `POST /v1/runs/{run_id}/pin`, `POST /v1/runs/{run_id}/unpin` → Run (pinned runs are kept by retention)
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Engine } from '../../engine/engine.js';
import type { ServerContext } from '../context.js';
import { RunCountSchema } from '../operation-schemas.js';
import { presentRun } from '../present.js';
import { parseRunFilter, RunFilterQuery } from '../run-filter.js';
import { ErrorSchema, RunSchema, json } from '../schemas.js';
import { wsOf } from '../auth/principal.js';

const errors = { 404: json(ErrorSchema, 'Not found'), 422: json(ErrorSchema, 'Invalid input') };
const RunId = z.object({ run_id: z.string().openapi({ param: { name: 'run_id', in: 'path' } }) });

export function runAdminRoutes(app: OpenAPIHono, engine: Engine, sc: ServerContext): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/count',
      summary: 'Count the runs matching the filters of GET /v1/runs',
      request: { query: RunFilterQuery },
      responses: { 200: json(RunCountSchema, 'How many runs match'), 422: errors[422] },
    }),
    async (c) => c.json({ count: await engine.store.countRuns(wsOf(c), parseRunFilter(c.req.valid('query'))) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/runs/{run_id}',
      summary: 'Delete a finished run with its items and events (cells keep their values)',
      request: { params: RunId },
      responses: { 204: { description: 'Deleted' }, 409: json(ErrorSchema, 'The run has not finished'), ...errors },
    }),
    async (c) => {
      await engine.store.deleteRun(wsOf(c), c.req.valid('param').run_id);
      return c.body(null, 204);
    },
  );

  for (const pinned of [true, false]) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/runs/{run_id}/${pinned ? 'pin' : 'unpin'}`,
        summary: pinned ? 'Pin a run: retention keeps it' : 'Unpin a run: retention may purge it',
        request: { params: RunId },
        responses: { 200: json(RunSchema, 'The run'), ...errors },
      }),
      async (c) => {
        const run = await engine.store.setPinned(wsOf(c), c.req.valid('param').run_id, pinned, engine.clock.now());
        return c.json(presentRun(run, sc.baseUrl()), 200);
      },
    );
  }
}
