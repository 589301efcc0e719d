/**
 * Items and runs labelled by their record (issue 14): an item that stands for a row of a table
 * is labelled by that row (core/row-label.ts: the table's label field, else the row's first
 * non-empty text field, at most 80 characters), not only by its opaque key.
 *
 * Which row an item stands for:
 * - a column run's item: the row its key names (key = row id) in the run's cells table;
 * - a worker run's item: the run's subject row;
 * - any other item whose inputs name `{table_id, row_id}` (e.g. a flow step over a row): that row.
 * Labels are read with one batched store query per table, never one per item.
 */
import type { ItemRecord, RunRecord } from '../core/model.js';
import type { Store } from '../store/port.js';

/** A row a label is wanted for. */
interface RowRef {
  table_id: string;
  row_id: string;
}

/** The row a run's subject names (`{type: 'row', table_id, id}`), if it names one. */
export function subjectRow(run: Pick<RunRecord, 'subject'>): RowRef | undefined {
  const s = run.subject as { type?: unknown; table_id?: unknown; id?: unknown } | null | undefined;
  if (!s || typeof s !== 'object' || s.type !== 'row' || typeof s.table_id !== 'string' || typeof s.id !== 'string') return undefined;
  return { table_id: s.table_id, row_id: s.id };
}

/** The row an item stands for, if any (see the module comment). */
function rowOf(run: RunRecord, item: ItemRecord): RowRef | undefined {
  if (run.kind === 'column' && typeof run.spec.table_id === 'string' && run.spec.column_id !== undefined) {
    return { table_id: run.spec.table_id, row_id: item.key };
  }
  if (run.kind === 'worker') return subjectRow(run);
  const inputs = item.inputs as { table_id?: unknown; row_id?: unknown } | null;
  if (inputs && typeof inputs.table_id === 'string' && typeof inputs.row_id === 'string') return { table_id: inputs.table_id, row_id: inputs.row_id };
  return undefined;
}

/** Labels of `refs`, one batched query per table: `table_id\u0000row_id` → label (null: none). */
async function labelsOf(store: Store, ws: string, refs: RowRef[]): Promise<Map<string, string | null>> {
  const byTable = new Map<string, string[]>();
  for (const r of refs) byTable.set(r.table_id, [...(byTable.get(r.table_id) ?? []), r.row_id]);
  const out = new Map<string, string | null>();
  for (const [tableId, rowIds] of byTable) {
    for (const [rowId, label] of await store.rowLabels(ws, tableId, rowIds)) out.set(`${tableId}\u0000${rowId}`, label);
  }
  return out;
}

/**
 * The label of each of `items` (a page of one run's items) by item id; null for an item that
 * stands for no row, or whose row is gone or has no text.
 */
export async function itemLabels(store: Store, run: RunRecord, items: readonly ItemRecord[]): Promise<Map<string, string | null>> {
  const refs = new Map<string, RowRef>();
  for (const i of items) {
    const ref = rowOf(run, i);
    if (ref) refs.set(i.id, ref);
  }
  const labels = await labelsOf(store, run.workspace_id, [...refs.values()]);
  return new Map(
    items.map((i) => {
      const ref = refs.get(i.id);
      return [i.id, ref ? (labels.get(`${ref.table_id}\u0000${ref.row_id}`) ?? null) : null];
    }),
  );
}

/** The label of each run's subject row by run id (runs whose subject is no row are absent). */
export async function subjectLabels(store: Store, runs: readonly RunRecord[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  const ws = runs[0]?.workspace_id;
  const refs = runs.flatMap((r) => {
    const ref = subjectRow(r);
    return ref ? [{ run: r.id, ref }] : [];
  });
  if (ws === undefined || refs.length === 0) return out;
  const labels = await labelsOf(
    store,
    ws,
    refs.map((x) => x.ref),
  );
  for (const { run, ref } of refs) out.set(run, labels.get(`${ref.table_id}\u0000${ref.row_id}`) ?? null);
  return out;
}
