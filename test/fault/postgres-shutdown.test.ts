/**
 * R8 on PostgreSQL: `runyard worker` on SIGTERM stops claiming at once, lets in-flight items
 * finish within its grace period, releases the rest (back to pending, attempt not counted, for
 * another node), marks itself stopped and exits 0. A second SIGTERM releases at once; a producer
 * that ignores its AbortSignal does not hold the exit up.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from '../helpers/fixtures.js';
import { postgresForFile } from '../helpers/postgres.js';
import { controlEngine, itemNumbers, numbersTable, readCalls, recorderModule, spawnWorker, waitForTerminal, type WorkerProcess } from '../helpers/cluster.js';

const postgres = postgresForFile();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A database with a 40-item run (32 at once) and a worker that holds 32 of its items. */
async function holding(mode: string, args: string[]) {
  const server = await postgres();
  const url = await server.createDatabase();
  const dir = tempDir('runyard-shutdown-');
  const calls = join(dir, 'calls.log');
  const module = recorderModule(dir, calls);
  const control = await controlEngine(url, dir);
  const tableId = await numbersTable(control, 40, module);
  const worker = await spawnWorker(url, args, { RY_MODE: mode });
  const { run } = await control.runs.startColumnRun(control.workspaceId, tableId, 'echo');
  for (let i = 0; i < 500 && readCalls(calls).filter((c) => c.what === 'start').length < 32; i++) await sleep(10);
  assert.equal(readCalls(calls).filter((c) => c.what === 'start').length, 32, 'the worker holds the run concurrency');
  const items = async () =>
    server.query<{ id: string; status: string; attempt_count: number; lease_owner: string | null }>(
      url,
      'SELECT id, status, attempt_count, lease_owner FROM items WHERE run_id = $1',
      [run.id],
    );
  const node = async (w: WorkerProcess) =>
    (await server.query<{ stopped_at: number | null }>(url, 'SELECT stopped_at FROM nodes WHERE id = $1', [w.nodeId]))[0];
  return { server, url, dir, calls, control, worker, run, items, node };
}

describe('runyard worker on SIGTERM', () => {
  test('stops claiming, lets items finish within --grace-ms, releases the rest, exits 0 in time; another node finishes', { timeout: 60_000 }, async () => {
    const h = await holding('hold', ['--grace-ms', '2000']);
    try {
      const numbers = await itemNumbers(h.server, h.url, h.run.id);
      const sentAt = Date.now();
      h.worker.proc.kill('SIGTERM');
      assert.deepEqual(await h.worker.exited, { code: 0, signal: null }, h.worker.stderr());
      const exitMs = Date.now() - sentAt;
      assert.ok(exitMs >= 1900 && exitMs <= 2000 + 5000, `exited ${exitMs} ms after SIGTERM (grace 2000 ms)`);
      const starts = readCalls(h.calls).filter((c) => c.what === 'start');
      assert.deepEqual(
        starts.filter((c) => c.at > sentAt),
        [],
        'no claim after SIGTERM',
      );
      const items = await h.items();
      const byN = new Map(items.map((i) => [numbers.get(i.id)!, i]));
      for (const c of starts) {
        const item = byN.get(c.n)!;
        if (c.n % 2 === 0) assert.equal(item.status, 'succeeded', `item ${c.n} finished within the grace period`);
        else assert.deepEqual([item.status, item.attempt_count], ['pending', 0], `item ${c.n} was released without using an attempt`);
      }
      assert.deepEqual(
        items.filter((i) => i.lease_owner !== null),
        [],
        'the node holds no lease after its exit',
      );
      assert.notEqual((await h.node(h.worker))?.stopped_at, null, 'the node marked itself stopped');
      const released = await h.server.query(h.url, "SELECT id FROM events WHERE run_id = $1 AND type = 'item.released'", [h.run.id]);
      assert.equal(released.length, 16);

      const next = await spawnWorker(h.url, [], { RY_MODE: 'sleep' });
      assert.equal((await waitForTerminal(h.control, h.run.id, 30_000)).status, 'succeeded');
      assert.deepEqual(await next.kill('SIGTERM'), { code: 0, signal: null });
    } finally {
      await h.worker.kill('SIGKILL');
      await h.control.close();
    }
  });

  test('a second SIGTERM releases in-flight items at once', { timeout: 60_000 }, async () => {
    const h = await holding('hang', ['--grace-ms', '60000']);
    try {
      h.worker.proc.kill('SIGTERM');
      await sleep(500);
      assert.equal(h.worker.proc.exitCode, null, 'still in its grace period');
      const secondAt = Date.now();
      h.worker.proc.kill('SIGTERM');
      assert.deepEqual(await h.worker.exited, { code: 0, signal: null }, h.worker.stderr());
      assert.ok(Date.now() - secondAt < 3000, `exited ${Date.now() - secondAt} ms after the second SIGTERM`);
      const items = await h.items();
      assert.equal(items.filter((i) => i.status === 'pending' && i.attempt_count === 0).length, 40, 'all 32 held items were released');
      assert.equal(readCalls(h.calls).filter((c) => c.what === 'abort').length, 32, 'every producer was aborted');
    } finally {
      await h.worker.kill('SIGKILL');
      await h.control.close();
    }
  });

  test('a producer that ignores its AbortSignal does not hold the exit up: its item is released anyway', { timeout: 60_000 }, async () => {
    const h = await holding('deaf', ['--grace-ms', '500']);
    try {
      const sentAt = Date.now();
      h.worker.proc.kill('SIGTERM');
      assert.deepEqual(await h.worker.exited, { code: 0, signal: null }, h.worker.stderr());
      assert.ok(Date.now() - sentAt < 500 + 1000 + 3000, `exited ${Date.now() - sentAt} ms after SIGTERM`);
      const items = await h.items();
      assert.equal(items.filter((i) => i.status === 'pending' && i.lease_owner === null).length, 40);
    } finally {
      await h.worker.kill('SIGKILL');
      await h.control.close();
    }
  });
});
