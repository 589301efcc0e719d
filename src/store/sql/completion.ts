/**
 * Recording attempt outcomes: one transaction for many items, each fenced by its own lease
 * token, so a crash re-runs at most what was in flight (DESIGN.md §4).
 */
import type { ItemError } from '../../core/errors.js';
import type { RunSpec } from '../../core/model.js';
import { transitionItem, type ItemStatus } from '../../core/status.js';
import type { CompleteResult, Completion } from '../port.js';
import { sql } from 'kysely';
import { toJson, type Db, type SqlContext } from './context.js';
import type { CellsTable } from './schema.js';
import { costBounds, postEntries, type NewEntry } from './ledger.js';
import type { CompletedItem, OutcomeRow } from './hot-path.js';
import { appendEvents, type NewEvent } from './events.js';
import { applyDeltasAndFinish, RunDeltas } from './run-finish.js';

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
 * The run specs of the given runs that write cells, read once per transaction. A dry run
 * writes no cells (no side effects), so its runs are left out.
 */
export async function specs(db: Db, runIds: string[]): Promise<Map<string, RunSpec>> {
  const out = new Map<string, RunSpec>();
  if (runIds.length === 0) return out;
  const rows = await db.selectFrom('runs').select(['id', 'spec', 'mode']).where('id', 'in', runIds).execute();
  for (const r of rows) if (r.mode !== 'dry_run') out.set(r.id, JSON.parse(r.spec) as RunSpec);
  return out;
}

function statusOf(c: Completion): ItemStatus {
  return c.kind === 'released' ? 'pending' : c.kind;
}

/** Cells per multi-row upsert (11 parameters each). */
const CELL_CHUNK = 400;

/** Completions per UPDATE statement (12 parameters each, within both databases' limits). */
const COMPLETE_CHUNK = 400;

/** The row a completion writes, in the column order of the VALUES list below. */
function completionValues(c: Completion, now: number) {
  const status = statusOf(c);
  const succeeded = c.kind === 'succeeded';
  return sql`(${c.item_id}, ${c.lease_token}, ${status},
    CAST(${succeeded ? toJson(c.outputs) : null} AS TEXT),
    CAST(${c.kind === 'failed' || c.kind === 'retrying' ? toJson(c.error) : null} AS TEXT),
    CAST(${succeeded ? toJson(c.usage) : null} AS TEXT),
    CAST(${succeeded ? c.provider : null} AS TEXT),
    CAST(${succeeded ? c.credits_used : 0} AS BIGINT),
    CAST(${succeeded || c.kind === 'failed' ? now : null} AS BIGINT),
    CAST(${c.kind === 'released' ? null : c.duration_ms} AS BIGINT),
    CAST(${c.kind === 'retrying' ? c.next_attempt_at : c.kind === 'released' ? 0 : null} AS BIGINT),
    CAST(${c.kind === 'released' ? -1 : 0} AS BIGINT))`;
}

type UpdatedItem = CompletedItem;

/** {@link completionValues} as a row for the adapter's own statement (`HotPath.completeItems`). */
function outcomeRow(c: Completion, now: number): OutcomeRow {
  const succeeded = c.kind === 'succeeded';
  return {
    id: c.item_id,
    token: c.lease_token,
    status: statusOf(c),
    outputs: succeeded ? toJson(c.outputs) : null,
    error: c.kind === 'failed' || c.kind === 'retrying' ? toJson(c.error) : null,
    usage: succeeded ? toJson(c.usage) : null,
    provider: succeeded ? c.provider : null,
    credits_used: succeeded ? c.credits_used : 0,
    finished_at: succeeded || c.kind === 'failed' ? now : null,
    duration_ms: c.kind === 'released' ? null : c.duration_ms,
    next_attempt_at: c.kind === 'retrying' ? c.next_attempt_at : c.kind === 'released' ? 0 : null,
    attempt_delta: c.kind === 'released' ? -1 : 0,
  };
}

/**
 * One UPDATE for many items, each row fenced by its own lease token. A released item keeps
 * its last error and gives its attempt back.
 */
async function updateItems(db: Db, batch: Completion[], now: number): Promise<UpdatedItem[]> {
  const values = sql.join(batch.map((c) => completionValues(c, now)));
  const res = await sql<UpdatedItem>`
    WITH v(id, token, status, outputs, error, usage, provider, credits_used, finished_at, duration_ms, next_attempt_at, attempt_delta) AS (VALUES ${values})
    UPDATE items SET
      status = v.status,
      outputs = v.outputs,
      error = CASE WHEN v.status = 'pending' THEN items.error ELSE v.error END,
      usage = v.usage,
      provider = v.provider,
      credits_used = v.credits_used,
      finished_at = v.finished_at,
      duration_ms = COALESCE(v.duration_ms, items.duration_ms),
      next_attempt_at = v.next_attempt_at,
      attempt_count = items.attempt_count + v.attempt_delta,
      lease_token = NULL,
      lease_owner = NULL,
      lease_expires_at = NULL
    FROM v
    WHERE items.id = v.id AND items.lease_token = v.token AND items.status = 'running'
    RETURNING items.id, items.run_id, items.workspace_id, items.key, items.attempt_count`.execute(db);
  return res.rows;
}

/**
 * Writes (replaces) cells, many per statement; a built-in sink replaces, never duplicates.
 * Rows go in key order so that two nodes writing overlapping cells lock them in the same order.
 */
export async function upsertCells(ctx: SqlContext, db: Db, cells: CellsTable[]): Promise<void> {
  if (cells.length === 0) return;
  // One writer at a time on SQLite: no lock order to keep.
  if (ctx.hot) return ctx.hot.upsertCells(cells);
  // One statement cannot upsert a cell twice (two runs of a column completing one row in one
  // batch): the later completion wins, as it does when the writes are applied one by one.
  const last = new Map(cells.map((c) => [`${c.table_id}\n${c.row_id}\n${c.column_id}`, c]));
  const ordered = [...last.values()].sort((a, b) => cmp(a.column_id, b.column_id) || cmp(a.row_id, b.row_id));
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

/**
 * Checks that every completion is a legal transition from `running` and splits off the second
 * and later completions of one item (one attempt has one outcome: they are stale).
 * @throws when a completion's status is not reachable from `running`
 */
export function checkCompletions(completions: Completion[]): { unique: Completion[]; duplicates: string[] } {
  for (const c of completions) transitionItem(c.item_id, 'running', statusOf(c));
  const seen = new Set<string>();
  const unique: Completion[] = [];
  const duplicates: string[] = [];
  for (const c of completions) {
    if (seen.has(c.item_id)) duplicates.push(c.item_id);
    else {
      seen.add(c.item_id);
      unique.push(c);
    }
  }
  return { unique, duplicates };
}

export async function completeItems(ctx: SqlContext, completions: Completion[], now: number): Promise<CompleteResult> {
  if (completions.length === 0) return { accepted: [], lease_lost: [], finished_runs: [] };
  const { unique, duplicates } = checkCompletions(completions);
  return ctx.tx((db) => completeItemsIn(ctx, db, unique, duplicates, now));
}

/**
 * {@link completeItems} inside the caller's transaction: `unique` holds at most one completion
 * per item (checked), `duplicates` the item ids of the further ones (reported as lease lost).
 */
export async function completeItemsIn(ctx: SqlContext, db: Db, unique: Completion[], duplicates: string[], now: number): Promise<CompleteResult> {
  const updated: UpdatedItem[] = [];
  if (ctx.hot) updated.push(...ctx.hot.completeItems(unique.map((c) => outcomeRow(c, now))));
  else for (let i = 0; i < unique.length; i += COMPLETE_CHUNK) updated.push(...(await updateItems(db, unique.slice(i, i + COMPLETE_CHUNK), now)));
  const byId = new Map(updated.map((u) => [u.id, u]));
  const accepted: string[] = [];
  const lost: string[] = [...duplicates];
  const deltas = new RunDeltas();
  const events: NewEvent[] = [];
  const cellItems: { row: UpdatedItem; c: Extract<Completion, { kind: 'succeeded' | 'failed' }> }[] = [];
  const bounds = await costBounds(db, [...new Set(updated.map((u) => u.run_id))]);
  const ledger: NewEntry[] = [];
  for (const c of unique) {
    const row = byId.get(c.item_id);
    if (!row) {
      lost.push(c.item_id);
      continue;
    }
    accepted.push(c.item_id);
    deltas.add(row.run_id, 'running', statusOf(c));
    const base = { workspace_id: row.workspace_id, run_id: row.run_id, item_id: row.id };
    const attempt = Number(row.attempt_count);
    if (c.kind === 'succeeded') events.push({ ...base, type: 'item.succeeded', data: { attempt, duration_ms: c.duration_ms } });
    else if (c.kind === 'failed') events.push({ ...base, type: 'item.failed', data: { attempt, code: c.error.code, message: c.error.message } });
    else if (c.kind === 'retrying') events.push({ ...base, type: 'item.retrying', data: { attempt, code: c.error.code, next_attempt_at: c.next_attempt_at } });
    else events.push({ ...base, type: 'item.released', data: { attempt } });
    if (c.kind === 'succeeded' || c.kind === 'failed') {
      cellItems.push({ row, c });
      // Settle the item's reservation: capture what it cost (succeeded), release the rest.
      const u = bounds.get(row.run_id) ?? 0;
      const used = c.kind === 'succeeded' ? Math.max(0, Math.min(c.credits_used, u)) : 0;
      const ids = { workspace_id: row.workspace_id, run_id: row.run_id, item_id: row.id };
      ledger.push({ ...ids, kind: 'capture', amount: used, idempotency_key: `capture:${row.id}` });
      ledger.push({ ...ids, kind: 'release', amount: u - used, idempotency_key: `release:${row.id}:a${attempt}` });
      deltas.addCredits(row.run_id, used, u - used);
    }
  }
  const runSpecs = await specs(db, [...new Set(cellItems.map((x) => x.row.run_id))]);
  const cells: CellsTable[] = [];
  for (const { row, c } of cellItems) {
    const target = { workspace_id: row.workspace_id, row_id: row.key, run_id: row.run_id, item_id: row.id, attempt: Number(row.attempt_count) };
    const cell = cellRow(runSpecs.get(row.run_id), target, c.kind, c.kind === 'succeeded' ? c.value : null, c.kind === 'failed' ? c.error : null, now);
    if (cell) cells.push(cell);
  }
  await upsertCells(ctx, db, cells);
  await appendEvents(ctx, db, events, now);
  // Run rows before the workspace account, in every transaction (one lock order).
  const finished_runs = await applyDeltasAndFinish(ctx, db, deltas, now);
  await postEntries(ctx, db, ledger, now);
  // Released items are claimable again: let other nodes know (a graceful shutdown hands its
  // work over this way).
  if (events.some((e) => e.type === 'item.released')) await ctx.notifyWork?.(db);
  return { accepted, lease_lost: lost, finished_runs };
}
