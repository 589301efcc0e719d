/**
 * The {@link WorkerStore} over Kysely, for both databases: `workers` and `worker_versions`
 * (migration 0017), the `runs.held_by` hold of a paused worker, and the row writes of worker
 * tools and outputs (keyed rows through the rows sink's upsert, rows-sink.ts).
 */
import type { RowRecord } from '../../core/model.js';
import type { NewWorkerVersion, RowAction, WorkerRecord, WorkerStatus, WorkerStore } from '../workers-port.js';
import type { Db, SqlContext } from './context.js';
import { upsertRows, type RowCounts } from './rows-sink.js';

type Joined = {
  id: string;
  version: number;
  workspace_id: string;
  name: string;
  template_key: string | null;
  definition: string;
  created_at: number;
  status: string;
  latest_version: number;
  updated_at: number;
};

function toRecord(r: Joined): WorkerRecord {
  return {
    id: r.id,
    version: Number(r.version),
    latest_version: Number(r.latest_version),
    workspace_id: r.workspace_id,
    name: r.name,
    status: r.status as WorkerStatus,
    template_key: r.template_key,
    definition: JSON.parse(r.definition) as Record<string, unknown>,
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
  };
}

function joined(db: Db, ws: string) {
  return db
    .selectFrom('worker_versions as v')
    .innerJoin('workers as w', 'w.id', 'v.id')
    .select(['v.id', 'v.version', 'v.workspace_id', 'v.name', 'v.template_key', 'v.definition', 'v.created_at', 'w.status', 'w.latest_version', 'w.updated_at'])
    .where('v.workspace_id', '=', ws);
}

async function release(ctx: SqlContext, db: Db, ws: string, heldBy: string, now: number): Promise<number> {
  const res = await db
    .updateTable('runs')
    .set({ held_by: null, updated_at: now })
    .where('workspace_id', '=', ws)
    .where('held_by', '=', heldBy)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  const n = Number(res.numUpdatedRows);
  if (n > 0) await ctx.notifyWork?.(db);
  return n;
}

/** The workers part of a SQL store. */
export function sqlWorkerStore(ctx: SqlContext): WorkerStore {
  const db = ctx.db;
  const insertVersion = (tx: Db, ws: string, id: string, version: number, v: NewWorkerVersion, now: number) =>
    tx
      .insertInto('worker_versions')
      .values({ id, version, workspace_id: ws, name: v.name, template_key: v.template_key, definition: JSON.stringify(v.definition), created_at: now })
      .execute();
  const store: WorkerStore = {
    async createWorker(ws, id, v, now) {
      await ctx.tx(async (tx) => {
        await tx.insertInto('workers').values({ id, workspace_id: ws, status: 'active', latest_version: 1, created_at: now, updated_at: now }).execute();
        await insertVersion(tx, ws, id, 1, v, now);
      });
      return (await store.getWorker(ws, id))!;
    },

    async addVersion(ws, id, v, now) {
      const version = await ctx.tx(async (tx) => {
        let q = tx.selectFrom('workers').select('latest_version').where('workspace_id', '=', ws).where('id', '=', id);
        if (ctx.dialect === 'postgres') q = q.forUpdate();
        const w = await q.executeTakeFirst();
        if (!w) return undefined;
        const next = Number(w.latest_version) + 1;
        await insertVersion(tx, ws, id, next, v, now);
        await tx.updateTable('workers').set({ latest_version: next, updated_at: now }).where('id', '=', id).execute();
        return next;
      });
      return version === undefined ? undefined : store.getWorker(ws, id, version);
    },

    async getWorker(ws, id, version) {
      let q = joined(db, ws).where('v.id', '=', id);
      q = version === undefined ? q.whereRef('v.version', '=', 'w.latest_version') : q.where('v.version', '=', version);
      const r = await q.executeTakeFirst();
      return r && toRecord(r as Joined);
    },

    async listWorkers(ws) {
      const rows = await joined(db, ws).whereRef('v.version', '=', 'w.latest_version').orderBy('v.id', 'desc').execute();
      return rows.map((r) => toRecord(r as Joined));
    },

    async setStatus(ws, id, status, now) {
      const released = await ctx.tx(async (tx) => {
        const res = await tx.updateTable('workers').set({ status, updated_at: now }).where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0) return undefined;
        return status === 'active' ? release(ctx, tx, ws, `worker:${id}`, now) : 0;
      });
      if (released === undefined) return undefined;
      return { worker: (await store.getWorker(ws, id))!, released };
    },

    releaseHeld(ws, heldBy, now) {
      return ctx.tx((tx) => release(ctx, tx, ws, heldBy, now));
    },

    async updateRowFields(ws, tableId, rowId, fields) {
      return ctx.tx(async (tx) => {
        let tq = tx.selectFrom('tables').select(['id', 'fields']).where('id', '=', tableId).where('workspace_id', '=', ws).where('status', '=', 'ready');
        if (ctx.dialect === 'postgres') tq = tq.forNoKeyUpdate();
        const table = await tq.executeTakeFirst();
        if (!table) return undefined;
        let rq = tx.selectFrom('table_rows').select(['id', 'ordinal', 'data']).where('table_id', '=', tableId).where('id', '=', rowId);
        if (ctx.dialect === 'postgres') rq = rq.forNoKeyUpdate();
        const row = await rq.executeTakeFirst();
        if (!row) return undefined;
        const data = { ...(JSON.parse(row.data) as Record<string, unknown>), ...fields };
        await tx
          .updateTable('table_rows')
          .set({ data: JSON.stringify(data) })
          .where('id', '=', rowId)
          .execute();
        const known = JSON.parse(table.fields) as string[];
        const added = Object.keys(fields).filter((f) => !known.includes(f));
        if (added.length > 0)
          await tx
            .updateTable('tables')
            .set({ fields: JSON.stringify([...known, ...added]) })
            .where('id', '=', tableId)
            .execute();
        const out: RowRecord = { id: rowId, table_id: tableId, ordinal: Number(row.ordinal), data };
        return out;
      });
    },

    async upsertKeyedRow(ws, tableId, key, data, prov) {
      return ctx.tx(async (tx) => {
        const existing = await tx
          .selectFrom('table_rows')
          .select('id')
          .where('table_id', '=', tableId)
          .where('key', '=', key)
          .where('workspace_id', '=', ws)
          .executeTakeFirst();
        if (existing && prov.once) return { row_id: existing.id, action: 'skipped_exists' as const };
        const counts = new Map<string, RowCounts>();
        const missing = await upsertRows(
          ctx,
          tx,
          [{ workspace_id: ws, run_id: prov.run_id, item_id: key, table_id: tableId, key, data, item_key: prov.item_key }],
          counts,
        );
        if (missing.length > 0) return undefined;
        const c = counts.get(key);
        const action: RowAction = c?.created ? 'created' : c?.updated ? 'updated' : 'unchanged';
        const row = await tx.selectFrom('table_rows').select('id').where('table_id', '=', tableId).where('key', '=', key).executeTakeFirstOrThrow();
        return { row_id: row.id, action };
      });
    },
  };
  return store;
}
