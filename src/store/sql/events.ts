/** Appending events: the timeline is append-only and written in the transaction of the change it records. */
import type { Db, SqlContext } from './context.js';
import { groupEvents } from './event-batch.js';

/** One event to append. `data` is stored as JSON. */
export interface NewEvent {
  workspace_id: string;
  run_id: string;
  item_id: string | null;
  type: string;
  data: Record<string, unknown>;
}

const EVENT_CHUNK = 400;

/**
 * Appends events inside the caller's transaction (`db` is the transaction handle). With a hot
 * path that takes batch rows (SQLite, one writer), the item transitions of a batch are one row
 * each (event-batch.ts); PostgreSQL's hot path and the dialect-neutral form write one row per
 * event (PostgreSQL cannot give a batch a range of `seq` values no concurrent writer takes).
 * Readers see the same per-item events either way.
 */
export async function appendEvents(ctx: SqlContext, db: Db, events: NewEvent[], now: number): Promise<void> {
  if (events.length === 0) return;
  if (ctx.hot) {
    const rows = ctx.hot.batchEvents
      ? groupEvents(events).map((e) => ({ ...eventRow(ctx, e, now), span: e.span }))
      : events.map((e) => ({ ...eventRow(ctx, e, now), span: 1 }));
    await ctx.hot.insertEvents(db, rows);
    return;
  }
  for (let i = 0; i < events.length; i += EVENT_CHUNK) {
    const rows = events.slice(i, i + EVENT_CHUNK).map((e) => eventRow(ctx, e, now));
    await db.insertInto('events').values(rows).execute();
  }
}

function eventRow(ctx: SqlContext, e: NewEvent, now: number) {
  return {
    id: ctx.newId('evt'),
    workspace_id: e.workspace_id,
    run_id: e.run_id,
    item_id: e.item_id,
    type: e.type,
    data: JSON.stringify(e.data),
    created_at: now,
  };
}
