/**
 * The cells sink of column runs: an item's outcome lands in the cell (its column, its row), and
 * a built-in sink replaces, never duplicates.
 */
import type { ItemError } from '../../core/errors.js';
import type { RunSpec } from '../../core/model.js';
import type { ItemStatus } from '../../core/status.js';
import { toJson, type Db, type SqlContext } from './context.js';
import type { CellsTable } from './schema.js';

/** Cells per multi-row upsert (11 parameters each). */
const CELL_CHUNK = 400;

/** What a cell write needs to know about the item and its run. */
export interface CellTarget {
  workspace_id: string;
  row_id: string;
  run_id: string;
  item_id: string;
  attempt: number;
}

/** The cell row of a column-run item's outcome; undefined when the run writes no cells. */
export function cellRow(
  spec: RunSpec | undefined,
  t: CellTarget,
  status: ItemStatus,
  value: unknown,
  error: ItemError | null,
  now: number,
): CellsTable | undefined {
  if (!spec?.table_id || !spec.column_id) return undefined;
  return {
    workspace_id: t.workspace_id,
    table_id: spec.table_id,
    row_id: t.row_id,
    column_id: spec.column_id,
    status,
    value: toJson(value),
    error: toJson(error),
    run_id: t.run_id,
    item_id: t.item_id,
    attempt: t.attempt,
    updated_at: now,
  };
}

/**
 * Writes (replaces) cells, many per statement; a built-in sink replaces, never duplicates.
 * Rows go in key order so that two nodes writing overlapping cells lock them in the same order.
 */
export async function upsertCells(ctx: SqlContext, db: Db, cells: CellsTable[]): Promise<void> {
  if (cells.length === 0) return;
  // One statement cannot upsert a cell twice (two runs of a column completing one row in one
  // batch): the later completion wins, as it does when the writes are applied one by one. The
  // key is the conflict target, `(column_id, row_id)`.
  const last = new Map(cells.map((c) => [`${c.column_id}\n${c.row_id}`, c]));
  const ordered = [...last.values()].sort((a, b) => cmp(a.column_id, b.column_id) || cmp(a.row_id, b.row_id));
  if (ctx.hot) return ctx.hot.upsertCells(db, ordered);
  for (let i = 0; i < ordered.length; i += CELL_CHUNK) await upsertChunk(db, ordered.slice(i, i + CELL_CHUNK));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function upsertChunk(db: Db, rows: CellsTable[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('cells')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['column_id', 'row_id']).doUpdateSet((eb) => ({
        status: eb.ref('excluded.status'),
        value: eb.ref('excluded.value'),
        error: eb.ref('excluded.error'),
        run_id: eb.ref('excluded.run_id'),
        item_id: eb.ref('excluded.item_id'),
        attempt: eb.ref('excluded.attempt'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}
