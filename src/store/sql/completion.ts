/**
 * Recording attempt outcomes: one transaction for many items, each fenced by its own lease
 * token, so a crash re-runs at most what was in flight (DESIGN.md §4).
 */
import type { ItemError } from '../../core/errors.js';
import type { RunSpec } from '../../core/model.js';
import { transitionItem, type ItemStatus } from '../../core/status.js';
import type { CompleteResult, Completion } from '../port.js';
import { toJson, type Db, type SqlContext } from './context.js';
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

/** Writes (replaces) the cell of a column-run item: a built-in sink replaces, never duplicates. */
export async function upsertCell(db: Db, spec: RunSpec, t: CellTarget, status: ItemStatus, value: unknown, error: ItemError | null, now: number): Promise<void> {
  if (!spec.table_id || !spec.column_id) return;
  const row = {
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
  await db
    .insertInto('cells')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['column_id', 'row_id']).doUpdateSet({ status, value: row.value, error: row.error, run_id: row.run_id, item_id: row.item_id, attempt: row.attempt, updated_at: now }),
    )
    .execute();
}

/** The run specs of the given runs, read once per transaction. */
export async function specs(db: Db, runIds: string[]): Promise<Map<string, RunSpec>> {
  const out = new Map<string, RunSpec>();
  if (runIds.length === 0) return out;
  const rows = await db.selectFrom('runs').select(['id', 'spec']).where('id', 'in', runIds).execute();
  for (const r of rows) out.set(r.id, JSON.parse(r.spec) as RunSpec);
  return out;
}

function statusOf(c: Completion): ItemStatus {
  return c.kind === 'released' ? 'pending' : c.kind;
}

export async function completeItems(ctx: SqlContext, completions: Completion[], now: number): Promise<CompleteResult> {
  if (completions.length === 0) return { accepted: [], lease_lost: [], finished_runs: [] };
  return ctx.tx(async (db) => {
    const accepted: string[] = [];
    const lost: string[] = [];
    const deltas = new RunDeltas();
    const events: NewEvent[] = [];
    const cells: { t: CellTarget; status: ItemStatus; value: unknown; error: ItemError | null }[] = [];
    for (const c of completions) {
      const to = statusOf(c);
      transitionItem(c.item_id, 'running', to);
      const common = { status: to, lease_token: null, lease_owner: null, lease_expires_at: null };
      const set =
        c.kind === 'succeeded'
          ? { ...common, outputs: toJson(c.outputs), error: null, usage: toJson(c.usage), provider: c.provider, credits_used: c.credits_used, finished_at: now, duration_ms: c.duration_ms, next_attempt_at: null }
          : c.kind === 'failed'
            ? { ...common, error: toJson(c.error), finished_at: now, duration_ms: c.duration_ms, next_attempt_at: null }
            : c.kind === 'retrying'
              ? { ...common, error: toJson(c.error), duration_ms: c.duration_ms, next_attempt_at: c.next_attempt_at }
              : { ...common, next_attempt_at: 0 };
      let q = db.updateTable('items').set(set);
      if (c.kind === 'released') q = q.set((eb) => ({ attempt_count: eb('attempt_count', '-', 1) }));
      const row = await q
        .where('id', '=', c.item_id)
        .where('lease_token', '=', c.lease_token)
        .where('status', '=', 'running')
        .returning(['id', 'run_id', 'workspace_id', 'key', 'attempt_count'])
        .executeTakeFirst();
      if (!row) {
        lost.push(c.item_id);
        continue;
      }
      accepted.push(c.item_id);
      deltas.add(row.run_id, 'running', to);
      const base = { workspace_id: row.workspace_id, run_id: row.run_id, item_id: row.id };
      const attempt = Number(row.attempt_count);
      if (c.kind === 'succeeded') events.push({ ...base, type: 'item.succeeded', data: { attempt, duration_ms: c.duration_ms } });
      else if (c.kind === 'failed') events.push({ ...base, type: 'item.failed', data: { attempt, code: c.error.code, message: c.error.message } });
      else if (c.kind === 'retrying') events.push({ ...base, type: 'item.retrying', data: { attempt, code: c.error.code, next_attempt_at: c.next_attempt_at } });
      else events.push({ ...base, type: 'item.released', data: { attempt } });
      if (c.kind === 'succeeded' || c.kind === 'failed') {
        cells.push({
          t: { workspace_id: row.workspace_id, row_id: row.key, run_id: row.run_id, item_id: row.id, attempt },
          status: to,
          value: c.kind === 'succeeded' ? c.value : null,
          error: c.kind === 'failed' ? c.error : null,
        });
      }
    }
    if (cells.length > 0) {
      const byRun = await specs(db, [...new Set(cells.map((c) => c.t.run_id))]);
      for (const c of cells) {
        const spec = byRun.get(c.t.run_id);
        if (spec) await upsertCell(db, spec, c.t, c.status, c.value, c.error, now);
      }
    }
    await appendEvents(ctx, db, events, now);
    const finished_runs = await applyDeltasAndFinish(ctx, db, deltas, now);
    return { accepted, lease_lost: lost, finished_runs };
  });
}
