/**
 * Events: `POST /v1/events` records an event (`id` de-duplicates for 24 h: a repeat answers 200
 * with the first); `GET /v1/trigger-events[/{id}]` lists them with the runs they started
 * (`GET /v1/events` is the run timeline stream, so received events are listed apart).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { FireRecord, TriggerEventRecord } from '../../../core/triggers.js';
import type { Engine } from '../../../engine/engine.js';
import { wsOf } from '../../auth/principal.js';
import { iso } from '../../present.js';
import { ErrorSchema, json } from '../../schemas.js';
import { FireSchema, Id, actorOf, presentFire, timeField } from './shared.js';

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

/** Registers the event routes. */
export function eventRoutes(app: OpenAPIHono, engine: Engine): void {
  const t = engine.triggers.events;
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
}
