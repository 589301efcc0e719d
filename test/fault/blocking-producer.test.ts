/**
 * A producer that blocks its node's event loop cannot make the node look dead (issue 12, DESIGN.md
 * §4 "a live node never fails its own work"). A `js` column over 200 rows whose function
 * busy-loops for 4 s on every 10th row, with a 2 s lease, on real processes:
 * - one `runyard up --lease-ms 2000`: every item succeeds, none `worker_crashed`;
 * - `runyard up` and `runyard worker` on one SQLite file: while one node's event loop is blocked,
 *   the other node's sweep finds nothing expired (the blocked node's heartbeat thread keeps its
 *   row and its leases alive), so no item is taken from a live node at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/fixtures.js';
import { nodeApi as api, type RunyardProcess, spawnRunyard } from '../helpers/proc.js';
import { spawnWorker, type WorkerProcess } from '../helpers/cluster.js';

const ROWS = 200;
const BLOCK_MS = 4000;
const TIMING = ['--lease-ms', '2000', '--capacity', '256'];

/** Starts the blocking column's run and waits until it is terminal; returns what the database shows. */
async function blockingRun(up: RunyardProcess, db: string, dir: string) {
  const module = join(dir, 'block.mjs');
  writeFileSync(
    module,
    `export default (input) => {
       const n = Number(input.n);
       if (n % 10 === 0) { const end = Date.now() + ${BLOCK_MS}; while (Date.now() < end) {} }
       return n;
     };`,
  );
  const table = await api(up.url, '/v1/tables', { name: 'nums', format: 'csv', data: `n\n${Array.from({ length: ROWS }, (_, i) => i).join('\n')}\n` });
  await api(up.url, `/v1/tables/${String(table.id)}/columns`, { name: 'block', producer: 'js', config: { module, input: { n: '{{n}}' } }, profile: 'large' });
  const run = await api(up.url, `/v1/tables/${String(table.id)}/columns/block/runs`, {});
  const runId = String(run.id);
  const started = Date.now();
  // The database, not the API: the node that serves the API is blocked for seconds at a time.
  const raw = new Database(db, { readonly: true });
  try {
    const runRow = raw.prepare('SELECT status, items_succeeded, items_failed FROM runs WHERE id = ?');
    let last = runRow.get(runId) as { status: string; items_succeeded: number; items_failed: number };
    while (!['succeeded', 'partial', 'failed', 'canceled'].includes(last.status)) {
      if (Date.now() - started > 240_000) throw new Error(`run still ${last.status} after 240 s: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 250));
      last = runRow.get(runId) as typeof last;
    }
    const items = raw.prepare('SELECT status, attempt_count, lease_lost_count, error FROM items WHERE run_id = ?').all(runId) as {
      status: string;
      attempt_count: number;
      lease_lost_count: number;
      error: string | null;
    }[];
    const expired = raw.prepare("SELECT count(*) AS n FROM events WHERE run_id = ? AND type = 'item.lease_expired'").get(runId) as { n: number };
    return { run: last, items, expired: expired.n, seconds: (Date.now() - started) / 1000 };
  } finally {
    raw.close();
  }
}

function report(what: string, r: Awaited<ReturnType<typeof blockingRun>>): void {
  const crashed = r.items.filter((i) => i.error?.includes('worker_crashed')).length;
  const reran = r.items.filter((i) => i.attempt_count > 1).length;
  const losses = r.items.reduce((s, i) => s + i.lease_lost_count, 0);
  console.log(
    `# blocking producer, ${what}: ${r.run.items_succeeded}/${ROWS} succeeded, ${crashed} worker_crashed, ${r.expired} leases expired, ${losses} lease losses, ${reran} items with > 1 attempt, ${r.seconds.toFixed(1)} s`,
  );
}

test('one runyard up, 2 s lease: a producer blocking the event loop 4 s on every 10th of 200 items fails none of them', { timeout: 300_000 }, async () => {
  const dir = tempDir('runyard-block-');
  const db = join(dir, 'runyard.db');
  const up = await spawnRunyard(['--database', db, ...TIMING], { RUNYARD_JS_DIR: dir });
  try {
    const r = await blockingRun(up, db, dir);
    report('one node', r);
    assert.equal(r.run.status, 'succeeded', JSON.stringify(r.run));
    assert.equal(r.items.filter((i) => i.status === 'succeeded').length, ROWS);
    assert.deepEqual(
      r.items.filter((i) => i.error !== null),
      [],
      'no item recorded an error (none worker_crashed)',
    );
    assert.ok(
      r.items.every((i) => i.attempt_count === 1),
      'no attempt was spent on a lease the node still held',
    );
  } finally {
    await up.kill('SIGTERM');
  }
});

test(
  'runyard up + runyard worker on one SQLite file: a node blocked by its producer keeps its leases; no item is taken from it',
  { timeout: 300_000 },
  async () => {
    const dir = tempDir('runyard-block2-');
    const db = join(dir, 'runyard.db');
    const up = await spawnRunyard(['--database', db, ...TIMING], { RUNYARD_JS_DIR: dir });
    let worker: WorkerProcess | undefined;
    try {
      worker = await spawnWorker(db, [...TIMING, '--sweep-ms', '250']);
      const r = await blockingRun(up, db, dir);
      report('up + worker', r);
      assert.equal(r.run.status, 'succeeded', JSON.stringify(r.run));
      assert.equal(r.items.filter((i) => i.status === 'succeeded').length, ROWS);
      assert.deepEqual(
        r.items.filter((i) => i.error !== null),
        [],
        'no item recorded an error (none worker_crashed)',
      );
      assert.equal(r.expired, 0, 'no lease of a node blocked by its producer expired: its heartbeat thread kept them');
    } finally {
      await Promise.all([up.kill('SIGTERM'), worker?.kill('SIGTERM')]);
    }
  },
);
