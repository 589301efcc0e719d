/**
 * Ledger writes inside the caller's transaction. Entries are append-only, each with an
 * idempotency key unique in its workspace (so an item is never captured twice, whatever
 * crashes or retries happen); the cached `credit_accounts` row moves by exactly the entries that
 * were inserted, in the same transaction, and can always be rebuilt by replaying the ledger.
 */
import { sql } from 'kysely';
import { applyMove, emptyBalance, type Balance, type LedgerKind } from '../../core/credits.js';
import type { Db, SqlContext } from './context.js';

/** An entry to post. Zero amounts are skipped (nothing moves). */
export interface NewEntry {
  workspace_id: string;
  kind: LedgerKind;
  amount: number;
  run_id: string | null;
  item_id: string | null;
  idempotency_key: string;
  reason?: string | null;
}

/**
 * The cached balance of a workspace (zeros when it has no account row yet). Inside a write
 * transaction on PostgreSQL the row is locked, so a check-then-reserve cannot race.
 */
export async function readBalance(ctx: SqlContext, db: Db, ws: string): Promise<Balance> {
  let q = db.selectFrom('credit_accounts').selectAll().where('workspace_id', '=', ws);
  if (ctx.dialect === 'postgres') q = q.forUpdate();
  const r = await q.executeTakeFirst();
  if (!r) return emptyBalance();
  const b = { granted: Number(r.granted), captured: Number(r.captured), outstanding: Number(r.outstanding), adjusted: Number(r.adjusted), available: 0 };
  b.available = b.granted + b.adjusted - b.captured - b.outstanding;
  return b;
}

/**
 * Inserts entries (an entry whose idempotency key exists is skipped) and moves the cached
 * account by the inserted ones. @returns the entries actually inserted
 */
export async function postEntries(ctx: SqlContext, db: Db, entries: NewEntry[], now: number): Promise<NewEntry[]> {
  const inserted: NewEntry[] = [];
  for (const e of entries) {
    if (e.amount === 0) continue;
    const row = await db
      .insertInto('ledger_entries')
      .values({
        id: ctx.newId('led'),
        workspace_id: e.workspace_id,
        kind: e.kind,
        amount: e.amount,
        run_id: e.run_id,
        item_id: e.item_id,
        idempotency_key: e.idempotency_key,
        reason: e.reason ?? null,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'idempotency_key']).doNothing())
      .returning('seq')
      .executeTakeFirst();
    if (row) inserted.push(e);
  }
  const byWs = new Map<string, Balance>();
  for (const e of inserted) byWs.set(e.workspace_id, applyMove(byWs.get(e.workspace_id) ?? emptyBalance(), e));
  for (const [ws, d] of byWs) {
    await db
      .insertInto('credit_accounts')
      .values({ workspace_id: ws, granted: 0, captured: 0, outstanding: 0, adjusted: 0, updated_at: now })
      .onConflict((oc) => oc.column('workspace_id').doNothing())
      .execute();
    await db
      .updateTable('credit_accounts')
      .set({
        granted: sql`granted + ${d.granted}`,
        captured: sql`captured + ${d.captured}`,
        outstanding: sql`outstanding + ${d.outstanding}`,
        adjusted: sql`adjusted + ${d.adjusted}`,
        updated_at: now,
      })
      .where('workspace_id', '=', ws)
      .execute();
  }
  return inserted;
}

/** µ still reserved for a run and not yet captured or released. */
export function outstandingOf(run: { credits_reserved: number; credits_used: number; credits_released: number }): number {
  return run.credits_reserved - run.credits_used - run.credits_released;
}

/** Releases whatever a run still holds (cancel, end of run), under a key unique to that moment. */
export function releaseRemainder(
  run: { id: string; workspace_id: string; credits_reserved: number; credits_used: number; credits_released: number },
  why: string,
): NewEntry | undefined {
  const rest = outstandingOf(run);
  if (rest <= 0) return undefined;
  return {
    workspace_id: run.workspace_id,
    kind: 'release',
    amount: rest,
    run_id: run.id,
    item_id: null,
    idempotency_key: `release:${run.id}:${why}:${run.credits_reserved}:${run.credits_released}`,
  };
}
