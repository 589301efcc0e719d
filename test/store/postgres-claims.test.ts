/**
 * PostgreSQL-only: several stores (separate pools, as separate nodes have) claiming, completing
 * and sweeping one database at the same time. No item is claimed twice, a run's concurrency
 * holds across nodes, and two sweepers recover each expired lease once.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClaimedItem, Store } from '../../src/store/port.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { postgresForFile } from '../helpers/postgres.js';
import pg from 'pg';
import { assertCounts, LEASE_MS, newRun, T0, WS } from './conformance.js';

const postgres = postgresForFile();

/** `n` stores on the database of `first` (each with its own pool). */
function nodesOn(first: PostgresStore, n: number): PostgresStore[] {
  const url = first.target.url;
  return Array.from({ length: n }, () => PostgresStore.open({ url, listen: false, max: 4 }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('postgres: many nodes on one database', () => {
  test('6 nodes claiming one run of 300 items (concurrency 7): each item claimed once, never more than 7 running', async () => {
    const store = await (await postgres()).freshStore();
    const nodes = nodesOn(store, 6);
    const { run } = await store.createRun(WS, newRun(WS, { items: 300, spec: { concurrency: 7 } }), T0);
    await store.startQueuedRuns('nod_a', T0, 10);
    // Items enter this set after their claim committed and leave it before their completion
    // is written, so it is always a subset of the items the database holds as running.
    const running = new Set<string>();
    const claimedBy = new Map<string, string>();
    let peak = 0;
    const work = async (node: Store, name: string) => {
      for (let idle = 0; idle < 20;) {
        const claims = await node.claimItems(name, T0 + 1, LEASE_MS, 5);
        if (claims.length === 0) {
          idle += 1;
          await sleep(5);
          continue;
        }
        idle = 0;
        for (const c of claims) {
          assert.equal(claimedBy.get(c.item.id), undefined, `item ${c.item.id} claimed by ${claimedBy.get(c.item.id)} and ${name}`);
          claimedBy.set(c.item.id, name);
          running.add(c.item.id);
        }
        peak = Math.max(peak, running.size);
        await sleep(Math.random() * 4);
        for (const c of claims) running.delete(c.item.id);
        const res = await node.completeItems(
          claims.map((c) => ({
            kind: 'succeeded' as const,
            item_id: c.item.id,
            lease_token: c.lease_token,
            value: name,
            outputs: {},
            usage: null,
            provider: null,
            credits_used: 0,
            duration_ms: 1,
          })),
          T0 + 2,
        );
        assert.equal(res.accepted.length, claims.length);
      }
    };
    await Promise.all(nodes.map((n, i) => work(n, `nod_${i}`)));
    assert.equal(claimedBy.size, 300);
    assert.ok(peak <= 7, `at most 7 items of the run running at once across nodes (saw ${peak})`);
    assert.ok(peak >= 2, `the nodes did claim concurrently (peak ${peak})`);
    assert.ok(new Set(claimedBy.values()).size >= 3, 'the work was spread over the nodes');
    const done = await assertCounts(store, WS, run.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.items_succeeded, 300);
    const events = await store.listEvents(WS, run.id, 0, 10_000);
    assert.equal(events.filter((e) => e.type === 'item.started').length, 300);
    assert.equal(events.filter((e) => e.type === 'item.succeeded').length, 300);
    await Promise.all([...nodes.map((n) => n.close()), store.close()]);
  });

  test('3 runs × 4 nodes claiming at once: per-run concurrency holds for every run; claims end when all items are taken', async () => {
    const store = await (await postgres()).freshStore();
    const nodes = nodesOn(store, 4);
    const runs = [];
    for (const concurrency of [3, 5, 50]) runs.push((await store.createRun(WS, newRun(WS, { items: 40, spec: { concurrency } }), T0)).run);
    await store.startQueuedRuns('nod_a', T0, 10);
    const claims = (
      await Promise.all(nodes.flatMap((n) => [n.claimItems('nod_x', T0 + 1, LEASE_MS, 100), n.claimItems('nod_y', T0 + 1, LEASE_MS, 100)]))
    ).flat();
    const perRun = new Map<string, number>();
    for (const c of claims) perRun.set(c.run.id, (perRun.get(c.run.id) ?? 0) + 1);
    assert.deepEqual(
      runs.map((r) => perRun.get(r.id) ?? 0),
      [3, 5, 40],
    );
    assert.equal(new Set(claims.map((c) => c.item.id)).size, claims.length, 'no item claimed twice');
    for (const r of runs) assert.equal((await assertCounts(store, WS, r.id)).items_running, perRun.get(r.id));
    await Promise.all([...nodes.map((n) => n.close()), store.close()]);
  });

  test('a node another node wants a run from keeps to its share: demand over NOTIFY, caps on completeAndClaim, freed slots announced', async () => {
    const store = await (await postgres()).freshStore();
    const url = store.target.url;
    const a = PostgresStore.open({ url, listen: true, max: 4 });
    const b = PostgresStore.open({ url, listen: true, max: 4 });
    const { run } = await store.createRun(WS, newRun(WS, { items: 40, spec: { concurrency: 8 } }), T0);
    await store.startQueuedRuns('nod_a', T0, 10);
    const demands: string[][] = [];
    const offDemand = a.subscribeClaimDemand((d) => demands.push([d.node_id, ...d.run_ids]));
    let bWoken = 0;
    const offWork = b.subscribeWork(() => (bWoken += 1));
    const deadline = Date.now() + 10_000;
    while (!(a.listening && b.listening)) {
      assert.ok(Date.now() < deadline, 'both nodes listen');
      await sleep(10);
    }
    const done = (c: ClaimedItem) => ({
      kind: 'succeeded' as const,
      item_id: c.item.id,
      lease_token: c.lease_token,
      value: 1,
      outputs: {},
      usage: null,
      provider: null,
      credits_used: 0,
      duration_ms: 1,
    });

    const held = await a.claimItems('nod_a', T0 + 1, LEASE_MS, 100);
    assert.equal(held.length, 8, 'node a takes the whole run');
    const full = new Set<string>();
    assert.deepEqual(await b.claimItems('nod_b', T0 + 1, LEASE_MS, 100, { full }), []);
    assert.deepEqual([...full], [run.id], 'node b finds the run at its concurrency');
    await b.signalClaimDemand('nod_b', [...full]);
    while (demands.length === 0) {
      assert.ok(Date.now() < deadline, 'node a hears the demand');
      await sleep(10);
    }
    assert.deepEqual(demands[0], ['nod_b', run.id]);

    // Without a cap, completing re-takes the freed slots in the same transaction.
    const retake = await a.completeAndClaim([done(held[0]!)], T0 + 2, { nodeId: 'nod_a', leaseMs: LEASE_MS, limit: 100 });
    assert.deepEqual([retake.accepted.length, retake.claimed.length], [1, 1]);
    // With its share (ceil(8 / 2) = 4, 8 held), node a takes nothing back and leaves 4 slots.
    const woken = bWoken;
    const mine = [...held.slice(1), ...retake.claimed];
    const shared = await a.completeAndClaim(mine.slice(0, 4).map(done), T0 + 3, {
      nodeId: 'nod_a',
      leaseMs: LEASE_MS,
      limit: 100,
      caps: new Map([[run.id, 0]]),
    });
    assert.deepEqual([shared.accepted.length, shared.claimed.length], [4, 0]);
    while (bWoken === woken) {
      assert.ok(Date.now() < deadline, 'node b is woken to claim the slots left');
      await sleep(10);
    }
    const bClaims = await b.claimItems('nod_b', T0 + 4, LEASE_MS, 100);
    assert.equal(bClaims.length, 4);
    const counted = await assertCounts(store, WS, run.id);
    assert.equal(counted.items_running, 8, 'the run stays at its concurrency');
    offDemand();
    offWork();
    await Promise.all([a.close(), b.close(), store.close()]);
  });

  test('two nodes sweeping the same expired leases at once recover each item once', async () => {
    const store = await (await postgres()).freshStore();
    const [a, b] = nodesOn(store, 2);
    assert.ok(a && b);
    const { run } = await store.createRun(WS, newRun(WS, { items: 200, spec: { concurrency: 200 } }), T0);
    await store.startQueuedRuns('nod_a', T0, 10);
    assert.equal((await store.claimItems('nod_dead', T0, LEASE_MS, 200)).length, 200);
    const counts = await Promise.all([a, b, a, b].map((n) => n.recoverExpiredLeases(T0 + LEASE_MS + 1, 60)));
    const more = await Promise.all([a, b].map((n) => n.recoverExpiredLeases(T0 + LEASE_MS + 1, 1000)));
    assert.equal(
      [...counts, ...more].reduce((x, y) => x + y, 0),
      200,
    );
    const events = await store.listEvents(WS, run.id, 0, 10_000);
    const expired = events.filter((e) => e.type === 'item.lease_expired').map((e) => e.item_id);
    assert.equal(expired.length, 200);
    assert.equal(new Set(expired).size, 200);
    const counted = await assertCounts(store, WS, run.id);
    assert.equal(counted.items_pending, 200);
    await Promise.all([a.close(), b.close(), store.close()]);
  });

  test('a heartbeat does not queue behind a row lock: a locked lease counts as held, and is extended once the lock is gone', async () => {
    const store = await (await postgres()).freshStore();
    const { run } = await store.createRun(WS, newRun(WS, { items: 3 }), T0);
    await store.startQueuedRuns('nod_a', T0, 10);
    const claims = await store.claimItems('nod_a', T0 + 1, LEASE_MS, 3);
    assert.equal(claims.length, 3);
    const leases = claims.map((c) => ({ item_id: c.item.id, lease_token: c.lease_token }));
    // Another transaction (a completion in flight) holds the first item's row.
    const locker = new pg.Client({ connectionString: store.target.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM items WHERE id = $1 FOR UPDATE', [claims[0]!.item.id]);
    const lost = await Promise.race([store.heartbeatItems(leases, T0 + 1000, LEASE_MS), sleep(5_000).then(() => 'blocked' as const)]);
    assert.deepEqual(lost, [], 'the heartbeat returned without waiting and lost nothing');
    const rows = async () =>
      new Map(
        (await locker.query<{ id: string; lease_expires_at: string }>('SELECT id, lease_expires_at FROM items WHERE run_id = $1', [run.id])).rows.map((r) => [
          r.id,
          Number(r.lease_expires_at),
        ]),
      );
    const during = await rows();
    assert.equal(during.get(claims[1]!.item.id), T0 + 1000 + LEASE_MS, 'the unlocked leases were extended');
    assert.equal(during.get(claims[0]!.item.id), T0 + 1 + LEASE_MS, 'the locked one was left as it was');
    await locker.query('COMMIT');
    assert.deepEqual(await store.heartbeatItems(leases, T0 + 2000, LEASE_MS), []);
    assert.equal((await rows()).get(claims[0]!.item.id), T0 + 2000 + LEASE_MS, 'extended at the next beat');
    // A lease really taken is still reported lost.
    await locker.query('UPDATE items SET lease_token = $2 WHERE id = $1', [claims[2]!.item.id, 'someone-else']);
    assert.deepEqual(await store.heartbeatItems(leases, T0 + 3000, LEASE_MS), [claims[2]!.item.id]);
    await locker.end();
    await store.close();
  });
});
