/**
 * Answering a waiting item (`Store.respondToItem`): one compare-and-set transaction. The item
 * must be `waiting_for_input` in a run that is not terminal; the UPDATE is fenced on that status,
 * so of concurrent answers exactly one changes the row and the others get `item_not_waiting`.
 * The answered item is settled like every terminal item (settle.ts: reservation, sink, events,
 * counts), the kind's follow-up (items, phase, result) is written in the same transaction, and the run's status is
 * decided again by the one rule (run-finish.ts `settleRunStatus`).
 */
import { NotFoundError, RunyardError } from '../../core/errors.js';
import type { FollowUp, ItemView } from '../../core/kind.js';
import type { ItemRecord, RunRecord } from '../../core/model.js';
import { isTerminalRun, transitionItem } from '../../core/status.js';
import { appendItems } from './append.js';
import { toJson, type SqlContext } from './context.js';
import { toItem, toRun } from './mapping.js';
import { Settlement } from './settle.js';
import { closeWait, loadItemViews } from './plan-in-tx.js';
import type { AnswerMeta } from '../flows-port.js';

function notWaiting(item: { id: string; status: string }, why: string, details: Record<string, unknown> = {}): RunyardError {
  return new RunyardError('item_not_waiting', `item ${item.id} is not waiting for an answer: ${why}`, { field: 'item_id', status: item.status, ...details });
}

/** See `Store.respondToItem` (port.ts) for the contract and the errors raised. */
export async function respondToItem(
  ctx: SqlContext,
  ws: string,
  runId: string,
  itemId: string,
  answer: Record<string, unknown>,
  now: number,
  followUp?: (run: RunRecord, item: ItemRecord, items: readonly ItemView[]) => FollowUp,
  meta?: AnswerMeta,
): Promise<{ run: RunRecord; item: ItemRecord }> {
  return ctx.tx(async (db) => {
    // The run row first, as every writer locks run rows (one lock order).
    let rq = db.selectFrom('runs').selectAll().where('workspace_id', '=', ws).where('id', '=', runId);
    if (ctx.dialect === 'postgres') rq = rq.forNoKeyUpdate();
    const runRow = await rq.executeTakeFirst();
    if (!runRow) throw new NotFoundError('run', runId);
    const run = toRun(runRow);
    const found = await db
      .selectFrom('items')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('run_id', '=', runId)
      .where('id', '=', itemId)
      .executeTakeFirst();
    if (!found) throw new NotFoundError('item', itemId);
    if (isTerminalRun(run.status)) throw notWaiting(found, `its run is ${run.status}`, { run_status: run.status });
    if (found.status !== 'waiting_for_input') throw notWaiting(found, found.status === 'succeeded' ? 'it was already answered' : `it is ${found.status}`);
    // An expiry with `on_timeout: fail` settles the item failed; every other answer succeeded.
    const to = meta?.fail ? 'failed' : 'succeeded';
    transitionItem(itemId, 'waiting_for_input', to);
    const updated = await db
      .updateTable('items')
      .set({ status: to, outputs: meta?.fail ? null : toJson(answer), finished_at: now, error: meta?.fail ? toJson(meta.fail) : null, next_attempt_at: null })
      .where('id', '=', itemId)
      .where('status', '=', 'waiting_for_input')
      .returningAll()
      .executeTakeFirst();
    if (!updated) throw notWaiting(found, 'another answer was applied first');
    const item = toItem(updated);
    const s = new Settlement();
    const base = { workspace_id: ws, run_id: runId, item_id: itemId };
    s.deltas.add(runId, 'waiting_for_input', to);
    // The attempt that waited (its count was given back when it started waiting).
    const attempt = item.attempt_count + 1;
    const who = meta ? { actor: meta.actor ?? null, ...(meta.reason ? { reason: meta.reason } : {}), answer } : {};
    s.events.push({ ...base, type: meta?.fail ? 'item.expired' : 'item.answered', data: { attempt, keys: Object.keys(answer).slice(0, 20), ...who } });
    if (meta?.fail) s.settle({ ...base, key: item.key, attempt, status: 'failed', value: null, outputs: null, error: meta.fail, credits_used: 0 });
    else s.settle({ ...base, key: item.key, attempt, status: 'succeeded', value: answer, outputs: answer, error: null, credits_used: 0 });
    await closeWait(db, itemId, meta?.fail ? null : answer, meta, now);
    const plan = followUp?.(run, item, followUp.length > 2 ? await loadItemViews(db, runId) : []);
    if (plan) s.deltas.setResult(runId, { ...plan.result, ...(plan.phase === undefined ? {} : { phase: plan.phase }) });
    if (plan && plan.append.length > 0) await appendItems(ctx, db, s, base, plan.append, now);
    await s.write(ctx, db, now);
    const after = await db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
    if (s.events.some((e) => e.type === 'item.appended')) await ctx.notifyWork?.(db);
    return { run: toRun(after), item };
  });
}
