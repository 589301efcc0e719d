/**
 * Two nodes with one host name in two PID namespaces (issue 12 part 2): a `runyard up` in this
 * process's namespace and a `runyard worker` started with `unshare --pid --fork --mount-proc`
 * (a container that shares the host's name). Neither can see the other's pid, so the same-host
 * dead-node shortcut (`kill(pid, 0)`) must not call the other dead: it is keyed on the PID
 * namespace each node stores. 3,000 items on one SQLite file, and on one PostgreSQL database:
 * 0 `worker_crashed`, no attempt spent on a lease expiry (a node called dead), both nodes
 * executed items and neither was marked stopped while it ran.
 *
 * A lease a live node could not extend in time (a starved machine: CI once ran this 5× slower
 * than here) is given back without spending its attempt (`attempt_spent: false`); that is the
 * designed answer to a stall, not this test's failure, and is counted in the log line. The
 * lease is the default 10 s so that it stays rare.
 *
 * Needs `unshare` and the right to create a PID namespace (root); skipped, saying why, without.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import pg from 'pg';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { tempDir } from '../helpers/fixtures.js';
import { dataDirFor, nodeApi as api, spawnRunyard, waitForRunOver } from '../helpers/proc.js';
import { root } from '../helpers/cluster.js';
import { postgresForFile } from '../helpers/postgres.js';

const ITEMS = 3000;
const postgres = postgresForFile();

/** Why a PID namespace cannot be made here, or undefined when it can. */
function unshareUnavailable(): string | undefined {
  const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { encoding: 'utf8' });
  if (r.error) return `unshare: ${r.error.message}`;
  return r.status === 0 ? undefined : `unshare --pid --fork --mount-proc failed: ${r.stderr.trim()}`;
}

/** `runyard worker` in a new PID namespace; resolves with its node id once it runs. */
function namespacedWorker(db: string, jsDir: string): Promise<{ nodeId: string; stop(): Promise<void>; stderr(): string }> {
  const proc = spawn(
    'unshare',
    [
      '--pid',
      '--fork',
      '--mount-proc',
      '--kill-child=SIGTERM',
      process.execPath,
      'bin/runyard.js',
      'worker',
      '--json',
      '--database',
      db,
      // Frequent heartbeats: each one runs the same-host dead-node check this test is about.
      '--heartbeat-ms',
      '250',
    ],
    // The database's data dir, as the up node's: one secret key for both nodes; and its js dir.
    {
      cwd: root,
      env: { ...process.env, RUNYARD_LOG_LEVEL: 'info', RUNYARD_DATA_DIR: dataDirFor(db), RUNYARD_JS_DIR: jsDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-40_000);
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the namespaced worker did not start: ${stderr}`)), 30_000);
    void exited.then(() => reject(new Error(`the namespaced worker exited: ${stderr}`)));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as { node_id?: string };
      if (!msg.node_id) return;
      clearTimeout(timer);
      resolve({
        nodeId: msg.node_id,
        stderr: () => stderr,
        // unshare does not pass SIGTERM on: signal the worker (its child) and wait for both.
        stop: async () => {
          if (proc.exitCode !== null || proc.signalCode !== null) return;
          const children = readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
          for (const pid of children) process.kill(Number(pid), 'SIGTERM');
          if (children.length === 0) proc.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}

const why = unshareUnavailable();

/** Raw reads of the database under test, `?` placeholders. */
interface Reader {
  rows<R>(text: string, params: unknown[]): Promise<R[]>;
  /** SQL counting a run's `item.started` events by `node_id` (columns node, n; every `?` is the run id). */
  startedByNode: string;
  close(): Promise<void>;
}

async function twoNamespaces(database: string, reader: () => Promise<Reader>): Promise<void> {
  const dir = tempDir('runyard-pidns-');
  const module = join(dir, 'work.mjs');
  writeFileSync(module, 'export default (input) => new Promise((r) => setTimeout(() => r(Number(input.n)), 200 + Math.random() * 200));');
  // The up node takes at most 64 items at a time, so the worker gets the rest of the run's 256.
  const up = await spawnRunyard(['--database', database, '--heartbeat-ms', '250', '--capacity', '64'], { RUNYARD_JS_DIR: dir });
  // Started inside the try: a worker that cannot start must not leave the up node running.
  let ns: Awaited<ReturnType<typeof namespacedWorker>> | undefined;
  try {
    const worker = await namespacedWorker(database, dir);
    ns = worker;
    const table = await api(up.url, '/v1/tables', { name: 'nums', format: 'csv', data: `n\n${Array.from({ length: ITEMS }, (_, i) => i).join('\n')}\n` });
    await api(up.url, `/v1/tables/${String(table.id)}/columns`, { name: 'work', producer: 'js', config: { module, input: { n: '{{n}}' } }, profile: 'large' });
    const runId = String((await api(up.url, `/v1/tables/${String(table.id)}/columns/work/runs`, {})).id);
    const started = Date.now();
    const run = await waitForRunOver(up.url, runId, 180_000);
    const db = await reader();
    const nodes = await db.rows<{ id: string; pid: number; hostname: string; pid_namespace: string | null; stopped_at: number | null }>(
      'SELECT id, pid, hostname, pid_namespace, stopped_at FROM nodes',
      [],
    );
    const [crashed] = await db.rows<{ n: number }>("SELECT count(*) AS n FROM items WHERE run_id = ? AND error LIKE '%worker_crashed%'", [runId]);
    const expiries = await db.rows<{ data: string | Record<string, unknown> }>("SELECT data FROM events WHERE run_id = ? AND type = 'item.lease_expired'", [
      runId,
    ]);
    const expired = expiries.map((e) => (typeof e.data === 'string' ? JSON.parse(e.data) : e.data) as { node_id: string | null; attempt_spent: boolean });
    const spent = expired.filter((e) => e.attempt_spent);
    const byNode = await db.rows<{ node: string; n: number }>(
      db.startedByNode,
      db.startedByNode
        .split('?')
        .slice(1)
        .map(() => runId),
    );
    await db.close();
    const workerRow = nodes.find((n) => n.id === worker.nodeId);
    const upRow = nodes.find((n) => n.id !== worker.nodeId);
    console.log(
      `# pid namespaces (${database.startsWith('postgres') ? 'postgres' : 'sqlite'}): ${String(run.items_succeeded)}/${ITEMS} succeeded, ${Number(crashed?.n)} worker_crashed, ` +
        `${expired.length} leases expired (${spent.length} spending the attempt) in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `items started by node: ${byNode.map((b) => `${b.node === worker.nodeId ? 'namespaced worker' : 'up'} ${b.n}`).join(', ')}; ` +
        `namespaces: up ${upRow?.pid_namespace} (pid ${upRow?.pid}), worker ${workerRow?.pid_namespace} (pid ${workerRow?.pid})`,
    );
    assert.ok(workerRow && upRow, `both nodes registered: ${JSON.stringify(nodes)}`);
    assert.equal(workerRow.hostname, upRow.hostname, 'one host name');
    assert.notEqual(workerRow.pid_namespace, upRow.pid_namespace, 'two PID namespaces');
    assert.equal(upRow.pid_namespace, readlinkSync('/proc/self/ns/pid'));
    assert.equal(workerRow.stopped_at, null, 'the up node did not mark the namespaced worker stopped');
    assert.equal(Number(crashed?.n), 0, 'no item failed worker_crashed');
    assert.deepEqual(spent, [], `no lease expiry spent an attempt (no node was called dead); stderr of the worker: ${worker.stderr().slice(-4000)}`);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.items_succeeded, ITEMS);
    assert.ok(byNode.length === 2, 'both nodes executed items');
    assert.doesNotMatch(worker.stderr(), /expired the leases of a dead node/);
  } finally {
    await Promise.all([up.kill('SIGTERM'), ns?.stop()]);
  }
}

test(`two nodes, one host name, two PID namespaces, ${ITEMS} items on SQLite: 0 worker_crashed`, { timeout: 240_000, skip: why }, async () => {
  const path = join(tempDir(), 'runyard.db');
  await twoNamespaces(path, async () => {
    const raw = new Database(path, { readonly: true });
    return {
      rows: async <R>(text: string, params: unknown[]) => raw.prepare(text).all(...params) as R[],
      // SQLite stores a batch's item.started events as one items.started row listing them.
      startedByNode: `SELECT node, sum(n) AS n FROM (
          SELECT json_extract(data, '$.node_id') AS node, count(*) AS n FROM events WHERE run_id = ? AND type = 'item.started' GROUP BY node
          UNION ALL
          SELECT json_extract(j.value, '$.node_id') AS node, count(*) AS n FROM events, json_each(events.data, '$.items') AS j
          WHERE events.run_id = ? AND events.type = 'items.started' GROUP BY node
        ) GROUP BY node`,
      close: async () => {
        raw.close();
      },
    };
  });
});

test(`two nodes, one host name, two PID namespaces, ${ITEMS} items on PostgreSQL: 0 worker_crashed`, { timeout: 240_000, skip: why }, async () => {
  const server = await postgres();
  const url = await server.createDatabase();
  await twoNamespaces(url, async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return {
      rows: async <R>(text: string, params: unknown[]) => {
        let i = 0;
        return (
          await client.query(
            text.replace(/\?/g, () => `$${++i}`),
            params,
          )
        ).rows as R[];
      },
      startedByNode: "SELECT data::jsonb ->> 'node_id' AS node, count(*) AS n FROM events WHERE run_id = ? AND type = 'item.started' GROUP BY node",
      close: () => client.end(),
    };
  });
});
