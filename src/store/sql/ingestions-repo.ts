/**
 * The {@link IngestionStore} over Kysely, for both databases: `ingestion_sources` rows (one per
 * version, migration 0016) and run totals summed from `item.rows_written` events (settle.ts).
 */
import type { IngestionSourceRecord, IngestionStore, RowAction, RowsWritten } from '../ingestion-port.js';
import { sameJson } from './rows-sink.js';
import type { SqlContext } from './context.js';
import type { IngestionSourcesTable } from './schema.js';

function toRecord(r: IngestionSourcesTable): IngestionSourceRecord {
  return {
    id: r.id,
    version: Number(r.version),
    workspace_id: r.workspace_id,
    name: r.name,
    table_id: r.table_id,
    definition: JSON.parse(r.definition) as Record<string, unknown>,
    created_at: Number(r.created_at),
  };
}

/** The ingestion part of a SQL store. */
export function sqlIngestionStore(ctx: SqlContext): IngestionStore {
  const db = ctx.db;
  return {
    async createSource(rec) {
      await db
        .insertInto('ingestion_sources')
        .values({ ...rec, definition: JSON.stringify(rec.definition) })
        .execute();
      return rec;
    },

    async addVersion(ws, id, rec) {
      return ctx.tx(async (tx) => {
        // PostgreSQL: lock the source's versions so two edits cannot take one number (the
        // primary key would refuse the second anyway).
        let q = tx.selectFrom('ingestion_sources').select('version').where('workspace_id', '=', ws).where('id', '=', id).orderBy('version', 'desc').limit(1);
        if (ctx.dialect === 'postgres') q = q.forUpdate();
        const last = await q.executeTakeFirst();
        if (!last) return undefined;
        const row = { ...rec, id, workspace_id: ws, version: Number(last.version) + 1 };
        await tx
          .insertInto('ingestion_sources')
          .values({ ...row, definition: JSON.stringify(row.definition) })
          .execute();
        return row;
      });
    },

    async getSource(ws, id, version) {
      let q = db.selectFrom('ingestion_sources').selectAll().where('workspace_id', '=', ws).where('id', '=', id);
      q = version === undefined ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
      const r = await q.executeTakeFirst();
      return r && toRecord(r);
    },

    async listSources(ws) {
      const rows = await db
        .selectFrom('ingestion_sources as s')
        .selectAll('s')
        .where('s.workspace_id', '=', ws)
        .where((eb) =>
          eb(
            's.version',
            '=',
            eb
              .selectFrom('ingestion_sources as v')
              .select((e) => e.fn.max('v.version').as('m'))
              .whereRef('v.id', '=', 's.id'),
          ),
        )
        .orderBy('s.id', 'desc')
        .execute();
      return rows.map(toRecord);
    },

    async rowsWritten(ws, runId) {
      const rows = await db
        .selectFrom('events')
        .select('data')
        .where('workspace_id', '=', ws)
        .where('run_id', '=', runId)
        .where('type', '=', 'item.rows_written')
        .execute();
      const out: RowsWritten = { pages: rows.length, created: 0, updated: 0, unchanged: 0, no_key: 0 };
      for (const r of rows) {
        const d = JSON.parse(r.data) as Partial<RowsWritten>;
        out.created += d.created ?? 0;
        out.updated += d.updated ?? 0;
        out.unchanged += d.unchanged ?? 0;
        out.no_key += d.no_key ?? 0;
      }
      return out;
    },

    async wouldWrite(ws, tableId, records) {
      const existing = new Map<string, string>();
      const keys = [...new Set(records.map((r) => r.key))];
      for (let i = 0; i < keys.length; i += 500) {
        const found = await db
          .selectFrom('table_rows')
          .select(['key', 'data'])
          .where('workspace_id', '=', ws)
          .where('table_id', '=', tableId)
          .where('key', 'in', keys.slice(i, i + 500))
          .execute();
        for (const f of found) if (f.key !== null) existing.set(f.key, f.data);
      }
      return records.map((r): RowAction => {
        const before = existing.get(r.key);
        return before === undefined ? 'created' : sameJson(before, r.data) ? 'unchanged' : 'updated';
      });
    },
  };
}
