/**
 * Per-key concurrency of rules over a SQL context (dialect-neutral; migration 0018): numbered
 * slots taken by unique key, bound to runs, freed when the run is terminal or the fire ended
 * without one; held fires woken oldest first.
 */
import type { FireRecord, FireStatus } from '../../core/triggers.js';
import type { RunStatus } from '../../core/status.js';
import type { TriggerStore } from '../trigger-port.js';
import type { SqlContext } from './context.js';

/** Terminal run statuses (core/status.ts `isTerminalRun`). */
const TERMINAL: RunStatus[] = ['succeeded', 'partial', 'failed', 'canceled'];

type ConcurrencyPart = Pick<
  TriggerStore,
  'takeConcurrencySlot' | 'bindConcurrencySlot' | 'releaseConcurrencySlot' | 'finishedConcurrencySlots' | 'holdFire' | 'wakeHeldFires'
>;

/** The concurrency part of the {@link TriggerStore}. */
export function sqlTriggerConcurrency(ctx: SqlContext, toFire: (r: never) => FireRecord): ConcurrencyPart {
  const db = ctx.db;
  const mine = (sourceId: string, cause: string) =>
    db.selectFrom('trigger_concurrency_slots').select('n').where('source_id', '=', sourceId).where('cause', '=', cause).executeTakeFirst();
  return {
    async takeConcurrencySlot(sourceId, key, limit, cause, now) {
      if (await mine(sourceId, cause)) return true;
      const taken = await db.selectFrom('trigger_concurrency_slots').select('n').where('source_id', '=', sourceId).where('slot_key', '=', key).execute();
      const used = new Set(taken.map((t) => Number(t.n)));
      for (let n = 1; n <= limit; n++) {
        if (used.has(n)) continue;
        const ins = await db
          .insertInto('trigger_concurrency_slots')
          .values({ source_id: sourceId, slot_key: key, n, cause, run_id: null, created_at: now })
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        if (Number(ins.numInsertedOrUpdatedRows ?? 0n) > 0) return true;
        // Taken meanwhile (or this cause took one concurrently): look again.
        if (await mine(sourceId, cause)) return true;
      }
      return false;
    },
    async bindConcurrencySlot(sourceId, cause, runId) {
      await db.updateTable('trigger_concurrency_slots').set({ run_id: runId }).where('source_id', '=', sourceId).where('cause', '=', cause).execute();
    },
    async releaseConcurrencySlot(sourceId, cause) {
      const del = await db.deleteFrom('trigger_concurrency_slots').where('source_id', '=', sourceId).where('cause', '=', cause).executeTakeFirst();
      return Number(del.numDeletedRows) > 0;
    },
    async finishedConcurrencySlots(limit) {
      const rows = await db
        .selectFrom('trigger_concurrency_slots as s')
        .select(['s.source_id', 's.slot_key', 's.cause'])
        .where((eb) =>
          eb.or([
            eb.exists(eb.selectFrom('runs').select('runs.id').whereRef('runs.id', '=', 's.run_id').where('runs.status', 'in', TERMINAL)),
            eb.and([
              eb('s.run_id', 'is', null),
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('trigger_fires as f')
                    .select('f.cause')
                    .whereRef('f.source_id', '=', 's.source_id')
                    .whereRef('f.cause', '=', 's.cause')
                    .where('f.status', '=', 'pending'),
                ),
              ),
            ]),
          ]),
        )
        .limit(limit)
        .execute();
      return rows;
    },
    async holdFire(key, holdKey, until, now) {
      await db
        .updateTable('trigger_fires')
        .set({ hold_key: holdKey, reason: 'concurrency_limit', lease_until: until, updated_at: now })
        .where('source_id', '=', key.source_id)
        .where('cause', '=', key.cause)
        .where('status', '=', 'pending')
        .execute();
    },
    async wakeHeldFires(sourceId, holdKey, n, now, leaseMs) {
      const rows = await db
        .selectFrom('trigger_fires')
        .selectAll()
        .where('source_id', '=', sourceId)
        .where('hold_key', '=', holdKey)
        .where('status', '=', 'pending')
        .where('reason', '=', 'concurrency_limit')
        .orderBy('created_at')
        .limit(n)
        .execute();
      const out: FireRecord[] = [];
      for (const r of rows) {
        const upd = await db
          .updateTable('trigger_fires')
          .set({ lease_until: now + leaseMs, reason: null, attempts: Number(r.attempts) + 1, updated_at: now })
          .where('source_id', '=', r.source_id)
          .where('cause', '=', r.cause)
          .where('status', '=', 'pending')
          .where('lease_until', '=', r.lease_until)
          .executeTakeFirst();
        if (Number(upd.numUpdatedRows) > 0)
          out.push(toFire({ ...r, status: r.status as FireStatus, lease_until: now + leaseMs, reason: null, attempts: Number(r.attempts) + 1 } as never));
      }
      return out;
    },
  };
}
