/**
 * Applying count deltas to runs and finishing runs whose items are all terminal. Shared by
 * claiming, completion and lease recovery so that counts always come from item transitions in
 * the same transaction.
 */
import { sql } from 'kysely';
import { addTransitionDelta, readyToFinish, runOutcome, type CountDelta } from '../../core/counts.js';
import type { RunError, RunRecord } from '../../core/model.js';
import { transitionRun, type ItemStatus } from '../../core/status.js';
import type { Db, SqlContext } from './context.js';
import { appendEvents } from './events.js';
import { toRun } from './mapping.js';
import { postEntries, releaseRemainder } from './ledger.js';

/** Count deltas plus the credit moves (µ) of one run. */
type Delta = CountDelta & { items_total?: number; credits_used?: number; credits_released?: number };

/** Accumulates per-run count deltas from item transitions, and credit moves from ledger entries. */
export class RunDeltas {
  private readonly byRun = new Map<string, Delta>();

  /** Records one `from → to` transition of an item of `runId`. */
  add(runId: string, from: ItemStatus, to: ItemStatus): void {
    let d = this.byRun.get(runId);
    if (!d) this.byRun.set(runId, (d = {}));
    addTransitionDelta(d, from, to);
  }

  /** Records `count` items appended to a run as `pending` (they join `items_total`). */
  addItems(runId: string, count: number): void {
    let d = this.byRun.get(runId);
    if (!d) this.byRun.set(runId, (d = {}));
    d.items_total = (d.items_total ?? 0) + count;
    d.items_pending = (d.items_pending ?? 0) + count;
  }

  /** Records µ captured (`used`) and released for a run. */
  addCredits(runId: string, used: number, released: number): void {
    let d = this.byRun.get(runId);
    if (!d) this.byRun.set(runId, (d = {}));
    d.credits_used = (d.credits_used ?? 0) + used;
    d.credits_released = (d.credits_released ?? 0) + released;
  }

  /** In run id order: every transaction locks run rows in that one order (no deadlocks between nodes). */
  entries(): [string, Delta][] {
    return [...this.byRun.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

/**
 * Applies the deltas (one UPDATE per run) and finishes each running run whose items are now all
 * terminal, with the outcome of `runOutcome`. Returns the runs it finished.
 */
export async function applyDeltasAndFinish(ctx: SqlContext, db: Db, deltas: RunDeltas, now: number): Promise<RunRecord[]> {
  const finished: RunRecord[] = [];
  for (const [runId, delta] of deltas.entries()) {
    const set: Record<string, unknown> = { updated_at: now };
    for (const [field, v] of Object.entries(delta)) {
      if (v !== 0) set[field] = sql`${sql.ref(field)} + ${v}`;
    }
    const row = await db.updateTable('runs').set(set).where('id', '=', runId).returningAll().executeTakeFirstOrThrow();
    const run = toRun(row);
    if (readyToFinish(run)) finished.push(await finishRun(ctx, db, run, now));
  }
  return finished;
}

/** The run finished (see {@link readyToFinish}) when nothing is left to do, else unchanged. */
export async function finishIfDone(ctx: SqlContext, db: Db, run: RunRecord, now: number): Promise<RunRecord> {
  return readyToFinish(run) ? finishRun(ctx, db, run, now) : run;
}

/**
 * Moves a running run whose items are all terminal to its outcome status, with a result
 * summary and, when items failed, an error box naming the first failed item.
 */
export async function finishRun(ctx: SqlContext, db: Db, run: RunRecord, now: number): Promise<RunRecord> {
  const outcome = runOutcome(run);
  // Reconcile: whatever the run still holds goes back, so reserved = captured + released.
  const rest = releaseRemainder(run, 'end');
  if (rest) await postEntries(ctx, db, [rest], now);
  transitionRun(run.id, run.status, outcome.status);
  let error: RunError | null = null;
  if (run.items_failed > 0) {
    const first = await db
      .selectFrom('items')
      .select(['id', 'error'])
      .where('run_id', '=', run.id)
      .where('status', '=', 'failed')
      .orderBy('ordinal')
      .limit(1)
      .executeTakeFirst();
    const e = first?.error ? (JSON.parse(first.error) as { code: string; message: string }) : undefined;
    error = {
      code: e?.code ?? 'item_failed',
      message: `${run.items_failed} of ${run.items_total} items failed; first: ${e?.message ?? 'unknown error'}`,
      item_id: first?.id ?? null,
    };
  }
  const summary = outcome.noItems
    ? 'no items'
    : `${run.items_succeeded} succeeded, ${run.items_failed} failed, ${run.items_skipped} skipped, ${run.items_canceled} canceled of ${run.items_total}`;
  const row = await db
    .updateTable('runs')
    .set({
      status: outcome.status,
      finished_at: now,
      updated_at: now,
      result_summary: summary,
      error: error && JSON.stringify(error),
      credits_released: run.credits_released + (rest?.amount ?? 0),
    })
    .where('id', '=', run.id)
    .where('status', '=', run.status)
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEvents(
    ctx,
    db,
    [{ workspace_id: run.workspace_id, run_id: run.id, item_id: null, type: `run.${outcome.status}`, data: { no_items: outcome.noItems, summary } }],
    now,
  );
  return toRun(row);
}
