/**
 * Applying count deltas to runs, then deciding each run's status in one place
 * ({@link settleRunStatus}: finish, `waiting_for_input`, or `running`, by core/counts.ts
 * `settleRun`). Shared by claiming, completion, answers, resume and lease recovery so that counts
 * always come from item transitions in the same transaction.
 */
import { sql } from 'kysely';
import { activeStatusOf, addTransitionDelta, isSettledByItems, runOutcome, settleRun, type CountDelta } from '../../core/counts.js';
import type { RunError, RunRecord } from '../../core/model.js';
import { transitionRun, type ItemStatus } from '../../core/status.js';
import type { Db, SqlContext } from './context.js';
import { appendEvents } from './events.js';
import { toJson } from './context.js';
import { toRun } from './mapping.js';
import { postEntries, releaseRemainder } from './ledger.js';

/**
 * A run's phase and result as its kind reports them (`FollowUp.phase`, `FollowUp.result`):
 * `phase` → `runs.phase` (null clears it), `summary` → `runs.result_summary`, `output` →
 * `runs.output` (JSON); an absent field leaves the column as it is.
 */
export interface RunResult {
  phase?: string | null;
  summary?: string;
  output?: unknown;
  /** The run failed as its kind decides (`FollowUp.result.error`) → `runs.error`; it finishes `failed`. */
  error?: { code: string; message: string; item_id?: string | null };
}

/** Count deltas plus the credit moves (µ) of one run. */
type Delta = CountDelta & { items_total?: number; credits_used?: number; credits_released?: number };

/** Accumulates per-run count deltas from item transitions, and credit moves from ledger entries. */
export class RunDeltas {
  private readonly byRun = new Map<string, Delta>();
  private readonly results = new Map<string, RunResult>();

  /**
   * Records the run's phase and result as its kind now reports them (a later call's fields
   * win): written by {@link applyDeltasAndFinish} with the counts.
   */
  setResult(runId: string, r: RunResult): void {
    if (r.phase === undefined && r.summary === undefined && r.output === undefined && r.error === undefined) return;
    if (!this.byRun.has(runId)) this.byRun.set(runId, {});
    const had = this.results.get(runId) ?? {};
    this.results.set(runId, {
      ...had,
      ...(r.phase === undefined ? {} : { phase: r.phase }),
      ...(r.summary === undefined ? {} : { summary: r.summary }),
      ...(r.output === undefined ? {} : { output: r.output }),
      ...(r.error === undefined ? {} : { error: r.error }),
    });
  }

  /** The phase and result recorded for a run by {@link setResult}, if any. */
  resultOf(runId: string): RunResult | undefined {
    return this.results.get(runId);
  }

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
 * Applies the deltas (one UPDATE per run), then decides each run's status
 * ({@link settleRunStatus}). Returns the runs it finished.
 */
export async function applyDeltasAndFinish(ctx: SqlContext, db: Db, deltas: RunDeltas, now: number): Promise<RunRecord[]> {
  const finished: RunRecord[] = [];
  for (const [runId, delta] of deltas.entries()) {
    const set: Record<string, unknown> = { updated_at: now };
    for (const [field, v] of Object.entries(delta)) {
      if (v !== 0) set[field] = sql`${sql.ref(field)} + ${v}`;
    }
    const result = deltas.resultOf(runId);
    if (result?.phase !== undefined) await notePhase(ctx, db, runId, result.phase, now);
    if (result?.phase !== undefined) set.phase = result.phase;
    if (result?.summary !== undefined) set.result_summary = result.summary;
    if (result?.output !== undefined) set.output = toJson(result.output);
    if (result?.error !== undefined) set.error = toJson({ item_id: null, ...result.error });
    const row = await db.updateTable('runs').set(set).where('id', '=', runId).returningAll().executeTakeFirstOrThrow();
    const settled = await settleRunStatus(ctx, db, toRun(row), now);
    if (settled.finished) finished.push(settled.run);
  }
  return finished;
}

/**
 * Records a `run.phase` event `{from, to}` when the run's phase is about to change to `to` (the
 * caller writes it). PostgreSQL: the run row is locked here, as its UPDATE would (same order).
 */
async function notePhase(ctx: SqlContext, db: Db, runId: string, to: string | null, now: number): Promise<void> {
  let q = db.selectFrom('runs').select(['workspace_id', 'phase']).where('id', '=', runId);
  if (ctx.dialect === 'postgres') q = q.forNoKeyUpdate();
  const cur = await q.executeTakeFirst();
  if (!cur || cur.phase === to) return;
  await appendEvents(ctx, db, [{ workspace_id: cur.workspace_id, run_id: runId, item_id: null, type: 'run.phase', data: { from: cur.phase, to } }], now);
}

/**
 * The one place a run's status follows from its counts (core/counts.ts `settleRun`), for a run
 * its items decide (`running` or `waiting_for_input`; others are returned unchanged): every item
 * terminal → finished with its outcome; nothing pending or leased and some item waiting →
 * `waiting_for_input` (`run.waiting_for_input`); else → `running` (`run.running` when it was
 * waiting).
 */
export async function settleRunStatus(ctx: SqlContext, db: Db, run: RunRecord, now: number): Promise<{ run: RunRecord; finished: boolean }> {
  if (!isSettledByItems(run.status)) return { run, finished: false };
  const decision = settleRun(run);
  if (decision === 'finish') return { run: await finishRun(ctx, db, run, now), finished: true };
  const to = activeStatusOf(decision);
  if (to === run.status) return { run, finished: false };
  return { run: await moveActiveRun(ctx, db, run, to, now), finished: false };
}

/** Moves an active run between `running` and `waiting_for_input` (or there from `paused`), with its event. */
export async function moveActiveRun(ctx: SqlContext, db: Db, run: RunRecord, to: 'running' | 'waiting_for_input', now: number): Promise<RunRecord> {
  transitionRun(run.id, run.status, to);
  const row = await db
    .updateTable('runs')
    .set({ status: to, updated_at: now })
    .where('id', '=', run.id)
    .where('status', '=', run.status)
    .returningAll()
    .executeTakeFirstOrThrow();
  const data = { from: run.status, items_waiting: run.items_waiting };
  await appendEvents(ctx, db, [{ workspace_id: run.workspace_id, run_id: run.id, item_id: null, type: `run.${to}`, data }], now);
  return toRun(row);
}

/** The run finished when nothing is left to do, else with its status decided ({@link settleRunStatus}). */
export async function finishIfDone(ctx: SqlContext, db: Db, run: RunRecord, now: number): Promise<RunRecord> {
  return (await settleRunStatus(ctx, db, run, now)).run;
}

/**
 * Moves a running run whose items are all terminal to its outcome status, with a result
 * summary (the one its kind wrote, else the counts) and, when items failed, an error box naming the first failed item.
 */
export async function finishRun(ctx: SqlContext, db: Db, run: RunRecord, now: number): Promise<RunRecord> {
  // A kind that declared the run failed (`FollowUp.result.error`, kept in `runs.error`) decides.
  const kindError = run.error;
  const counted = runOutcome(run);
  const outcome = kindError ? { status: 'failed' as const, noItems: false } : counted;
  // Reconcile: whatever the run still holds goes back, so reserved = captured + released.
  const rest = releaseRemainder(run, 'end');
  if (rest) await postEntries(ctx, db, [rest], now);
  transitionRun(run.id, run.status, outcome.status);
  let error: RunError | null = kindError;
  if (!kindError && run.items_failed > 0) {
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
  // A summary the run's kind wrote (FollowUp.result.summary) stays; else the counts say it.
  const summary =
    run.result_summary ??
    (outcome.noItems
      ? 'no items'
      : `${run.items_succeeded} succeeded, ${run.items_failed} failed, ${run.items_skipped} skipped, ${run.items_canceled} canceled of ${run.items_total}`);
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
