/**
 * PostgreSQL-only engine behaviour across nodes in one process (each node its own store and
 * pool): LISTEN/NOTIFY wakes an idle node at once, survives the loss of its connection, and
 * polling covers nodes that cannot LISTEN (R24); lease times follow the database clock, so a
 * node whose own clock runs a minute ahead steals no lease.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseClock } from '../../src/engine/database-clock.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import type { Clock } from '../../src/core/ids.js';
import type { EngineOptions } from '../../src/engine/options.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { tempDir, waitForRun, writeModule } from '../helpers/fixtures.js';
import { postgresForFile } from '../helpers/postgres.js';

const postgres = postgresForFile();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Node {
  engine: Engine;
  store: PostgresStore;
}

async function node(url: string, baseDir: string, options: Partial<EngineOptions>, opts: { listen?: boolean; clock?: Clock } = {}): Promise<Node> {
  const store = PostgresStore.open({ url, listen: opts.listen ?? true, max: 3 });
  const engine = createEngine({ store, producers: createProducerRegistry({ baseDir }), options, ...(opts.clock ? { clock: opts.clock } : {}) });
  return { engine, store };
}

async function columnRun(engine: Engine, module: string, rows: number): Promise<string> {
  const ws = engine.workspaceId;
  const table = await engine.tables.importTable(ws, 't', 'csv', `n\n${Array.from({ length: rows }, (_, i) => i).join('\n')}\n`);
  const col = `c${Math.random().toString(36).slice(2, 8)}`;
  await engine.tables.addColumn(ws, table.id, { name: col, producer: 'js', config: { module, input: { n: '{{n}}' } } });
  return (await engine.runs.startColumnRun(ws, table.id, col)).run.id;
}

/** How long after its creation a run was started by some executor. */
async function startDelay(api: Engine, runId: string, timeoutMs: number): Promise<number> {
  const created = (await api.runs.getRun(api.workspaceId, runId)).created_at;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await api.runs.getRun(api.workspaceId, runId);
    if (run.started_at !== null) return run.started_at - created;
    if (Date.now() > deadline) return Infinity;
    await sleep(20);
  }
}

describe('postgres: nodes', () => {
  test(
    'a run created on an API node wakes an idle executor on another node at once (LISTEN/NOTIFY), also after its LISTEN connection was killed',
    { timeout: 60_000 },
    async () => {
      const server = await postgres();
      const first = await server.freshStore();
      const url = first.target.url;
      await first.close();
      const dir = tempDir();
      const module = writeModule(dir, 'noop.mjs', 'export default (input) => input;');
      // Polling every 60 s: only a notification can start the run quickly.
      const worker = await node(url, dir, { pollMs: 60_000, sweepMs: 60_000, heartbeatMs: 1000 });
      const api = await node(url, dir, {}, { listen: false });
      await worker.engine.startExecutor();
      for (let i = 0; i < 100 && !worker.store.listening; i++) await sleep(20);
      assert.ok(worker.store.listening, 'the executor LISTENs');
      try {
        const a = await columnRun(api.engine, module, 3);
        const delayA = await startDelay(api.engine, a, 5000);
        assert.ok(delayA < 1000, `started ${delayA} ms after creation`);
        assert.equal((await waitForRun(api.engine, a)).status, 'succeeded');

        // Kill the LISTEN connection: the listener reconnects with backoff and wakes once.
        const killed = await server.query(
          url,
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'runyard-listen' AND datname = current_database()",
        );
        assert.equal(killed.length, 1);
        for (let i = 0; i < 50 && worker.store.listening; i++) await sleep(20);
        for (let i = 0; i < 250 && !worker.store.listening; i++) await sleep(20);
        assert.ok(worker.store.listening, 'the listener reconnected');
        const b = await columnRun(api.engine, module, 3);
        const delayB = await startDelay(api.engine, b, 5000);
        assert.ok(delayB < 1000, `after the reconnect, started ${delayB} ms after creation`);
        assert.equal((await waitForRun(api.engine, b)).status, 'succeeded');
      } finally {
        await worker.engine.stopExecutor(100);
        await Promise.all([worker.store.close(), api.store.close()]);
      }
    },
  );

  test('a second executor joining a run held at its concurrency by the first gets a fair share of it (claim demand)', { timeout: 90_000 }, async () => {
    const server = await postgres();
    const first = await server.freshStore();
    const url = first.target.url;
    await first.close();
    const dir = tempDir();
    const module = writeModule(dir, 'slow.mjs', 'export default async (input) => { await new Promise((r) => setTimeout(r, 20)); return input; };');
    const a = await node(url, dir, {});
    const b = await node(url, dir, {});
    const api = await node(url, dir, {}, { listen: false });
    const ea = await a.engine.startExecutor();
    try {
      // 3,000 items of 20 ms at concurrency 32 (the standard profile): ≈ 2 s of work.
      const runId = await columnRun(api.engine, module, 3000);
      const ws = api.engine.workspaceId;
      for (let i = 0; i < 250 && ea.inFlightCount < 32; i++) await sleep(20);
      assert.equal(ea.inFlightCount, 32, 'the first node holds the whole run');
      const eb = await b.engine.startExecutor();
      const joined = Date.now();
      assert.equal((await waitForRun(api.engine, runId)).status, 'succeeded');
      const events = await api.store.listEvents(ws, runId, 0, 100_000);
      const after = events.filter((e) => e.type === 'item.started' && e.created_at > joined + 500);
      const byB = after.filter((e) => e.data['node_id'] === eb.nodeId).length;
      assert.ok(after.length > 300, `items started after the second node joined: ${after.length}`);
      assert.ok(byB >= after.length * 0.25, `the second node started ${byB} of the ${after.length} items started after it joined`);
    } finally {
      await Promise.all([a.engine.stopExecutor(100), b.engine.stopExecutor(100)]);
      await Promise.all([a.store.close(), b.store.close(), api.store.close()]);
    }
  });

  test('without LISTEN (a transaction-mode pooler), a node still finds new work within its poll interval', { timeout: 60_000 }, async () => {
    const server = await postgres();
    const first = await server.freshStore();
    const url = first.target.url;
    await first.close();
    const dir = tempDir();
    const module = writeModule(dir, 'noop.mjs', 'export default (input) => input;');
    const POLL_MS = 700;
    const worker = await node(url, dir, { pollMs: POLL_MS, sweepMs: 60_000 }, { listen: false });
    const api = await node(url, dir, {}, { listen: false });
    await worker.engine.startExecutor();
    try {
      const delays: number[] = [];
      for (let i = 0; i < 3; i++) {
        const id = await columnRun(api.engine, module, 2);
        delays.push(await startDelay(api.engine, id, 10_000));
        await waitForRun(api.engine, id);
      }
      assert.ok(Math.max(...delays) <= POLL_MS + 1000, `started within the poll interval + 1 s: ${delays.join(', ')} ms`);
    } finally {
      await worker.engine.stopExecutor(100);
      await Promise.all([worker.store.close(), api.store.close()]);
    }
  });

  test('lease times follow the database clock: a node whose clock runs 60 s ahead steals no lease (and would without it)', { timeout: 60_000 }, async () => {
    const server = await postgres();
    const first = await server.freshStore();
    const url = first.target.url;
    await first.close();
    const dir = tempDir();
    const module = writeModule(dir, 'slow.mjs', 'export default (input) => new Promise((r) => setTimeout(() => r(input), 1500));');
    const timing = { leaseMs: 3000, heartbeatMs: 1000, sweepMs: 100, pollMs: 100 };
    const ahead = () => Date.now() + 60_000;

    const runWith = async (sweeperClock: (store: PostgresStore) => Promise<Clock>) => {
      const holder = await node(url, dir, timing);
      const sweeperStore = PostgresStore.open({ url, listen: false, max: 3 });
      const clock = await sweeperClock(sweeperStore);
      // A node that executes nothing (capacity 0) but sweeps expired leases every 100 ms.
      const sweeper = createEngine({ store: sweeperStore, producers: createProducerRegistry({ baseDir: dir }), options: { ...timing, capacity: 0 }, clock });
      const runId = await columnRun(holder.engine, module, 4);
      await holder.engine.startExecutor();
      await sleep(300);
      await sweeper.startExecutor();
      const done = await waitForRun(holder.engine, runId, 20_000);
      await sweeper.stopExecutor(100);
      await holder.engine.stopExecutor(100);
      const events = await holder.store.listEvents(holder.engine.workspaceId, runId, 0, 1000);
      if (clock instanceof DatabaseClock) clock.stop();
      await Promise.all([holder.store.close(), sweeperStore.close()]);
      return { done, expired: events.filter((e) => e.type === 'item.lease_expired').length };
    };

    const synced = await runWith((store) => DatabaseClock.start(store, { local: ahead }));
    assert.equal(synced.done.status, 'succeeded');
    assert.equal(synced.expired, 0, 'with the database clock, no lease looked expired to the node whose clock runs ahead');

    const skewed = await runWith(async () => ({ now: ahead }));
    assert.ok(skewed.expired > 0, 'control: with its own clock, the node ahead sees live leases as expired and steals them');
  });
});
