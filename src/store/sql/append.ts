/**
 * Appending items to a run as it advances: the items an accepted completion's kind planned are
 * inserted in the completion's transaction (so a run never finishes between a step's end and
 * the next step's insert), after the run's existing items in ordinal order, `pending` and due
 * at once. A key already in the run is skipped (`items_key`, migration 0008), so a replayed
 * append inserts nothing twice. Their bounds are reserved with the same balance and budget
 * rules as at start; items the reservation does not cover wait (see `appendReservation`).
 */
import { sql } from 'kysely';
import { appendReservation, canReserve } from '../../core/credits.js';
import type { PlannedItem } from '../../core/kind.js';
import type { RunSpec } from '../../core/model.js';
import { toJson, type Db, type SqlContext } from './context.js';
import { postEntries, readBalance } from './ledger.js';
import type { Settlement } from './settle.js';

/** Rows per INSERT of appended items (17 parameters each). */
const APPEND_CHUNK = 200;

/** The item whose accepted completion planned the append. */
export interface AppendCause {
  workspace_id: string;
  run_id: string;
  item_id: string;
}

/**
 * Inserts `planned` into the cause's run inside the caller's transaction and records the count
 * deltas and an `item.appended` event in `s`; the reservation is posted by
 * {@link reserveAppended} once the run rows are written (one lock order: runs, then account).
 * @returns how many items were inserted (keys already in the run are skipped)
 */
export async function appendItems(ctx: SqlContext, db: Db, s: Settlement, cause: AppendCause, planned: PlannedItem[], now: number): Promise<number> {
  if (planned.length === 0) return 0;
  const run = await db.selectFrom('runs').select(['spec']).where('id', '=', cause.run_id).executeTakeFirstOrThrow();
  const spec = JSON.parse(run.spec) as RunSpec;
  const top = await db
    .selectFrom('items')
    .select(sql<number | null>`MAX(ordinal)`.as('m'))
    .where('run_id', '=', cause.run_id)
    .executeTakeFirst();
  let ordinal = top?.m === null || top?.m === undefined ? 0 : Number(top.m) + 1;
  const keys: string[] = [];
  for (let i = 0; i < planned.length; i += APPEND_CHUNK) {
    const rows = planned.slice(i, i + APPEND_CHUNK).map((p) => ({
      id: ctx.newId('itm'),
      workspace_id: cause.workspace_id,
      run_id: cause.run_id,
      ordinal: ordinal++,
      key: p.key,
      status: 'pending',
      attempt_count: 0,
      max_attempts: p.max_attempts ?? spec.max_attempts,
      lease_lost_count: 0,
      next_attempt_at: now,
      inputs: toJson(p.inputs),
      credits_used: 0,
      producer: p.producer ?? null,
    }));
    const inserted = await db
      .insertInto('items')
      .values(rows)
      .onConflict((oc) => oc.columns(['run_id', 'key']).doNothing())
      .returning('key')
      .execute();
    keys.push(...inserted.map((r) => r.key));
  }
  if (keys.length === 0) return 0;
  s.deltas.addItems(cause.run_id, keys.length);
  s.events.push({ ...cause, type: 'item.appended', data: { count: keys.length, keys: keys.slice(0, 20) } });
  s.appended(cause.run_id, keys.length);
  return keys.length;
}

/**
 * Reserves the bounds of the items appended to each run (after the run rows are written: the
 * account is locked last). A reservation the balance cannot cover is not made: the appended
 * items wait until the run's reservation covers them.
 */
export async function reserveAppended(ctx: SqlContext, db: Db, appended: Map<string, number>, now: number): Promise<void> {
  for (const [runId, count] of [...appended.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const run = await db
      .selectFrom('runs')
      .select(['id', 'workspace_id', 'item_cost_bound', 'credit_cap', 'credits_reserved', 'mode'])
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    const need = appendReservation(
      {
        item_cost_bound: Number(run.item_cost_bound),
        credit_cap: run.credit_cap === null ? null : Number(run.credit_cap),
        credits_reserved: Number(run.credits_reserved),
      },
      count,
    );
    if (need === 0 || !canReserve(await readBalance(ctx, db, run.workspace_id), need)) continue;
    const inserted = await postEntries(
      ctx,
      db,
      [
        {
          workspace_id: run.workspace_id,
          kind: 'reserve',
          amount: need,
          run_id: run.id,
          item_id: null,
          idempotency_key: `reserve:${run.id}:append:${run.credits_reserved}`,
        },
      ],
      now,
    );
    if (inserted.length > 0) {
      await db
        .updateTable('runs')
        .set({ credits_reserved: sql`credits_reserved + ${need}` })
        .where('id', '=', run.id)
        .execute();
    }
  }
}
