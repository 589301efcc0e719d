/**
 * PostgreSQL-only: the hot path's statements (src/store/postgres/hot-path.ts) keep every fence
 * of the Kysely forms they replace, called directly on a transaction of a real server: a lease
 * skips items that are not claimable, an outcome is written only under its item's current
 * token while it runs, cells are replaced (never duplicated) and events keep their order. The
 * conformance suite (postgres.test.ts) runs the whole store on this path too.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SqlContext } from '../../src/store/sql/context.js';
import type { OutcomeRow } from '../../src/store/sql/hot-path.js';
import type { CellsTable } from '../../src/store/sql/schema.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { postgresForFile } from '../helpers/postgres.js';
import { LEASE_MS, newRun, T0, WS } from './conformance.js';

const postgres = postgresForFile();

/** The store's SQL context (its transaction runner and hot path). */
const ctxOf = (store: PostgresStore) => (store as unknown as { ctx: SqlContext }).ctx;

function outcome(id: string, token: string, over: Partial<OutcomeRow> = {}): OutcomeRow {
  return {
    id,
    token,
    status: 'succeeded',
    outputs: '{"ok":true}',
    error: null,
    usage: null,
    provider: null,
    credits_used: 0,
    finished_at: T0 + 5,
    duration_ms: 3,
    next_attempt_at: null,
    attempt_delta: 0,
    ...over,
  };
}

/** A started run of `n` items: the first `claimed` leased to `nod_a`, one of them then succeeded. */
async function setup(n: number, claimed: number) {
  const store = await (await postgres()).freshStore();
  const { run } = await store.createRun(WS, newRun(WS, { items: n, spec: { concurrency: 100 } }), T0);
  await store.startQueuedRuns('nod_a', T0, 10);
  const claims = (await store.claimItems('nod_a', T0 + 1, LEASE_MS, claimed)).sort((a, b) => a.item.ordinal - b.item.ordinal);
  const items = (await store.listItems(WS, run.id, {}, { limit: 100 })).data;
  return { store, run, claims, items };
}

describe('postgres hot path: one statement per batch, every fence kept', () => {
  test('a PostgreSQL store uses it by default (one event row per event)', async () => {
    const store = await (await postgres()).freshStore();
    assert.equal(ctxOf(store).hot?.batchEvents, false);
    const off = PostgresStore.open({ url: store.target.url, listen: false, hotPath: false });
    assert.equal(ctxOf(off).hot, undefined);
    await Promise.all([off.close(), store.close()]);
  });

  test('leaseItems leases only the listed items still pending or retrying, in the order asked', async () => {
    const { store, claims, items } = await setup(5, 2);
    const [r0, r1] = claims;
    assert.ok(r0 && r1);
    const ctx = ctxOf(store);
    await ctx.tx(async (db) => ctx.hot!.completeItems(db, [outcome(r1.item.id, r1.lease_token)]));
    const pending = items.filter((i) => i.status === 'pending').map((i) => i.id);
    assert.equal(pending.length, 3);
    const lease = { token: 'lse_hot', owner: 'nod_b', expires: T0 + 99, now: T0 + 9 };
    // Running (r0), succeeded (r1), two pending in reverse order, an unknown id.
    const ask = [r0.item.id, r1.item.id, pending[2]!, pending[0]!, 'itm_missing'];
    const leased = await ctx.tx(async (db) => ctx.hot!.leaseItems(db, ask, lease));
    assert.deepEqual(
      leased.map((r) => r.id),
      [pending[2], pending[0]],
      'only the claimable ones, in the order asked',
    );
    for (const r of leased) {
      assert.deepEqual(
        [r.status, r.lease_token, r.lease_owner, Number(r.lease_expires_at), Number(r.started_at), r.attempt_count],
        ['running', 'lse_hot', 'nod_b', T0 + 99, T0 + 9, 1],
      );
      assert.equal(r.next_attempt_at, null);
    }
    const after = new Map((await Promise.all(ask.slice(0, 2).map((id) => store.getItem(WS, id)))).map((i) => [i!.id, i!]));
    assert.equal(after.get(r0.item.id)?.status, 'running');
    assert.equal(after.get(r0.item.id)?.attempt_count, 1, 'a running item is not leased again');
    assert.equal(after.get(r1.item.id)?.status, 'succeeded', 'a finished item is not leased');
    assert.equal((await store.getItem(WS, pending[1]!))?.status, 'pending', 'an item not listed is untouched');
    await store.close();
  });

  test('completeItems writes an outcome only under the current token of a running item', async () => {
    const { store, claims } = await setup(4, 3);
    const [a, b, c] = claims;
    assert.ok(a && b && c);
    const ctx = ctxOf(store);
    const first = await ctx.tx(async (db) =>
      ctx.hot!.completeItems(db, [
        outcome(a.item.id, a.lease_token),
        outcome(b.item.id, 'lse_stale', { status: 'failed', error: '{"code":"x"}' }),
        outcome(c.item.id, c.lease_token, { status: 'retrying', outputs: null, error: '{"code":"later"}', next_attempt_at: T0 + 50, finished_at: null }),
      ]),
    );
    assert.deepEqual(first.map((r) => r.id).sort(), [a.item.id, c.item.id].sort(), 'the stale token is left out');
    const b1 = await store.getItem(WS, b.item.id);
    assert.deepEqual([b1?.status, b1?.error], ['running', null], 'the stale outcome wrote nothing');
    // The right token on an item no longer running (it succeeded): nothing.
    const again = await ctx.tx(async (db) => ctx.hot!.completeItems(db, [outcome(a.item.id, a.lease_token, { status: 'failed', error: '{"code":"late"}' })]));
    assert.deepEqual(again, []);
    const a1 = await store.getItem(WS, a.item.id);
    assert.deepEqual([a1?.status, a1?.error, a1?.outputs], ['succeeded', null, { ok: true }]);
    const c1 = await store.getItem(WS, c.item.id);
    assert.deepEqual([c1?.status, c1?.next_attempt_at, c1?.error?.code], ['retrying', T0 + 50, 'later']);
    const lease = await ctx.db.selectFrom('items').select(['lease_token', 'lease_owner', 'lease_expires_at']).where('id', '=', c.item.id).executeTakeFirst();
    assert.deepEqual(lease, { lease_token: null, lease_owner: null, lease_expires_at: null }, 'the lease is dropped');
    // A released item gives its attempt back and keeps its last error.
    const released = await ctx.tx(async (db) =>
      ctx.hot!.completeItems(db, [
        outcome(b.item.id, b.lease_token, {
          status: 'pending',
          outputs: null,
          error: null,
          next_attempt_at: 0,
          finished_at: null,
          duration_ms: null,
          attempt_delta: -1,
        }),
      ]),
    );
    assert.deepEqual(
      released.map((r) => [r.id, r.attempt_count]),
      [[b.item.id, 0]],
    );
    await store.close();
  });

  test('upsertCells writes one row per cell and replaces it; insertEvents keeps the order given', async () => {
    const store = await (await postgres()).freshStore();
    const ctx = ctxOf(store);
    const cell = (row: string, value: string, attempt: number): CellsTable => ({
      workspace_id: WS,
      table_id: 'tbl_x',
      row_id: row,
      column_id: 'col_x',
      status: 'succeeded',
      value,
      error: null,
      run_id: 'run_x',
      item_id: `itm_${row}`,
      attempt,
      updated_at: T0 + attempt,
    });
    await ctx.tx(async (db) => ctx.hot!.upsertCells(db, [cell('row_a', '1', 1), cell('row_b', '2', 1)]));
    await ctx.tx(async (db) => ctx.hot!.upsertCells(db, [cell('row_b', '3', 2), cell('row_c', '4', 2)]));
    const cells = await ctx.db.selectFrom('cells').select(['row_id', 'value', 'attempt']).orderBy('row_id').execute();
    assert.deepEqual(cells, [
      { row_id: 'row_a', value: '1', attempt: 1 },
      { row_id: 'row_b', value: '3', attempt: 2 },
      { row_id: 'row_c', value: '4', attempt: 2 },
    ]);
    // One statement cannot write a cell twice: the caller (cells.ts) passes each cell once.
    await assert.rejects(ctx.tx(async (db) => ctx.hot!.upsertCells(db, [cell('row_d', '5', 1), cell('row_d', '6', 2)])));

    const ev = (id: string, type: string) => ({ id, workspace_id: WS, run_id: 'run_x', item_id: null, type, data: '{}', created_at: T0, span: 1 });
    await ctx.tx(async (db) => ctx.hot!.insertEvents(db, [ev('evt_3', 'c'), ev('evt_1', 'a'), ev('evt_2', 'b')]));
    const events = await ctx.db.selectFrom('events').select(['id']).orderBy('seq').execute();
    assert.deepEqual(
      events.map((e) => e.id),
      ['evt_3', 'evt_1', 'evt_2'],
    );
    await assert.rejects(
      ctx.tx(async (db) => ctx.hot!.insertEvents(db, [{ ...ev('evt_4', 'items.started'), span: 2 }])),
      /one per event/,
    );
    await store.close();
  });
});
