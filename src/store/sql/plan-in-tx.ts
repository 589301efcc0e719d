/**
 * Planning inside the write transaction (kinds with `plansWithItems`, core/kind.ts) and opening
 * the wait of an item that asks for an answer. Both run inside the caller's transaction: a
 * plan sees the outcome it follows already written and the run row locked (PostgreSQL) or the
 * database held (SQLite), so concurrent outcomes of one run are planned one after another; a
 * wait is inserted in the transaction that moves its item (and so its run) to
 * `waiting_for_input`, so an answer can never arrive before the wait exists.
 */
import { DEFAULT_WAIT_MS, type ItemWait, type RunRecord } from '../../core/model.js';
import type { FollowUp, ItemView } from '../../core/kind.js';
import type { ItemError } from '../../core/errors.js';
import type { ItemStatus } from '../../core/status.js';
import { appendItems, type AppendCause } from './append.js';
import { fromJson, toJson, type Db, type SqlContext } from './context.js';
import { toRun } from './mapping.js';
import type { Settlement } from './settle.js';
import type { AnswerMeta } from '../flows-port.js';

/** Every item of a run as a planning kind sees it, in ordinal order. */
export async function loadItemViews(db: Db, runId: string): Promise<ItemView[]> {
  const rows = await db
    .selectFrom('items')
    .select(['id', 'key', 'ordinal', 'status', 'outputs', 'error'])
    .where('run_id', '=', runId)
    .orderBy('ordinal')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    ordinal: Number(r.ordinal),
    status: r.status as ItemStatus,
    outputs: fromJson<Record<string, unknown>>(r.outputs),
    error: fromJson<ItemError>(r.error),
  }));
}

/** The run row, locked on PostgreSQL (every writer locks run rows first, in id order). */
export async function lockedRun(ctx: SqlContext, db: Db, runId: string): Promise<RunRecord> {
  let q = db.selectFrom('runs').selectAll().where('id', '=', runId);
  if (ctx.dialect === 'postgres') q = q.forNoKeyUpdate();
  return toRun(await q.executeTakeFirstOrThrow());
}

/**
 * Calls `plan` with the run and its items and applies what it returns (appends, phase,
 * result) to the settlement. A plan that throws fails the run (`runs.error`, code
 * `plan_failed`): the outcome itself is kept.
 */
export async function planInTx(
  ctx: SqlContext,
  db: Db,
  s: Settlement,
  cause: AppendCause,
  plan: (run: RunRecord, items: readonly ItemView[]) => FollowUp,
  now: number,
): Promise<void> {
  const run = await lockedRun(ctx, db, cause.run_id);
  const items = await loadItemViews(db, cause.run_id);
  let f: FollowUp;
  try {
    f = plan(run, items);
  } catch (err) {
    f = { append: [], result: { error: { code: 'plan_failed', message: (err as Error).message, item_id: cause.item_id } } };
  }
  s.deltas.setResult(cause.run_id, { ...f.result, ...(f.phase === undefined ? {} : { phase: f.phase }) });
  if (f.append.length > 0) await appendItems(ctx, db, s, cause, f.append, now);
}

/**
 * Opens the wait of an item that became `waiting_for_input` (one row per item: a re-asked item,
 * after a retry, opens its wait again). Its phase is the run's phase now.
 */
export async function openWait(
  ctx: SqlContext,
  db: Db,
  item: { id: string; run_id: string; workspace_id: string; key: string },
  wait: ItemWait,
  now: number,
): Promise<void> {
  const run = await db.selectFrom('runs').select(['phase']).where('id', '=', item.run_id).executeTakeFirst();
  const row = {
    id: ctx.newId('wai'),
    workspace_id: item.workspace_id,
    run_id: item.run_id,
    item_id: item.id,
    step_key: item.key,
    phase: run?.phase ?? null,
    title: wait.title ?? null,
    status: 'open',
    on_timeout: wait.on_timeout ?? 'fail',
    expires_at: now + (wait.expires_in_ms ?? DEFAULT_WAIT_MS),
    response: null,
    responded_by: null,
    idempotency_key: null,
    reason: null,
    created_at: now,
    closed_at: null,
  };
  const { id: _id, workspace_id: _w, run_id: _r, item_id: _i, ...reopen } = row;
  await db
    .insertInto('waits')
    .values(row)
    .onConflict((oc) => oc.column('item_id').doUpdateSet(reopen))
    .execute();
}

/** Closes an item's open wait with its outcome (in the answering transaction). */
export async function closeWait(db: Db, itemId: string, answer: Record<string, unknown> | null, meta: AnswerMeta | undefined, now: number): Promise<void> {
  await db
    .updateTable('waits')
    .set({
      status: meta?.wait_status ?? 'answered',
      response: toJson(answer),
      responded_by: meta?.actor ?? null,
      idempotency_key: meta?.idempotency_key ?? null,
      reason: meta?.reason ?? null,
      closed_at: now,
    })
    .where('item_id', '=', itemId)
    .where('status', '=', 'open')
    .execute();
}
