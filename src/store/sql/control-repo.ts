/**
 * Controlling runs in flight: pause, resume, cancel and retry-failed. Each is one transaction
 * that checks the transition table first, so no control leaves a run half-changed.
 */
import { NotFoundError, RunyardError } from '../../core/errors.js';
import type { RunRecord } from '../../core/model.js';
import { canRetryFailed, transitionRun } from '../../core/status.js';
import { activeStatusOf, settleRun } from '../../core/counts.js';
import { CLAIMABLE, IN_FLIGHT } from './statuses.js';
import type { Db, SqlContext } from './context.js';
import { appendEvents } from './events.js';
import { toRun } from './mapping.js';
import { finishIfDone } from './run-finish.js';
import { postEntries, readBalance, releaseRemainder } from './ledger.js';
import { canReserve } from '../../core/credits.js';

async function lockRun(ctx: SqlContext, db: Db, ws: string, runId: string): Promise<RunRecord> {
  let q = db.selectFrom('runs').selectAll().where('workspace_id', '=', ws).where('id', '=', runId);
  if (ctx.dialect === 'postgres') q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw new NotFoundError('run', runId);
  return toRun(row);
}

async function event(ctx: SqlContext, db: Db, run: RunRecord, type: string, data: Record<string, unknown>, now: number): Promise<void> {
  await appendEvents(ctx, db, [{ workspace_id: run.workspace_id, run_id: run.id, item_id: null, type, data }], now);
}

/** Pauses a queued or running run. @throws IllegalTransitionError naming the current status */
export async function pauseRun(ctx: SqlContext, ws: string, runId: string, reason: 'user' | 'budget', now: number): Promise<RunRecord> {
  return ctx.tx(async (db) => {
    const run = await lockRun(ctx, db, ws, runId);
    if (run.status === 'paused') return run;
    transitionRun(run.id, run.status, 'paused');
    const row = await db
      .updateTable('runs')
      .set({ status: 'paused', paused_reason: reason, updated_at: now })
      .where('id', '=', run.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await event(ctx, db, run, 'run.paused', { reason, from: run.status }, now);
    return toRun(row);
  });
}

/**
 * Resumes a paused run: `queued` if it never started, else the status its counts decide
 * (core/counts.ts `settleRun`): `running`, or `waiting_for_input` when only waiting items are
 * left; a run whose items all finished while it was paused finishes at once.
 * @throws IllegalTransitionError
 */
export async function resumeRun(ctx: SqlContext, ws: string, runId: string, now: number): Promise<RunRecord> {
  return ctx.tx(async (db) => {
    const run = await lockRun(ctx, db, ws, runId);
    const settles = settleRun(run);
    const to = run.started_at === null ? 'queued' : settles === 'finish' ? 'running' : activeStatusOf(settles);
    transitionRun(run.id, run.status, to);
    const row = await db
      .updateTable('runs')
      .set({ status: to, paused_reason: null, updated_at: now })
      .where('id', '=', run.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await event(ctx, db, run, 'run.resumed', { to }, now);
    const resumed = toRun(row);
    return finishIfDone(ctx, db, resumed, now);
  });
}

/**
 * Cancels a run: every pending, retrying, waiting or running item becomes `canceled` and loses
 * its lease (so an in-flight attempt's late result is rejected by the fence), and the run
 * becomes `canceled`. Cancelling a canceled run changes nothing (`changed: false`).
 * @returns the run and the ids of items that were running (their producers must be aborted).
 * @throws IllegalTransitionError for another terminal status
 */
export async function cancelRun(ctx: SqlContext, ws: string, runId: string, now: number): Promise<{ run: RunRecord; changed: boolean; aborted: string[] }> {
  return ctx.tx(async (db) => {
    const run = await lockRun(ctx, db, ws, runId);
    if (run.status === 'canceled') return { run, changed: false, aborted: [] };
    transitionRun(run.id, run.status, 'canceled');
    const drop = { status: 'canceled', lease_token: null, lease_owner: null, lease_expires_at: null, next_attempt_at: null, finished_at: now };
    // In-flight items first, returning their ids (their producers are aborted); then the rest,
    // which may be a million rows, without returning anything.
    const inFlight = await db.updateTable('items').set(drop).where('run_id', '=', run.id).where(IN_FLIGHT).returning('id').execute();
    const rest = await db.updateTable('items').set(drop).where('run_id', '=', run.id).where(CLAIMABLE).executeTakeFirst();
    const canceled = inFlight.length + Number(rest.numUpdatedRows);
    // Nothing more will be captured: everything the run still holds goes back.
    const release = releaseRemainder(run, 'cancel');
    if (release) await postEntries(ctx, db, [release], now);
    const row = await db
      .updateTable('runs')
      .set({
        status: 'canceled',
        credits_released: run.credits_released + (release?.amount ?? 0),
        items_canceled: run.items_canceled + canceled,
        items_pending: 0,
        items_running: 0,
        items_waiting: 0,
        finished_at: now,
        updated_at: now,
        paused_reason: null,
        result_summary: `canceled: ${run.items_succeeded} succeeded, ${run.items_failed} failed, ${run.items_canceled + canceled} canceled of ${run.items_total}`,
      })
      .where('id', '=', run.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await event(ctx, db, run, 'run.canceled', { from: run.status, items_canceled: canceled, in_flight: inFlight.length }, now);
    return { run: toRun(row), changed: true, aborted: inFlight.map((i) => i.id) };
  });
}

/**
 * Sends a run's `failed` items back to `pending` (succeeded items are never touched), keeping
 * their attempt count and giving each a fresh attempt budget; a `partial` or `failed` run is
 * reopened to `running`. Two concurrent calls make one retry: the second finds nothing failed.
 * @returns the run and how many items were retried.
 * @throws RunyardError `nothing_to_retry` (422) when no item is failed; IllegalTransitionError
 */
export async function retryFailedItems(ctx: SqlContext, ws: string, runId: string, now: number): Promise<{ run: RunRecord; retried: number }> {
  return ctx.tx(async (db) => {
    const run = await lockRun(ctx, db, ws, runId);
    if (!canRetryFailed(run.status)) transitionRun(run.id, run.status, 'running');
    if (run.items_failed === 0) {
      throw new RunyardError('nothing_to_retry', `run ${run.id} has no failed items to retry (status ${run.status})`, { status: run.status, field: 'run_id' });
    }
    // Each retried item needs its bound reserved again (its first reservation was settled).
    const need = run.item_cost_bound * run.items_failed;
    if (need > 0) {
      const balance = await readBalance(ctx, db, run.workspace_id);
      if (!canReserve(balance, need)) {
        throw new RunyardError('insufficient_credits', `retrying ${run.items_failed} items needs ${need} µ; ${balance.available} µ are available`, {
          field: 'run_id',
          required_micro: need,
          available_micro: balance.available,
        });
      }
      await postEntries(
        ctx,
        db,
        [
          {
            workspace_id: run.workspace_id,
            kind: 'reserve',
            amount: need,
            run_id: run.id,
            item_id: null,
            idempotency_key: `reserve:${run.id}:retry:${run.credits_reserved}`,
          },
        ],
        now,
      );
    }
    const res = await db
      .updateTable('items')
      .set((eb) => ({
        status: 'pending',
        error: null,
        finished_at: null,
        next_attempt_at: now,
        max_attempts: eb('attempt_count', '+', run.spec.max_attempts),
        // A fresh budget of lease losses too (core/lease-recovery.ts).
        lease_lost_count: 0,
      }))
      .where('run_id', '=', run.id)
      .where('status', '=', 'failed')
      .executeTakeFirst();
    const retried = Number(res.numUpdatedRows);
    // A reopened run, or one that was only waiting for answers, has pending items again.
    const reopen = run.status === 'partial' || run.status === 'failed';
    const wakes = run.status === 'waiting_for_input' && retried > 0;
    if (reopen || wakes) transitionRun(run.id, run.status, 'running');
    const row = await db
      .updateTable('runs')
      .set({
        items_failed: run.items_failed - retried,
        items_pending: run.items_pending + retried,
        credits_reserved: run.credits_reserved + need,
        updated_at: now,
        ...(reopen ? { status: 'running', finished_at: null, error: null, result_summary: null } : {}),
        ...(wakes ? { status: 'running' } : {}),
      })
      .where('id', '=', run.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await event(ctx, db, run, 'run.retry_failed', { items: retried, reopened: reopen }, now);
    return { run: toRun(row), retried };
  });
}

/** Earliest `next_attempt_at` of each run's claimable items (one index seek per run). */
export async function earliestDue(ctx: SqlContext, ws: string, runIds: string[]): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>();
  for (const id of runIds) {
    const r = await ctx.db
      .selectFrom('items')
      .select((eb) => eb.fn.min('next_attempt_at').as('due'))
      .where('workspace_id', '=', ws)
      .where('run_id', '=', id)
      .where(CLAIMABLE)
      .executeTakeFirst();
    out.set(id, r?.due === null || r?.due === undefined ? null : Number(r.due));
  }
  return out;
}

/** Items each node holds a lease on right now. */
export async function inFlightByNode(ctx: SqlContext): Promise<Map<string, number>> {
  const rows = await ctx.db
    .selectFrom('items')
    .select(['lease_owner', (eb) => eb.fn.countAll().as('n')])
    .where('status', '=', 'running')
    .groupBy('lease_owner')
    .execute();
  return new Map(rows.filter((r) => r.lease_owner !== null).map((r) => [r.lease_owner as string, Number(r.n)]));
}
