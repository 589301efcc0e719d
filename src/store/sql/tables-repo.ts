/** Tables, rows, columns and cells (dialect-neutral SQL). */
import { RunyardError } from '../../core/errors.js';
import type { CellRecord, ColumnRecord, RowRecord, TableRecord } from '../../core/model.js';
import type { NewTable, Page } from '../port.js';
import { cursorAfter, fromJson, keysetPage, type SqlContext } from './context.js';
import { toCell, toColumn, toRow, toTable } from './mapping.js';
import { rowLabel } from '../../core/row-label.js';

/** Rows per multi-row INSERT (5 parameters each; well under both databases' limits). */
const ROW_CHUNK = 500;

export async function createTable(ctx: SqlContext, ws: string, t: NewTable, now: number): Promise<TableRecord> {
  const record = { id: t.id, workspace_id: ws, name: t.name, fields: JSON.stringify(t.fields), row_count: t.rows.length, created_at: now };
  await ctx.tx(async (db) => {
    await db.insertInto('tables').values(record).execute();
    for (let i = 0; i < t.rows.length; i += ROW_CHUNK) {
      const chunk = t.rows.slice(i, i + ROW_CHUNK).map((r, j) => ({
        id: r.id,
        workspace_id: ws,
        table_id: t.id,
        ordinal: i + j,
        data: JSON.stringify(r.data),
      }));
      await db.insertInto('table_rows').values(chunk).execute();
    }
  });
  return toTable(record);
}

/** The columns of a table row that make a TableRecord. */
const TABLE_COLUMNS = ['id', 'workspace_id', 'name', 'fields', 'row_count', 'created_at', 'label_column'] as const;

/** Starts a batched import: the table row, `importing` (invisible to every read). */
export async function beginTableImport(ctx: SqlContext, ws: string, t: { id: string; name: string }, now: number): Promise<void> {
  await ctx.db
    .insertInto('tables')
    .values({ id: t.id, workspace_id: ws, name: t.name, fields: '[]', row_count: 0, created_at: now, status: 'importing' })
    .execute();
}

/** Appends rows to an importing table in one transaction; ordinals from `firstOrdinal`. */
export async function appendTableRows(ctx: SqlContext, ws: string, tableId: string, firstOrdinal: number, rows: NewTable['rows']): Promise<void> {
  await ctx.tx(async (db) => {
    for (let i = 0; i < rows.length; i += ROW_CHUNK) {
      const chunk = rows.slice(i, i + ROW_CHUNK).map((r, j) => ({
        id: r.id,
        workspace_id: ws,
        table_id: tableId,
        ordinal: firstOrdinal + i + j,
        data: JSON.stringify(r.data),
      }));
      await db.insertInto('table_rows').values(chunk).execute();
    }
  });
}

/**
 * Makes an importing table visible with its fields and row count.
 * @throws RunyardError `conflict` when the table is not importing (it was purged meanwhile)
 */
export async function finishTableImport(ctx: SqlContext, ws: string, tableId: string, fields: string[], rowCount: number): Promise<TableRecord> {
  const done = await ctx.db
    .updateTable('tables')
    .set({ fields: JSON.stringify(fields), row_count: rowCount, status: 'ready' })
    .where('workspace_id', '=', ws)
    .where('id', '=', tableId)
    .where('status', '=', 'importing')
    .executeTakeFirst();
  if (Number(done.numUpdatedRows) !== 1) throw new RunyardError('conflict', `table ${tableId}: the import is no longer under way`);
  const r = await ctx.db.selectFrom('tables').select(TABLE_COLUMNS).where('id', '=', tableId).executeTakeFirstOrThrow();
  return toTable(r);
}

/**
 * Deletes importing tables and their rows: `tableId` (a failed import), or every one created
 * before `before` (abandoned by a crashed node). Ready tables are never touched.
 * @returns how many tables were deleted
 */
export async function discardTableImports(ctx: SqlContext, sel: { ws: string; tableId: string } | { before: number }): Promise<number> {
  return ctx.tx(async (db) => {
    let q = db.selectFrom('tables').select(['id']).where('status', '=', 'importing');
    q = 'before' in sel ? q.where('created_at', '<', sel.before) : q.where('workspace_id', '=', sel.ws).where('id', '=', sel.tableId);
    const ids = (await q.execute()).map((r) => r.id);
    if (ids.length === 0) return 0;
    await db.deleteFrom('table_rows').where('table_id', 'in', ids).execute();
    await db.deleteFrom('tables').where('id', 'in', ids).where('status', '=', 'importing').execute();
    return ids.length;
  });
}

export async function getTable(ctx: SqlContext, ws: string, id: string): Promise<TableRecord | undefined> {
  const r = await ctx.db
    .selectFrom('tables')
    .select(TABLE_COLUMNS)
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('status', '=', 'ready')
    .executeTakeFirst();
  return r && toTable(r);
}

export async function listTables(ctx: SqlContext, ws: string): Promise<TableRecord[]> {
  const rows = await ctx.db
    .selectFrom('tables')
    .select(TABLE_COLUMNS)
    .where('workspace_id', '=', ws)
    .where('status', '=', 'ready')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toTable);
}

/**
 * Sets (or clears, with null) the field that labels a table's rows.
 * @returns the table, or undefined when there is no such ready table
 */
export async function setTableLabelColumn(ctx: SqlContext, ws: string, tableId: string, column: string | null): Promise<TableRecord | undefined> {
  const res = await ctx.db
    .updateTable('tables')
    .set({ label_column: column })
    .where('workspace_id', '=', ws)
    .where('id', '=', tableId)
    .where('status', '=', 'ready')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1 ? getTable(ctx, ws, tableId) : undefined;
}

/** Row ids per query of {@link rowLabels} (well under both databases' parameter limits). */
const LABEL_CHUNK = 500;

/**
 * The labels of rows `rowIds` of a table (core/row-label.ts): one query for the table and one
 * per {@link LABEL_CHUNK} rows. Rows that do not exist (or an unknown table) are absent from
 * the map; a row without text maps to null.
 */
export async function rowLabels(ctx: SqlContext, ws: string, tableId: string, rowIds: readonly string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  const ids = [...new Set(rowIds)];
  if (ids.length === 0) return out;
  const table = await getTable(ctx, ws, tableId);
  if (!table) return out;
  for (let i = 0; i < ids.length; i += LABEL_CHUNK) {
    const rows = await ctx.db
      .selectFrom('table_rows')
      .select(['id', 'data'])
      .where('workspace_id', '=', ws)
      .where('table_id', '=', tableId)
      .where('id', 'in', ids.slice(i, i + LABEL_CHUNK))
      .execute();
    for (const r of rows) out.set(r.id, rowLabel(table, fromJson<Record<string, unknown>>(r.data) ?? {}));
  }
  return out;
}

export async function listRows(ctx: SqlContext, ws: string, tableId: string, opts: { limit: number; cursor?: string }): Promise<Page<RowRecord>> {
  const after = cursorAfter<number>(opts.cursor, 'number') ?? -1;
  const rows = await ctx.db
    .selectFrom('table_rows')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('table_id', '=', tableId)
    .where('ordinal', '>', after)
    .orderBy('ordinal')
    .limit(opts.limit + 1)
    .execute();
  return keysetPage(rows, opts.limit, toRow, (r) => r.ordinal);
}

export async function allRows(ctx: SqlContext, ws: string, tableId: string): Promise<RowRecord[]> {
  const rows = await ctx.db.selectFrom('table_rows').selectAll().where('workspace_id', '=', ws).where('table_id', '=', tableId).orderBy('ordinal').execute();
  return rows.map(toRow);
}

export async function getRow(ctx: SqlContext, ws: string, tableId: string, rowId: string): Promise<RowRecord | undefined> {
  const r = await ctx.db
    .selectFrom('table_rows')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('table_id', '=', tableId)
    .where('id', '=', rowId)
    .executeTakeFirst();
  return r && toRow(r);
}

export async function createColumn(ctx: SqlContext, ws: string, c: ColumnRecord): Promise<ColumnRecord> {
  return ctx.tx(async (db) => {
    const taken = await db
      .selectFrom('columns')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('table_id', '=', c.table_id)
      .where('name', '=', c.name)
      .executeTakeFirst();
    if (taken) throw new RunyardError('conflict', `column name ${JSON.stringify(c.name)} is already used in table ${c.table_id}`, { field: 'name' });
    await db
      .insertInto('columns')
      .values({ ...c, workspace_id: ws, config: JSON.stringify(c.config) })
      .execute();
    return { ...c, workspace_id: ws };
  });
}

export async function getColumn(ctx: SqlContext, ws: string, tableId: string, idOrName: string): Promise<ColumnRecord | undefined> {
  const r = await ctx.db
    .selectFrom('columns')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('table_id', '=', tableId)
    .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .orderBy('id')
    .executeTakeFirst();
  return r && toColumn(r);
}

export async function listColumns(ctx: SqlContext, ws: string, tableId: string): Promise<ColumnRecord[]> {
  const rows = await ctx.db.selectFrom('columns').selectAll().where('workspace_id', '=', ws).where('table_id', '=', tableId).orderBy('id').execute();
  return rows.map(toColumn);
}

export async function getCell(ctx: SqlContext, ws: string, tableId: string, rowId: string, columnId: string): Promise<CellRecord | undefined> {
  const r = await ctx.db
    .selectFrom('cells')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('table_id', '=', tableId)
    .where('row_id', '=', rowId)
    .where('column_id', '=', columnId)
    .executeTakeFirst();
  return r && toCell(r);
}
