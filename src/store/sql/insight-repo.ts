/**
 * Reads behind the console's live views (dialect-neutral SQL): the newest event sequence
 * number (where a live stream starts), one item's events (its attempts), a run's item timing
 * statistics (the Timeline tab) and random-access item slices (the virtualized Items tab).
 */
import { sql } from 'kysely';
import type { EventRecord, ItemRecord } from '../../core/model.js';
import type { ItemStatus } from '../../core/status.js';
import type { ItemTimingStats } from '../port.js';
import type { SqlContext } from './context.js';
import { toEvent, toItem } from './mapping.js';
import { expandEvent } from './event-batch.js';

/** The newest event `seq` of the workspace; 0 when it has none. */
export async function latestEventSeq(ctx: SqlContext, ws: string): Promise<number> {
  // Walks the primary key backwards: the first row of a one-workspace database answers.
  const r = await ctx.db.selectFrom('events').select('seq').where('workspace_id', '=', ws).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return r ? Number(r.seq) : 0;
}

/**
 * One item's events, oldest first (at most `limit`): its own rows and its entries of batch rows
 * (event-batch.ts; each batch row lists an item at most once). Scans the run's events (index
 * events_run).
 */
export async function listItemEvents(ctx: SqlContext, ws: string, runId: string, itemId: string, limit: number): Promise<(EventRecord & { seq: number })[]> {
  const rows = await ctx.db
    .selectFrom('events')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('run_id', '=', runId)
    .where((eb) =>
      eb.or([
        eb('item_id', '=', itemId),
        eb.and([eb('item_id', 'is', null), eb('type', 'like', 'items.%'), eb('data', 'like', `%"item_id":${JSON.stringify(itemId)}%`)]),
      ]),
    )
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows
    .map(toEvent)
    .flatMap(expandEvent)
    .filter((e) => e.item_id === itemId);
}

/**
 * Timing of a run's items: aggregates over every item that started, duration percentiles
 * (nearest rank) over finished ones, and the first `limit` started items by start time.
 */
export async function itemTimings(ctx: SqlContext, ws: string, runId: string, limit: number): Promise<{ stats: ItemTimingStats; items: ItemRecord[] }> {
  const base = ctx.db.selectFrom('items').where('workspace_id', '=', ws).where('run_id', '=', runId);
  const agg = await base
    .select([
      sql<number>`count(started_at)`.as('started'),
      sql<number>`count(duration_ms)`.as('timed'),
      sql<number | null>`sum(duration_ms)`.as('sum_ms'),
      sql<number | null>`max(duration_ms)`.as('max_ms'),
      sql<number | null>`min(started_at)`.as('first_start'),
      sql<number | null>`max(finished_at)`.as('last_finish'),
      sql<number | null>`sum(attempt_count)`.as('attempts'),
      sql<number>`sum(case when attempt_count > 1 then 1 else 0 end)`.as('retried'),
    ])
    .executeTakeFirstOrThrow();
  const timed = Number(agg.timed);
  const pct = async (p: number): Promise<number | null> => {
    if (timed === 0) return null;
    const r = await base
      .select('duration_ms')
      .where('duration_ms', 'is not', null)
      .orderBy('duration_ms')
      .limit(1)
      .offset(Math.min(timed - 1, Math.ceil(p * timed) - 1))
      .executeTakeFirst();
    return r?.duration_ms ?? null;
  };
  const [p50, p95] = [await pct(0.5), await pct(0.95)];
  const rows = await base.selectAll().where('started_at', 'is not', null).orderBy('started_at').orderBy('ordinal').limit(limit).execute();
  const num = (v: number | string | null) => (v === null ? null : Number(v));
  return {
    stats: {
      items_started: Number(agg.started),
      items_timed: timed,
      total_duration_ms: num(agg.sum_ms) ?? 0,
      max_duration_ms: num(agg.max_ms),
      p50_duration_ms: p50,
      p95_duration_ms: p95,
      first_started_at: num(agg.first_start),
      last_finished_at: num(agg.last_finish),
      attempts: num(agg.attempts) ?? 0,
      items_retried: Number(agg.retried ?? 0),
    },
    items: rows.map(toItem),
  };
}

/**
 * Items `offset .. offset+limit-1` of a run in ordinal order (optionally of some statuses) and
 * how many match: random access for a virtualized list (indexes items_order, items_status).
 */
export async function itemSlice(
  ctx: SqlContext,
  ws: string,
  runId: string,
  status: ItemStatus[] | undefined,
  offset: number,
  limit: number,
): Promise<{ items: ItemRecord[]; total: number }> {
  let base = ctx.db.selectFrom('items').where('workspace_id', '=', ws).where('run_id', '=', runId);
  if (status?.length) base = base.where('status', 'in', status);
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy('ordinal').limit(limit).offset(offset).execute(),
    base.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toItem), total: Number(count.n) };
}
