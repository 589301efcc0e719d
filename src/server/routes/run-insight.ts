/**
 * Reads behind the console's run views (issue 6):
 * - `GET /v1/events/latest` → `{seq}`: the newest event sequence number; follow
 *   `GET /v1/events?follow=true&after={seq}` to see only what happens from now on
 * - `GET /v1/runs/{run_id}/items/slice?offset=&limit=&status=` → `{data, offset, total}`: items by
 *   position in ordinal order (random access for a virtualized list; `total` items match)
 * - `GET /v1/runs/{run_id}/items/{item_id}` → `{item, attempts, events}`: one item with its
 *   attempts rebuilt from its events (start, end, outcome, error, node)
 * - `GET /v1/runs/{run_id}/timeline?limit=` → the run's phases (queued, running), its duration
 *   breakdown (core/run-breakdown.ts: queued, running, waiting for input, paused, backing off;
 *   the parts add up to the run's duration), item timing statistics, and the first `limit`
 *   started items with their wait and work times
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { NotFoundError } from '../../core/errors.js';
import type { EventRecord } from '../../core/model.js';
import { runBreakdown, type BreakdownEvent } from '../../core/run-breakdown.js';
import { parseItemStatus, type ItemStatus } from '../../core/status.js';
import type { Engine } from '../../engine/engine.js';
import type { ServerContext } from '../context.js';
import { iso, presentEvent, presentItem, presentItems } from '../present.js';
import { listOf } from '../run-filter.js';
import { ErrorSchema, EventSchema, ItemSchema, json, limitParam } from '../schemas.js';
import { wsOf } from '../auth/principal.js';

const errors = { 404: json(ErrorSchema, 'Not found'), 422: json(ErrorSchema, 'Invalid input') };
const RunId = z.object({ run_id: z.string().openapi({ param: { name: 'run_id', in: 'path' } }) });
const ItemId = RunId.extend({ item_id: z.string().openapi({ param: { name: 'item_id', in: 'path' } }) });
const isoTime = z.string().openapi({ example: '2026-11-21T07:00:00.000Z' });

/** Most events read for one item's attempts. */
const ITEM_EVENTS = 500;
/** Most events read for a run's duration breakdown (beyond: `complete: false`). */
export const BREAKDOWN_EVENTS = 20_000;
const ms = (description: string) => z.number().int().openapi({ description });

export const BreakdownSchema = z
  .object({
    queued_ms: ms('queued (or claimed): waiting for a node, a not-before time, credits'),
    running_ms: ms('running: an item executing or about to be claimed'),
    waiting_for_input_ms: ms('waiting_for_input: a person had to answer'),
    paused_ms: ms('paused by a person or the credit budget'),
    backing_off_ms: ms('running with no item executing while an item waited for its retry backoff'),
    idle_ms: ms('finished, until retry-failed reopened it (0 unless reopened)'),
    total_ms: ms('(finished_at or now) − created_at; the parts above add up to it exactly'),
    complete: z.boolean().openapi({
      description: `false when the run has more than ${BREAKDOWN_EVENTS} events: the split covers the first ones, the rest counts in the status last seen`,
    }),
  })
  .openapi('RunBreakdown');

export const AttemptSchema = z
  .object({
    attempt: z.number().int().openapi({ description: '1-based attempt number' }),
    node_id: z.string().nullable().openapi({ description: 'The engine node that executed it' }),
    started_at: isoTime.nullable(),
    finished_at: isoTime.nullable().openapi({ description: 'null while it is still running' }),
    duration_ms: z.number().int().nullable(),
    outcome: z.enum(['running', 'succeeded', 'failed', 'retrying', 'released', 'lease_expired', 'lease_lost', 'waiting', 'answered']).openapi({
      description:
        'retrying: failed and scheduled again; released: given back at shutdown; lease_expired: its node stopped heartbeating (the attempt counts); ' +
        'waiting: it ended asking for an answer (no slot held, the attempt not counted); answered: it waited and was answered (the item succeeded); ' +
        'lease_lost: its node was alive but lost the lease (a stall): the attempt does not count, and the same attempt number runs again',
    }),
    error_code: z.string().nullable(),
    error_message: z.string().nullable(),
    next_attempt_at: isoTime.nullable().openapi({ description: 'For retrying: when the next attempt was due' }),
  })
  .openapi('Attempt');

export const ItemSliceSchema = z
  .object({
    data: z.array(ItemSchema),
    offset: z.number().int().openapi({ description: 'Position of data[0] among the matching items' }),
    total: z.number().int().openapi({ description: 'How many items match' }),
  })
  .openapi('ItemSlice');

export const ItemDetailSchema = z.object({ item: ItemSchema, attempts: z.array(AttemptSchema), events: z.array(EventSchema) }).openapi('ItemDetail');

export const TimelineSchema = z
  .object({
    run: z.object({
      created_at: isoTime,
      started_at: isoTime.nullable(),
      finished_at: isoTime.nullable(),
      queued_ms: z.number().int().nullable().openapi({ description: 'Created → started (or → now while queued), ms' }),
      running_ms: z.number().int().nullable().openapi({ description: 'Started → finished (or → now while running), ms' }),
    }),
    breakdown: BreakdownSchema,
    stats: z.object({
      items_started: z.number().int(),
      items_timed: z.number().int().openapi({ description: 'Items with a recorded duration' }),
      total_duration_ms: z.number().int().openapi({ description: 'Sum of item durations: work time, not wall time' }),
      max_duration_ms: z.number().int().nullable(),
      p50_duration_ms: z.number().int().nullable(),
      p95_duration_ms: z.number().int().nullable(),
      first_started_at: isoTime.nullable(),
      last_finished_at: isoTime.nullable(),
      attempts: z.number().int(),
      items_retried: z.number().int().openapi({ description: 'Items that needed more than one attempt' }),
    }),
    items: z.array(
      z.object({
        id: z.string(),
        ordinal: z.number().int(),
        key: z.string(),
        status: z.string(),
        attempt_count: z.number().int(),
        started_at: isoTime.nullable(),
        finished_at: isoTime.nullable(),
        duration_ms: z.number().int().nullable(),
        wait_ms: z.number().int().nullable().openapi({ description: 'Run start → this item’s (last) start, ms: time spent waiting for a slot or a retry' }),
      }),
    ),
  })
  .openapi('Timeline');

const END_OUTCOMES: Record<string, z.infer<typeof AttemptSchema>['outcome']> = {
  'item.succeeded': 'succeeded',
  'item.failed': 'failed',
  'item.retrying': 'retrying',
  'item.released': 'released',
  'item.lease_expired': 'lease_expired',
  'item.waiting': 'waiting',
};

/** Attempts rebuilt from an item's events: each `item.started` opens one, an end event closes it. */
export function attemptsOf(events: EventRecord[]): z.infer<typeof AttemptSchema>[] {
  const out: z.infer<typeof AttemptSchema>[] = [];
  for (const e of events) {
    const d = e.data as Record<string, unknown>;
    const n = typeof d.attempt === 'number' ? d.attempt : out.length > 0 ? out[out.length - 1]!.attempt : 1;
    if (e.type === 'item.answered') {
      // Closes the attempt that waited: its outcome becomes `answered` at the answer's time.
      const waited = [...out].reverse().find((x) => x.attempt === n && x.outcome === 'waiting');
      if (waited) {
        waited.outcome = 'answered';
        waited.finished_at = iso(e.created_at);
      }
      continue;
    }
    if (e.type === 'item.started') {
      out.push({
        attempt: n,
        node_id: typeof d.node_id === 'string' ? d.node_id : null,
        started_at: iso(e.created_at),
        finished_at: null,
        duration_ms: null,
        outcome: 'running',
        error_code: null,
        error_message: null,
        next_attempt_at: null,
      });
      continue;
    }
    // A lease lost by a live node gave its attempt back (core/lease-recovery.ts).
    const outcome = e.type === 'item.lease_expired' && d.attempt_spent === false ? 'lease_lost' : END_OUTCOMES[e.type];
    if (!outcome) continue;
    let a = [...out].reverse().find((x) => x.attempt === n && x.outcome === 'running');
    if (!a) {
      a = {
        attempt: n,
        node_id: null,
        started_at: null,
        finished_at: null,
        duration_ms: null,
        outcome,
        error_code: null,
        error_message: null,
        next_attempt_at: null,
      };
      out.push(a);
    }
    a.outcome = outcome;
    a.finished_at = iso(e.created_at);
    a.duration_ms = typeof d.duration_ms === 'number' ? d.duration_ms : a.started_at ? e.created_at - Date.parse(a.started_at) : null;
    a.error_code = typeof d.code === 'string' ? d.code : null;
    a.error_message = typeof d.message === 'string' ? d.message : null;
    a.next_attempt_at = typeof d.next_attempt_at === 'number' ? iso(d.next_attempt_at) : null;
  }
  return out;
}

/** A run's events for its breakdown, oldest first, at most {@link BREAKDOWN_EVENTS}. */
async function breakdownEvents(engine: Engine, ws: string, runId: string): Promise<{ events: BreakdownEvent[]; complete: boolean }> {
  const events: BreakdownEvent[] = [];
  let after = 0;
  for (;;) {
    const page = await engine.store.listEvents(ws, runId, after, 1000);
    for (const e of page) events.push({ type: e.type, at: e.created_at, item_id: e.item_id, data: e.data as Record<string, unknown> });
    if (page.length < 1000) return { events, complete: true };
    if (events.length >= BREAKDOWN_EVENTS) return { events, complete: false };
    after = page[page.length - 1]!.seq;
  }
}

export function runInsightRoutes(app: OpenAPIHono, engine: Engine, _sc: ServerContext): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/events/latest',
      summary: 'The newest event sequence number (0 when none): follow /v1/events?follow=true&after={seq} for new events only',
      responses: { 200: json(z.object({ seq: z.number().int() }).openapi('LatestEvent'), 'The newest seq') },
    }),
    async (c) => c.json({ seq: await engine.store.latestEventSeq(wsOf(c)) }, 200),
  );

  // Before /items/{item_id}, which would otherwise take "slice" as an item id.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/{run_id}/items/slice',
      summary: "A slice of a run's items by position (ordinal order), optionally of one or more statuses, with the matching total",
      request: {
        params: RunId,
        query: z.object({
          offset: z.coerce.number().int().min(0).max(100_000_000).default(0),
          limit: limitParam,
          status: z.string().optional().openapi({ description: 'Comma-separated item statuses' }),
        }),
      },
      responses: { 200: json(ItemSliceSchema, 'The items and the matching total'), ...errors },
    }),
    async (c) => {
      const { run_id } = c.req.valid('param');
      const q = c.req.valid('query');
      const run = await engine.runs.getRun(wsOf(c), run_id);
      const status = listOf<ItemStatus>(q.status, 'status', parseItemStatus);
      const { items, total } = await engine.store.itemSlice(wsOf(c), run_id, status, q.offset, q.limit);
      return c.json({ data: await presentItems(engine, run, items), offset: q.offset, total }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/{run_id}/items/{item_id}',
      summary: 'One item with its attempts (from its events: start, end, outcome, error, node)',
      request: { params: ItemId },
      responses: { 200: json(ItemDetailSchema, 'The item'), ...errors },
    }),
    async (c) => {
      const { run_id, item_id } = c.req.valid('param');
      const run = await engine.runs.getRun(wsOf(c), run_id);
      const item = await engine.store.getItem(wsOf(c), item_id);
      if (!item || item.run_id !== run_id) throw new NotFoundError('item', item_id);
      const events = await engine.store.listItemEvents(wsOf(c), run_id, item_id, ITEM_EVENTS);
      const view = (await presentItems(engine, run, [item]))[0] ?? presentItem(item);
      return c.json({ item: view, attempts: attemptsOf(events), events: events.map(presentEvent) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/{run_id}/timeline',
      summary: "A run's timeline: its phases, item timing statistics and its first started items",
      request: { params: RunId, query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) }) },
      responses: { 200: json(TimelineSchema, 'The timeline'), ...errors },
    }),
    async (c) => {
      const { run_id } = c.req.valid('param');
      const run = await engine.runs.getRun(wsOf(c), run_id);
      const { stats, items } = await engine.store.itemTimings(wsOf(c), run_id, c.req.valid('query').limit);
      const { events, complete } = await breakdownEvents(engine, wsOf(c), run_id);
      const now = engine.clock.now();
      const started = run.started_at;
      return c.json(
        {
          run: {
            created_at: iso(run.created_at),
            started_at: iso(run.started_at),
            finished_at: iso(run.finished_at),
            queued_ms: (started ?? run.finished_at ?? now) - run.created_at,
            running_ms: started === null ? null : (run.finished_at ?? now) - started,
          },
          breakdown: { ...runBreakdown(run, events, now), complete },
          stats: {
            ...stats,
            first_started_at: iso(stats.first_started_at),
            last_finished_at: iso(stats.last_finished_at),
          },
          items: items.map((i) => ({
            id: i.id,
            ordinal: i.ordinal,
            key: i.key,
            status: i.status,
            attempt_count: i.attempt_count,
            started_at: iso(i.started_at),
            finished_at: iso(i.finished_at),
            duration_ms: i.duration_ms,
            wait_ms: i.started_at === null || started === null ? null : Math.max(0, i.started_at - started),
          })),
        },
        200,
      );
    },
  );
}
