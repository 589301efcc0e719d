/**
 * Bulk operations by filter.
 * - `POST /v1/operations` `{action: cancel|retry_failed|delete, filter}` → 202 Operation; it
 *   runs in the background, batch by batch
 * - `GET /v1/operations` newest first, cursor pages; `GET /v1/operations/{operation_id}`
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { OperationAction } from '../../core/operation.js';
import type { Engine } from '../../engine/engine.js';
import { CreateOperationBody, OperationSchema, presentOperation } from '../operation-schemas.js';
import { parseRunFilter } from '../run-filter.js';
import { ErrorSchema, limitParam, pageOf, json } from '../schemas.js';
import { wsOf } from '../auth/principal.js';

const errors = { 404: json(ErrorSchema, 'Not found'), 422: json(ErrorSchema, 'Invalid input') };
const OperationId = z.object({ operation_id: z.string().openapi({ param: { name: 'operation_id', in: 'path' } }) });

export function operationRoutes(app: OpenAPIHono, engine: Engine): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/operations',
      summary: 'Start a bulk action over the runs matching a filter; progress is tracked on the operation',
      request: { body: { content: { 'application/json': { schema: CreateOperationBody } }, required: true } },
      responses: { 202: json(OperationSchema, 'The operation, running'), 422: errors[422] },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const op = await engine.operations.start(wsOf(c), body.action as OperationAction, parseRunFilter(body.filter, 'filter.'));
      return c.json(presentOperation(op), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/operations',
      summary: 'List bulk operations, newest first',
      request: { query: z.object({ limit: limitParam, cursor: z.string().optional() }) },
      responses: { 200: json(pageOf(OperationSchema, 'OperationPage'), 'Operations'), 422: errors[422] },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await engine.operations.list(wsOf(c), { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
      return c.json({ data: page.data.map(presentOperation), next_cursor: page.next_cursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/operations/{operation_id}',
      summary: 'Get a bulk operation and its progress',
      request: { params: OperationId },
      responses: { 200: json(OperationSchema, 'The operation'), ...errors },
    }),
    async (c) => c.json(presentOperation(await engine.operations.get(wsOf(c), c.req.valid('param').operation_id)), 200),
  );
}
