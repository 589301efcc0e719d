/**
 * R3 on PostgreSQL: a node is paused with SIGSTOP for 3 × its lease while holding items, then
 * resumed with SIGCONT. Meanwhile another node recovers and completes those items. After the
 * resume none of the paused node's stale writes is accepted: its heartbeat extends nothing
 * (every lease is reported lost), the completions of producers that returned are rejected,
 * and the producers still running see their AbortSignal fire within a heartbeat or so.
 *
 * Which comes first after SIGCONT, the overdue heartbeat or the overdue producer timers, is up
 * to the event loop: a held item either finished there (its completion must be rejected) or
 * was aborted (its result must never be written); the test accounts for each of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
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

const ITEMS = 40;
const LEASE_MS = 2000;
const HEARTBEAT_MS = 500;
const TIMING = ['--lease-ms', String(LEASE_MS), '--heartbeat-ms', String(HEARTBEAT_MS), '--sweep-ms', '250', '--poll-ms', '100'];
const postgres = postgresForFile();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('SIGSTOP a node for 3 × the lease, then SIGCONT: its stale writes are all rejected and its producers are aborted', { timeout: 120_000 }, async () => {
  const server = await postgres();
  const url = await server.createDatabase();
  const dir = tempDir('runyard-pause-');
  const calls = join(dir, 'calls.log');
  const module = recorderModule(dir, calls);
  const control = await controlEngine(url, dir);
  // The paused node's producers: even items return 1 s after they start (so they are overdue
  // when the node wakes up), odd items run until aborted.
  const paused = await spawnWorker(url, TIMING, { RY_MODE: 'hold' });
  let other: WorkerProcess | undefined;
  try {
    const tableId = await numbersTable(control, ITEMS, module);
    const { run } = await control.runs.startColumnRun(control.workspaceId, tableId, 'echo');
    // Wait until the node holds a full run's concurrency of items, then freeze it at once.
    let held: { id: string }[] = [];
    for (let i = 0; i < 400 && held.length < 32; i++) {
      held = await server.query(url, "SELECT id FROM items WHERE run_id = $1 AND status = 'running' AND lease_owner = $2", [run.id, paused.nodeId]);
      if (held.length < 32) await sleep(10);
    }
    process.kill(paused.pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    assert.equal(held.length, 32, 'the node held 32 items when it was paused');
    const numbers = await itemNumbers(server, url, run.id);
    const heldN = held.map((h) => numbers.get(h.id)!);
    const tooLate = readCalls(calls).filter((c) => c.what === 'done' && c.pid === paused.pid);
    assert.deepEqual(tooLate, [], 'nothing had finished on the paused node yet (the pause came within 1 s)');

    other = await spawnWorker(url, TIMING, { RY_MODE: 'sleep' });
    const done = await waitForTerminal(control, run.id, 60_000);
    assert.equal(done.status, 'succeeded');
    const pauseMs = 3 * LEASE_MS - (Date.now() - stoppedAt);
    if (pauseMs > 0) await sleep(pauseMs);
    process.kill(paused.pid, 'SIGCONT');
    const resumedAt = Date.now();
    assert.ok(resumedAt - stoppedAt >= 3 * LEASE_MS);

    // Every held item ends on the resumed node: finished (even ones only) or aborted.
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const odd = heldN.filter((n) => n % 2 === 1);
    const ended = () => readCalls(calls).filter((c) => c.pid === paused.pid && (c.what === 'abort' || c.what === 'done'));
    // A condition, not a fixed wait: a resumed node on a loaded machine may take seconds to run.
    for (const until = Date.now() + 30_000; ended().length < held.length && Date.now() < until;) await sleep(50);
    const aborts = ended().filter((c) => c.what === 'abort');
    const finished = ended().filter((c) => c.what === 'done');
    assert.deepEqual(sorted(ended().map((c) => c.n)), sorted(heldN), 'each held item finished or was aborted on the resumed node, once');
    assert.ok(
      odd.every((n) => aborts.some((a) => a.n === n)),
      'every producer still running on the resumed node saw its AbortSignal fire',
    );
    const slowest = Math.max(...aborts.map((a) => a.at - resumedAt));
    assert.ok(slowest <= HEARTBEAT_MS + 1500, `aborted ${slowest} ms after SIGCONT (a heartbeat is ${HEARTBEAT_MS} ms)`);
    const logged = (what: string) =>
      paused
        .stderr()
        .split('\n')
        .filter((l) => l.includes(what))
        .reduce((s, l) => s + Number((JSON.parse(l) as { items?: number }).items ?? 0), 0);
    for (let i = 0; i < 100 && logged('stale completions rejected') < finished.length; i++) await sleep(50);
    assert.equal(logged('stale completions rejected'), finished.length, 'the completion of every producer that returned on the resumed node was rejected');
    // The node logs after it aborts: the abort markers can be in the file before the log line is
    // in its stderr, and the stale-completion line can come first (then the wait above is over).
    for (let i = 0; i < 100 && logged('leases lost; producers aborted') < odd.length; i++) await sleep(50);
    assert.ok(logged('leases lost; producers aborted') >= odd.length, "the resumed node's heartbeat extended none of its leases");

    // Not one stale write landed: every item holds the other node's result, completed once.
    await assertRunIntact(server, url, run.id, ITEMS);
    const fromPaused = await server.query(url, "SELECT id FROM items WHERE run_id = $1 AND (outputs::jsonb -> 'value' ->> 'pid')::int = $2", [
      run.id,
      paused.pid,
    ]);
    assert.deepEqual(fromPaused, [], 'no item holds a result written by the paused node');
    const leases = await server.query(url, 'SELECT id FROM items WHERE lease_owner = $1', [paused.nodeId]);
    assert.deepEqual(leases, [], 'the paused node holds nothing');
    console.log(
      `# postgres pause: ${held.length} items held, ${finished.length} stale completions rejected, ${aborts.length} producers aborted ≤ ${slowest} ms after SIGCONT`,
    );
  } finally {
    process.kill(paused.pid, 'SIGCONT');
    await Promise.all([paused.kill('SIGTERM'), other?.kill('SIGTERM')]);
    await control.close();
  }
  assert.deepEqual(await paused.exited, { code: 0, signal: null }, paused.stderr());
});
