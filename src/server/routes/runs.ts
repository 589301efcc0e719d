/**
 * Runs, items and events.
 * - `GET /v1/runs` filters: status, kind, mode, trigger (comma-separated), target_id, name
 *   (substring), created_after / created_before (ISO-8601); cursor pagination, newest first
 * - `GET /v1/runs/{run_id}`, `GET /v1/runs/{run_id}/items?status=failed` (each item with `label`:
 *   the record it stands for, engine/item-labels.ts)
 * - `GET /v1/runs/{run_id}/events` JSON; with `?follow=true` (or `Accept: text/event-stream`)
 *   a Server-Sent Events stream that ends with an `end` event once the run is terminal.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { parseItemStatus, type ItemStatus } from '../../core/status.js';
import { listOf, parseRunFilter, RunFilterQuery } from '../run-filter.js';
import type { Engine } from '../../engine/engine.js';
import type { ServerContext } from '../context.js';
import { presentItems, presentOne, presentRuns } from '../present.js';
import { eventsResponse } from '../sse.js';
import { ErrorSchema, EventSchema, ItemSchema, limitParam, pageOf, RunSchema, json } from '../schemas.js';
import { wsOf } from '../auth/principal.js';

const errors = { 404: json(ErrorSchema, 'Not found'), 422: json(ErrorSchema, 'Invalid input') };
const RunId = z.object({ run_id: z.string().openapi({ param: { name: 'run_id', in: 'path' } }) });

const RunListQuery = RunFilterQuery.extend({ limit: limitParam, cursor: z.string().optional() });

export function runRoutes(app: OpenAPIHono, engine: Engine, sc: ServerContext): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs',
      summary: 'List runs, newest first',
      request: { query: RunListQuery },
      responses: { 200: json(pageOf(RunSchema, 'RunPage'), 'Runs'), 422: errors[422] },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const filter = parseRunFilter(q);
      const page = await engine.store.listRuns(wsOf(c), filter, { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
      return c.json({ data: await presentRuns(engine, sc.baseUrl(), page.data), next_cursor: page.next_cursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/{run_id}',
      summary: 'Get a run',
      request: { params: RunId },
      responses: { 200: json(RunSchema, 'The run'), ...errors },
    }),
    async (c) => c.json(await presentOne(engine, sc.baseUrl(), await engine.runs.getRun(wsOf(c), c.req.valid('param').run_id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/{run_id}/items',
      summary: "List a run's items in order, optionally by status",
      request: { params: RunId, query: z.object({ status: z.string().optional(), limit: limitParam, cursor: z.string().optional() }) },
      responses: { 200: json(pageOf(ItemSchema, 'ItemPage'), 'Items'), ...errors },
    }),
    async (c) => {
      const { run_id } = c.req.valid('param');
      const q = c.req.valid('query');
      const run = await engine.runs.getRun(wsOf(c), run_id);
      const status = listOf<ItemStatus>(q.status, 'status', parseItemStatus);
      const page = await engine.store.listItems(wsOf(c), run_id, status ? { status } : {}, { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
      return c.json({ data: await presentItems(engine, run, page.data), next_cursor: page.next_cursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/{run_id}/events',
      summary: "A run's events; with follow=true an SSE stream until the run is terminal",
      request: {
        params: RunId,
        query: z.object({
          after: z.coerce.number().int().min(0).default(0).openapi({ description: 'Only events with seq > after' }),
          follow: z.enum(['true', 'false']).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(1000),
        }),
      },
      responses: {
        200: {
          content: { 'application/json': { schema: z.object({ data: z.array(EventSchema) }) }, 'text/event-stream': { schema: z.string() } },
          description: 'Events',
        },
        ...errors,
      },
    }),
    async (c) => {
      const { run_id } = c.req.valid('param');
      const q = c.req.valid('query');
      await engine.runs.getRun(wsOf(c), run_id);
      return eventsResponse(c, engine, sc.baseUrl(), run_id, q);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/events',
      summary: 'Events of every run in the workspace (optionally one run); follow=true streams them live',
      request: {
        query: z.object({
          run_id: z.string().optional(),
          after: z.coerce.number().int().min(0).default(0),
          follow: z.enum(['true', 'false']).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
      },
      responses: {
        200: {
          content: { 'application/json': { schema: z.object({ data: z.array(EventSchema) }) }, 'text/event-stream': { schema: z.string() } },
          description: 'Events, oldest first',
        },
        ...errors,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      if (q.run_id !== undefined) await engine.runs.getRun(wsOf(c), q.run_id);
      return eventsResponse(c, engine, sc.baseUrl(), q.run_id ?? null, q);
    },
  );
}
