/**
 * Deleting runs (one, by filter, by retention), pinning, counting, and the keyset readers that
 * stream a run's items or a filtered run list at constant memory (dialect-neutral SQL).
 */
import { NotFoundError, RunyardError } from '../../core/errors.js';
import type { ItemRecord, RunRecord } from '../../core/model.js';
import { isTerminalRun, type RunStatus } from '../../core/status.js';
import type { RunFilter } from '../port.js';
import type { Db, SqlContext } from './context.js';
import { toItem, toRun } from './mapping.js';
import { TERMINAL_RUN, whereRunFilter } from './run-filter.js';

/**
 * The item columns an export reads. Naming them (not `SELECT *`) skips the lease columns and
 * halves the time better-sqlite3 spends building row objects.
 */
const ITEM_COLUMNS = [
  'id',
  'workspace_id',
  'run_id',
  'ordinal',
  'key',
  'status',
  'attempt_count',
  'max_attempts',
  'lease_lost_count',
  'next_attempt_at',
  'inputs',
  'outputs',
  'error',
  'provider',
  'usage',
  'credits_used',
  'started_at',
  'finished_at',
  'duration_ms',
  'producer',
  'cost_bound',
] as const;

/** Run ids per DELETE … IN (…) statement. */
const DELETE_CHUNK = 200;

/** Deletes the items, events and rows of runs already known to be deletable, inside `db`'s transaction. */
async function deleteRunRows(db: Db, runIds: string[]): Promise<void> {
  for (let i = 0; i < runIds.length; i += DELETE_CHUNK) {
    const ids = runIds.slice(i, i + DELETE_CHUNK);
    await db.deleteFrom('items').where('run_id', 'in', ids).execute();
    await db.deleteFrom('events').where('run_id', 'in', ids).execute();
    await db.deleteFrom('runs').where('id', 'in', ids).execute();
  }
}

export async function deleteRun(ctx: SqlContext, ws: string, runId: string): Promise<void> {
  await ctx.tx(async (db) => {
    const q = db.selectFrom('runs').select(['id', 'status']).where('workspace_id', '=', ws).where('id', '=', runId);
    // SQLite's BEGIN IMMEDIATE already holds the write lock; PostgreSQL locks the row.
    const run = await (ctx.dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
    if (!run) throw new NotFoundError('run', runId);
    if (!isTerminalRun(run.status as RunStatus)) {
      throw new RunyardError('conflict', `run ${runId} is ${run.status}; only finished runs (succeeded, partial, failed, canceled) can be deleted`, {
        id: runId,
        status: run.status,
      });
    }
    await deleteRunRows(db, [runId]);
  });
}

export async function countRuns(ctx: SqlContext, ws: string, f: RunFilter): Promise<number> {
  const q = whereRunFilter(ctx, ctx.db.selectFrom('runs').where('workspace_id', '=', ws), f);
  const row = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function deleteRuns(ctx: SqlContext, ws: string, f: RunFilter, limit: number): Promise<string[]> {
  if (limit <= 0) return [];
  return ctx.tx(async (db) => {
    const q = whereRunFilter(ctx, db.selectFrom('runs').select('id').where('workspace_id', '=', ws).where(TERMINAL_RUN), f)
      .orderBy('id')
      .limit(limit);
    const ids = (await (ctx.dialect === 'postgres' ? q.forUpdate() : q).execute()).map((r) => r.id);
    await deleteRunRows(db, ids);
    return ids;
  });
}

export async function purgeTerminalRuns(ctx: SqlContext, cutoff: number, limit: number): Promise<number> {
  if (limit <= 0) return 0;
  return ctx.tx(async (db) => {
    const q = db
      .selectFrom('runs')
      .select('id')
      .where('pinned', '=', 0)
      .where('finished_at', 'is not', null)
      .where('finished_at', '<', cutoff)
      .where(TERMINAL_RUN)
      .orderBy('finished_at')
      .limit(limit);
    const ids = (await (ctx.dialect === 'postgres' ? q.forUpdate() : q).execute()).map((r) => r.id);
    await deleteRunRows(db, ids);
    return ids.length;
  });
}

export async function setPinned(ctx: SqlContext, ws: string, runId: string, pinned: boolean, now: number): Promise<RunRecord> {
  const row = await ctx.tx((db) =>
    db
      .updateTable('runs')
      .set({ pinned: pinned ? 1 : 0, updated_at: now })
      .where('workspace_id', '=', ws)
      .where('id', '=', runId)
      .returningAll()
      .executeTakeFirst(),
  );
  if (!row) throw new NotFoundError('run', runId);
  return toRun(row);
}

export async function* streamItems(ctx: SqlContext, ws: string, runId: string, batch: number): AsyncGenerator<ItemRecord[]> {
  let after = -1;
  for (;;) {
    const rows = await ctx.db
      .selectFrom('items')
      .select(ITEM_COLUMNS)
      .where('run_id', '=', runId)
      .where('workspace_id', '=', ws)
      .where('ordinal', '>', after)
      .orderBy('ordinal')
      .limit(batch)
      .execute();
    const last = rows.at(-1);
    if (!last) return;
    after = Number(last.ordinal);
    yield rows.map(toItem);
    if (rows.length < batch) return;
  }
}

export async function* streamRuns(ctx: SqlContext, ws: string, f: RunFilter, batch: number): AsyncGenerator<RunRecord[]> {
  let before: string | undefined;
  for (;;) {
    let q = whereRunFilter(ctx, ctx.db.selectFrom('runs').selectAll().where('workspace_id', '=', ws), f);
    if (before !== undefined) q = q.where('id', '<', before);
    const rows = await q.orderBy('id', 'desc').limit(batch).execute();
    const last = rows.at(-1);
    if (!last) return;
    before = last.id;
    yield rows.map(toRun);
    if (rows.length < batch) return;
  }
}
