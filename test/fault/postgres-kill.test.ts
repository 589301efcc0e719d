/**
 * R1 on PostgreSQL: three `runyard worker` processes with DEFAULT engine settings share one
 * database and one 10,000-item run; a random node is killed with SIGKILL at random moments,
 * five times, and replaced after a random delay. Afterwards every item succeeded (0 lost),
 * duplicate producer calls ≤ the items the killed nodes held at their kills (and only those
 * items ran twice), every orphan ran again on a surviving node within 15 s of its kill, and
 * no item was ever completed twice. With prices set, the workers capture exactly one item's
 * price per item (never twice, never zero) and the ledger reconciles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isTerminalRun } from '../../src/core/status.js';
import { tempDir } from '../helpers/fixtures.js';
import { postgresForFile } from '../helpers/postgres.js';
import {
  assertRunIntact,
  controlEngine,
  itemNumbers,
  numbersTable,
  readCalls,
  recorderModule,
  spawnWorker,
  waitForTerminal,
  type WorkerProcess,
} from '../helpers/cluster.js';

const ITEMS = 10_000;
/** µ per js call: the run must capture exactly ITEMS × PRICE, whatever the kills. */
const PRICE = 1_000;
const KILLS = 5;
const RECLAIM_LIMIT_MS = 15_000;
const postgres = postgresForFile();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (a: number, b: number) => a + Math.random() * (b - a);

interface Kill {
  at: number;
  pid: number;
  nodeId: string;
  /** `n` of the items the node held (status running, its lease) when it died. */
  orphans: number[];
}

test(
  'kill -9 of a random node, 5 times, during a 10,000-item run on 3 nodes: 0 lost, duplicates ≤ in flight, orphans back within 15 s',
  { timeout: 240_000 },
  async () => {
    const server = await postgres();
    const url = await server.createDatabase();
    const dir = tempDir('runyard-kill-');
    const calls = join(dir, 'calls.log');
    const module = recorderModule(dir, calls);
    const control = await controlEngine(url, dir);
    const env = { RY_SLEEP_MIN_MS: '30', RY_SLEEP_MAX_MS: '90' };
    const live: WorkerProcess[] = await Promise.all([1, 2, 3].map(() => spawnWorker(url, [], env)));
    const everyone = [...live];
    const kills: Kill[] = [];
    try {
      const tableId = await numbersTable(control, ITEMS, module);
      const ws = control.workspaceId;
      await control.prices.set(ws, { js_call: PRICE }, 'api');
      await control.credits.grant(ws, ITEMS * PRICE, 'fault test');
      const { run } = await control.runs.startColumnRun(ws, tableId, 'echo');
      assert.equal(run.price_version, 1);
      const numbers = await itemNumbers(server, url, run.id);
      const replacements: Promise<void>[] = [];
      for (let k = 0; k < KILLS; k++) {
        await sleep(between(1500, 3000));
        const now = await control.runs.getRun(control.workspaceId, run.id);
        assert.ok(!isTerminalRun(now.status), `kill ${k + 1} came after the run ended (${now.items_succeeded} succeeded): the run is too short for this test`);
        // On a loaded machine every node may be down with its replacement still starting: wait
        // for one to be up (a kill needs a live victim; the run waits meanwhile).
        for (const until = Date.now() + 60_000; live.length === 0 && Date.now() < until;) await sleep(50);
        assert.ok(live.length > 0, 'a replacement worker came up within 60 s');
        const victim = live.splice(Math.floor(Math.random() * live.length), 1)[0]!;
        const at = Date.now();
        await victim.kill('SIGKILL');
        const held = await server.query<{ id: string }>(url, "SELECT id FROM items WHERE run_id = $1 AND status = 'running' AND lease_owner = $2", [
          run.id,
          victim.nodeId,
        ]);
        kills.push({ at, pid: victim.pid, nodeId: victim.nodeId, orphans: held.map((r) => numbers.get(r.id)!) });
        // The replacement comes up after a random delay; the survivors carry on meanwhile.
        replacements.push(
          sleep(between(0, 3000)).then(async () => {
            const w = await spawnWorker(url, [], env);
            live.push(w);
            everyone.push(w);
          }),
        );
      }
      await Promise.all(replacements);
      const done = await waitForTerminal(control, run.id, 150_000);
      if (done.status !== 'succeeded') {
        // Say which items did not succeed and what happened to them.
        const bad = await server.query(
          url,
          "SELECT id, key, status, attempt_count, max_attempts, lease_lost_count, error FROM items WHERE run_id = $1 AND status <> 'succeeded' LIMIT 5",
          [run.id],
        );
        const evs = await server.query(url, 'SELECT item_id, type, data, created_at FROM events WHERE item_id = ANY($1) ORDER BY seq', [bad.map((b) => b.id)]);
        assert.fail(
          `run ${done.status}: ${JSON.stringify(bad)}\n${evs.map((e) => JSON.stringify(e)).join('\n')}\nkills: ${JSON.stringify(kills.map((k) => ({ at: k.at, node: k.nodeId, orphans: k.orphans.length })))}`,
        );
      }

      await assertRunIntact(server, url, run.id, ITEMS);
      assert.deepEqual(
        [done.credits_used, done.credits_reserved, done.credits_released],
        [ITEMS * PRICE, ITEMS * PRICE, 0],
        'each item captured once, by the workers',
      );
      const balance = await control.store.getBalance(ws);
      assert.deepEqual(await control.store.replayLedger(ws), balance, 'the ledger replays to the balance');
      assert.deepEqual([balance.captured, balance.outstanding, balance.available], [ITEMS * PRICE, 0, 0]);
      const all = readCalls(calls).filter((c) => c.what === 'start');
      const perItem = new Map<number, number>();
      for (const c of all) perItem.set(c.n, (perItem.get(c.n) ?? 0) + 1);
      assert.equal(perItem.size, ITEMS, 'every item was called');
      const inFlight = kills.reduce((s, k) => s + k.orphans.length, 0);
      const duplicates = all.length - ITEMS;
      assert.ok(kills.every((k) => k.orphans.length > 0) || inFlight > 0, 'the kills hit nodes with work in flight');
      assert.ok(duplicates <= inFlight, `duplicate calls ${duplicates} ≤ items in flight at the kills ${inFlight}`);
      const orphaned = new Set(kills.flatMap((k) => k.orphans));
      const twice = [...perItem].filter(([, count]) => count > 1).map(([n]) => n);
      assert.deepEqual(
        twice.filter((n) => !orphaned.has(n)),
        [],
        'only items held by a killed node ran more than once',
      );
      const reclaims: number[] = [];
      for (const k of kills) {
        for (const n of k.orphans) {
          const again = all.find((c) => c.n === n && c.pid !== k.pid && c.at >= k.at);
          assert.ok(again, `orphan ${n} of the node killed at ${k.at} ran again`);
          reclaims.push(again.at - k.at);
          assert.ok(again.at - k.at <= RECLAIM_LIMIT_MS, `orphan ${n} ran again ${again.at - k.at} ms after its node was killed (limit ${RECLAIM_LIMIT_MS})`);
        }
      }
      const nodes = await server.query<{ id: string; stopped_at: number | null }>(url, 'SELECT id, stopped_at FROM nodes');
      assert.equal(nodes.length, 3 + KILLS, 'every node registered');
      for (const k of kills) {
        // A killed node never says goodbye; a survivor on this host may mark it stopped after the
        // kill, when it finds the node's process gone (and expires its leases at once).
        const stopped = nodes.find((n) => n.id === k.nodeId)?.stopped_at ?? null;
        assert.ok(stopped === null || Number(stopped) >= k.at, `node ${k.nodeId} stopped at ${String(stopped)}, before its kill at ${k.at}`);
      }
      console.log(
        `# postgres kill: ${KILLS} kills, ${inFlight} items in flight at the kills, ${duplicates} duplicate calls, ` +
          `re-claim after kill min ${Math.min(...reclaims)} / max ${Math.max(...reclaims)} ms, run ${((done.finished_at! - done.started_at!) / 1000).toFixed(1)} s`,
      );
    } finally {
      await Promise.all(live.map((w) => w.kill('SIGTERM')));
      for (const w of everyone) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
      await control.close();
    }
    // Survivors stop gracefully: exit 0 and say goodbye in the nodes table.
    const survivors = everyone.filter((w) => !kills.some((k) => k.pid === w.pid));
    for (const w of survivors) assert.deepEqual(await w.exited, { code: 0, signal: null }, w.stderr());
  },
);
