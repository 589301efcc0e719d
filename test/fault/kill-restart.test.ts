/**
 * kill -9 of the executing process mid-run, then a restart on the same SQLite file, with DEFAULT
 * engine settings: every item reaches a terminal status, counts match the items, no item that
 * had succeeded before the kill runs again, the orphans (items leased by the dead process) are
 * running again within 15 s of the restart, and the ledger holds one capture per item. Twice:
 * the executing process is `runyard up` itself, or a `runyard worker` behind `up --no-executor`
 * (the worker is killed and restarted; the API node stays up). The restarted process uses the
 * same data dir, so the same secret key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { markerCalls, tempDir } from '../helpers/fixtures.js';
import { nodeApi as api, type RunyardProcess, spawnRunyard } from '../helpers/proc.js';
import { spawnWorker } from '../helpers/cluster.js';

const ROWS = 160;

/** The producer calls (`n`: the row's value), from the marker file. */
function calls(marker: string): { n: string; pid: number; at: number }[] {
  return markerCalls(marker).map((c) => ({ n: c.key, pid: c.pid, at: c.at }));
}

/** The process that executes the items: killed with SIGKILL, then started again. */
interface Executing {
  pid: number;
  kill(signal: NodeJS.Signals): Promise<unknown>;
}

/** The test: `up` executes the items, or (`withWorker`) a `runyard worker` process behind `up --no-executor` does. */
const killRestart = (withWorker: boolean) => async () => {
  const dir = tempDir();
  const db = join(dir, 'runyard.db');
  const marker = join(dir, 'calls.log');
  writeFileSync(marker, '');
  writeFileSync(
    join(dir, 'slow.mjs'),
    `import { appendFileSync } from 'node:fs';
 export default async (input, ctx) => {
   appendFileSync(${JSON.stringify(marker)}, input.n + ' ' + process.pid + ' ' + Date.now() + '\\n');
   await new Promise((resolve, reject) => {
     const t = setTimeout(resolve, 150);
     ctx.signal.addEventListener('abort', () => { clearTimeout(t); reject(new Error('aborted')); });
   });
   return Number(input.n) * 2;
 };`,
  );
  const env = { RUNYARD_PRICES: JSON.stringify({ js_call: 1000 }), RUNYARD_DATA_DIR: join(dir, 'data'), RUNYARD_JS_DIR: dir };
  const apiNode: RunyardProcess | undefined = withWorker ? await spawnRunyard(['--database', db, '--no-executor'], env, 60_000) : undefined;
  const startExecuting = async (): Promise<Executing & { url: string }> => {
    if (apiNode) return Object.assign(await spawnWorker(db, [], env, 60_000), { url: apiNode.url });
    const node = await spawnRunyard(['--database', db], env, 60_000);
    return node;
  };
  const first = await startExecuting();
  await api(first.url, '/v1/credits/grants', { amount_micro: 10_000_000, reason: 'test' });
  const table = await api(first.url, '/v1/tables', { name: 'nums', format: 'csv', data: `n\n${Array.from({ length: ROWS }, (_, i) => i).join('\n')}\n` });
  await api(first.url, `/v1/tables/${String(table.id)}/columns`, {
    name: 'double',
    producer: 'js',
    config: { module: join(dir, 'slow.mjs'), input: { n: '{{n}}' } },
    profile: 'small',
  });
  const run = await api(first.url, `/v1/tables/${String(table.id)}/columns/double/runs`, {});
  const runId = String(run.id);

  // Let it get about a third of the way, then kill -9.
  for (;;) {
    const r = await api(first.url, `/v1/runs/${runId}`);
    if (Number(r.items_succeeded) >= ROWS / 3 && Number(r.items_running) > 0) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  await first.kill('SIGKILL');

  const snap = new Database(db, { readonly: true });
  const state = snap.prepare('SELECT key, status FROM items WHERE run_id = ?').all(runId) as { key: string; status: string }[];
  const rows = new Map(
    (snap.prepare('SELECT id, data FROM table_rows').all() as { id: string; data: string }[]).map((r) => [r.id, (JSON.parse(r.data) as { n: string }).n]),
  );
  snap.close();
  const succeededBefore = new Set(state.filter((s) => s.status === 'succeeded').map((s) => rows.get(s.key)));
  const orphans = new Set(state.filter((s) => s.status === 'running').map((s) => rows.get(s.key)));
  assert.ok(succeededBefore.size >= ROWS / 3, 'the kill came mid-run');
  assert.ok(succeededBefore.size < ROWS, 'the kill came before the end');
  assert.ok(orphans.size > 0, 'some items were in flight at the kill');

  const restartAt = Date.now();
  const second = await startExecuting();
  try {
    let final: Record<string, unknown>;
    for (;;) {
      final = await api(second.url, `/v1/runs/${runId}`);
      if (['succeeded', 'partial', 'failed', 'canceled'].includes(String(final.status))) break;
      if (Date.now() - restartAt > 60_000) throw new Error(`run still ${String(final.status)} 60 s after the restart`);
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(final.status, 'succeeded');
    assert.equal(final.items_succeeded, ROWS);
    assert.equal(Number(final.items_pending) + Number(final.items_running) + Number(final.items_failed), 0);

    const all = calls(marker);
    const after = all.filter((c) => c.pid === second.pid);
    const rerunSucceeded = after.filter((c) => succeededBefore.has(c.n));
    assert.deepEqual(rerunSucceeded, [], 'no item that had succeeded ran again');
    for (const n of orphans) {
      const again = after.find((c) => c.n === n);
      assert.ok(again, `orphan ${n} ran again`);
      assert.ok(again.at - restartAt <= 15_000, `orphan ${n} re-claimed ${again.at - restartAt} ms after the restart (limit 15000)`);
    }
    const perKey = new Map<string, number>();
    for (const c of all) perKey.set(c.n, (perKey.get(c.n) ?? 0) + 1);
    assert.equal(perKey.size, ROWS, 'every row was called');
    const duplicates = [...perKey.values()].reduce((a, b) => a + b, 0) - ROWS;
    assert.ok(duplicates <= orphans.size, `duplicate calls ${duplicates} ≤ items in flight at the kill ${orphans.size}`);

    // Counts on the run agree with the items themselves.
    const check = new Database(db, { readonly: true });
    const byStatus = check.prepare('SELECT status, COUNT(*) AS n FROM items WHERE run_id = ? GROUP BY status').all(runId) as {
      status: string;
      n: number;
    }[];
    check.close();
    assert.deepEqual(byStatus, [{ status: 'succeeded', n: ROWS }]);

    // The ledger: one capture per item, the run reconciles, and a replay gives the cached balance.
    const ledger = new Database(db, { readonly: true });
    const captures = ledger.prepare("SELECT item_id, COUNT(*) AS n FROM ledger_entries WHERE kind = 'capture' GROUP BY item_id HAVING n > 1").all();
    const sums = ledger.prepare('SELECT kind, SUM(amount) AS total FROM ledger_entries WHERE run_id = ? GROUP BY kind').all(runId) as {
      kind: string;
      total: number;
    }[];
    const totals = ledger.prepare('SELECT kind, SUM(amount) AS total FROM ledger_entries GROUP BY kind').all() as { kind: string; total: number }[];
    const account = ledger.prepare('SELECT granted, captured, outstanding FROM credit_accounts').get() as {
      granted: number;
      captured: number;
      outstanding: number;
    };
    ledger.close();
    assert.deepEqual(captures, [], 'no item has two captures');
    const of = (rows: { kind: string; total: number }[], k: string) => rows.find((r) => r.kind === k)?.total ?? 0;
    assert.equal(of(sums, 'capture'), ROWS * 1000);
    assert.equal(of(sums, 'reserve'), of(sums, 'capture') + of(sums, 'release'), 'reserved = captured + released');
    assert.deepEqual(account, {
      granted: of(totals, 'grant'),
      captured: of(totals, 'capture'),
      outstanding: of(totals, 'reserve') - of(totals, 'capture') - of(totals, 'release'),
    });
    assert.equal(account.outstanding, 0);
    const reclaim = Math.max(...[...orphans].map((n) => (after.find((c) => c.n === n)?.at ?? 0) - restartAt));
    console.log(
      `# kill-restart${withWorker ? ' (worker)' : ''}: ${orphans.size} orphans, slowest re-claim ${reclaim} ms after restart, ${duplicates} duplicate calls`,
    );
  } finally {
    await second.kill('SIGTERM');
    await apiNode?.kill('SIGTERM');
  }
};

test('kill -9 mid-run and restart: nothing lost, nothing succeeded re-run, orphans back within 15 s', { timeout: 120_000 }, killRestart(false));
test(
  'kill -9 mid-run and restart of a worker process: nothing lost, nothing succeeded re-run, orphans back within 15 s',
  { timeout: 120_000 },
  killRestart(true),
);
