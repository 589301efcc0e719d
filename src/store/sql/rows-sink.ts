/**
 * The rows sink (core/sink.ts `rows`): a succeeded item's output object becomes the data of the
 * row of a table keyed by one of its fields. A row with that key is replaced; otherwise a row is
 * added after the table's last one (its `row_count` and `fields` follow). Keys are unique per
 * table (`table_rows_key`, migration 0012), so an item executed twice, or a rerun, leaves one
 * row per key.
 *
 * Written in the settling transaction (settle.ts). PostgreSQL: the table rows are locked in id
 * order before their keys are read, so two transactions never add one key twice or take one
 * ordinal twice; the caller locks its run rows before (every writer locks run rows first).
 */
import type { RunSpec } from '../../core/model.js';
import type { Db, SqlContext } from './context.js';

/** Rows per multi-row upsert (8 parameters each; well under both databases' limits). */
const ROW_CHUNK = 500;

/** One row a succeeded item writes: the row keyed `key` of `table_id` gets `data`. */
export interface SinkRow {
  workspace_id: string;
  run_id: string;
  item_id: string;
  table_id: string;
  key: string;
  data: Record<string, unknown>;
  /** The item key that wrote it (`page:7`), kept as the row's provenance with `run_id`; absent: none recorded. */
  item_key?: string;
}

/** What a many-rows item did to its table (core/sink.ts `records`). */
export interface RowCounts {
  created: number;
  updated: number;
  unchanged: number;
}

/** Why an item of a rows-sink run wrote no row (recorded as `item.sink_skipped`). */
export type RowSkip = { reason: 'no_key' | 'table_missing'; table_id: string; key_field: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The row a succeeded item of a run with spec `spec` writes: its output object (`value` when a
 * JSON object, else `outputs`) keyed by its field `spec.row_key` (a string, or a finite number
 * as text). undefined when the run has no rows sink; a {@link RowSkip} when the output has no
 * usable key.
 */
export function sinkRow(
  spec: RunSpec | undefined,
  item: { workspace_id: string; run_id: string; item_id: string },
  value: unknown,
  outputs: Record<string, unknown> | null,
): SinkRow | RowSkip | undefined {
  if (!spec?.table_id || !spec.row_key || spec.column_id) return undefined;
  const data = isObject(value) ? value : (outputs ?? {});
  const k = data[spec.row_key];
  const key = typeof k === 'string' && k !== '' ? k : typeof k === 'number' && Number.isFinite(k) ? String(k) : undefined;
  if (key === undefined) return { reason: 'no_key', table_id: spec.table_id, key_field: spec.row_key };
  return { ...item, table_id: spec.table_id, key, data };
}

/**
 * The rows a succeeded item of a many-rows sink writes (`spec.row_list`: the output field holding
 * the array of records), each keyed by its field `spec.row_key`. undefined when the run's sink
 * is not a many-rows one; records without a usable key are left out and counted in `no_key`.
 */
export function sinkRows(
  spec: RunSpec | undefined,
  item: { workspace_id: string; run_id: string; item_id: string; item_key: string },
  outputs: Record<string, unknown> | null,
): { rows: SinkRow[]; no_key: number } | undefined {
  if (!spec?.table_id || !spec.row_key || !spec.row_list || spec.column_id) return undefined;
  const list = outputs?.[spec.row_list];
  const rows: SinkRow[] = [];
  let noKey = 0;
  for (const data of Array.isArray(list) ? list : []) {
    const k = isObject(data) ? data[spec.row_key] : undefined;
    const key = typeof k === 'string' && k !== '' ? k : typeof k === 'number' && Number.isFinite(k) ? String(k) : undefined;
    if (key === undefined || !isObject(data)) noKey++;
    else rows.push({ ...item, table_id: spec.table_id, key, data });
  }
  return { rows, no_key: noKey };
}

/**
 * Upserts sink rows by `(table_id, key)`; a later row of one key wins over an earlier one of the
 * same call. Rows of a table that is gone (deleted, or not `ready`, or of another workspace)
 * are not written.
 * A row whose key exists with the same data is left untouched (its provenance too).
 * @param counts when given, what each item's rows did (by item id) is added to it
 * @returns the rows not written because their table is missing
 */
export async function upsertRows(ctx: SqlContext, db: Db, rows: SinkRow[], counts?: Map<string, RowCounts>): Promise<SinkRow[]> {
  const missing: SinkRow[] = [];
  if (rows.length === 0) return missing;
  // By table (in id order: the lock order), and by workspace: a run writes only its own
  // workspace's tables.
  const byTable = new Map<string, Map<string, SinkRow>>();
  for (const r of rows) {
    const group = `${r.table_id}\n${r.workspace_id}`;
    let m = byTable.get(group);
    if (!m) byTable.set(group, (m = new Map()));
    m.delete(r.key);
    m.set(r.key, r);
  }
  for (const group of [...byTable.keys()].sort()) {
    const keyed = [...byTable.get(group)!.values()];
    const { table_id: tableId, workspace_id: ws } = keyed[0]!;
    let tq = db.selectFrom('tables').select(['id', 'fields']).where('id', '=', tableId).where('workspace_id', '=', ws).where('status', '=', 'ready');
    if (ctx.dialect === 'postgres') tq = tq.forNoKeyUpdate();
    const table = await tq.executeTakeFirst();
    if (!table) {
      missing.push(...rows.filter((r) => r.table_id === tableId && r.workspace_id === ws));
      continue;
    }
    await upsertTableRows(ctx, db, tableId, table.fields, keyed, counts);
  }
  return missing;
}

/** {@link upsertRows} for one table, its row locked (PostgreSQL). */
async function upsertTableRows(ctx: SqlContext, db: Db, tableId: string, fieldsJson: string, all: SinkRow[], counts?: Map<string, RowCounts>): Promise<void> {
  const existing = new Map<string, string>();
  for (let i = 0; i < all.length; i += ROW_CHUNK) {
    const keys = all.slice(i, i + ROW_CHUNK).map((r) => r.key);
    const found = await db.selectFrom('table_rows').select(['key', 'data']).where('table_id', '=', tableId).where('key', 'in', keys).execute();
    for (const f of found) if (f.key !== null) existing.set(f.key, f.data);
  }
  const count = (r: SinkRow, what: keyof RowCounts): void => {
    if (!counts) return;
    let c = counts.get(r.item_id);
    if (!c) counts.set(r.item_id, (c = { created: 0, updated: 0, unchanged: 0 }));
    c[what]++;
  };
  // Unchanged rows are not written at all: their data and provenance stay as they are.
  const rows = all.filter((r) => {
    const before = existing.get(r.key);
    const same = before !== undefined && sameJson(before, r.data);
    count(r, before === undefined ? 'created' : same ? 'unchanged' : 'updated');
    return !same;
  });
  if (rows.length === 0) return;
  const last = await db
    .selectFrom('table_rows')
    .select((eb) => eb.fn.max('ordinal').as('max'))
    .where('table_id', '=', tableId)
    .executeTakeFirst();
  let next = last?.max === null || last?.max === undefined ? 0 : Number(last.max) + 1;
  let placeholder = 0;
  const added = rows.filter((r) => !existing.has(r.key)).length;
  const values = rows.map((r) => ({
    id: ctx.newId('row'),
    workspace_id: r.workspace_id,
    table_id: tableId,
    // An existing key keeps its row (id, ordinal) and takes only the new data: its ordinal here
    // is a placeholder (negative, unique) that the upsert never stores.
    ordinal: existing.has(r.key) ? --placeholder : next++,
    key: r.key,
    data: JSON.stringify(r.data),
    source_run_id: r.run_id,
    source_item_key: r.item_key ?? null,
  }));
  for (let i = 0; i < values.length; i += ROW_CHUNK) {
    await db
      .insertInto('table_rows')
      .values(values.slice(i, i + ROW_CHUNK))
      .onConflict((oc) =>
        oc
          .columns(['table_id', 'key'])
          .where('key', 'is not', null)
          .doUpdateSet((eb) => ({
            data: eb.ref('excluded.data'),
            source_run_id: eb.ref('excluded.source_run_id'),
            source_item_key: eb.ref('excluded.source_item_key'),
          })),
      )
      .execute();
  }
  // New fields join the table's, in the order they first appear.
  const fields = JSON.parse(fieldsJson) as string[];
  const known = new Set(fields);
  const before = fields.length;
  for (const r of rows) {
    for (const f of Object.keys(r.data)) {
      if (known.has(f)) continue;
      known.add(f);
      fields.push(f);
    }
  }
  if (added > 0 || fields.length > before) {
    await db
      .updateTable('tables')
      .set((eb) => ({ row_count: eb('row_count', '+', added), fields: JSON.stringify(fields) }))
      .where('id', '=', tableId)
      .execute();
  }
}

/** Whether stored JSON text holds the same data as `data` (key order ignored). */
export function sameJson(text: string, data: Record<string, unknown>): boolean {
  if (text === JSON.stringify(data)) return true;
  return canonical(JSON.parse(text)) === canonical(data);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
