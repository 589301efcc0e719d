/**
 * Many-node tests on one PostgreSQL: real `runyard worker` processes, a `js` producer that
 * records every call to a shared file, a control engine in the test process (creates runs,
 * executes nothing), and the oracle that checks a run after the faults (reliability.md §2.0).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DatabaseClock } from '../../src/engine/database-clock.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { isTerminalRun } from '../../src/core/status.js';
import type { RunRecord } from '../../src/core/model.js';
import type { PgServer } from './postgres.js';
import { dataDirFor } from './proc.js';

/** The repo root (tests compile to dist/test/helpers/). */
export const root = fileURLToPath(new URL('../../../', import.meta.url));

export interface WorkerProcess {
  nodeId: string;
  pid: number;
  proc: ChildProcess;
  /** The last 20 kB of its stderr (JSON log lines); all of it with `keepOutput`. */
  stderr(): string;
  /** Its stdout (only with `keepOutput`). */
  stdout(): string;
  /** Resolves with the exit code (null when killed by a signal) and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal (if still running) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node bin/runyard.js worker --json --database URL …` and resolves once it printed
 * its node id (it is then registered and claiming).
 * @param opts.keepOutput keep all of its stdout and stderr (tests that scan them); `opts.baseEnv`
 *   replaces `process.env` as the environment the worker inherits
 */
export function spawnWorker(
  url: string,
  args: string[] = [],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
  opts: { keepOutput?: boolean; baseEnv?: Record<string, string | undefined> } = {},
): Promise<WorkerProcess> {
  const proc = spawn(process.execPath, ['bin/runyard.js', 'worker', '--json', '--database', url, ...args], {
    cwd: root,
    env: {
      ...(opts.baseEnv ?? process.env),
      RUNYARD_LOG_LEVEL: 'warn',
      ...(env.RUNYARD_DATA_DIR === undefined && env.RUNYARD_SECRET_KEY === undefined ? { RUNYARD_DATA_DIR: dataDirFor(url) } : {}),
      // Test modules live in temp dirs (absolute paths): the whole file system is the js
      // directory unless a test sets one (test/security/worker-js-dir.test.ts checks the rule;
      // relative paths such as examples/… need RUNYARD_JS_DIR: root, as on `up`).
      RUNYARD_JS_DIR: '/',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!opts.keepOutput && stderr.length > 40_000) stderr = stderr.slice(-20_000);
  });
  if (opts.keepOutput) proc.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`runyard worker did not start within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`runyard worker exited with ${code} before starting; stderr: ${stderr}`));
    });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let msg: { node_id?: unknown };
      try {
        msg = JSON.parse(line) as { node_id?: unknown };
      } catch {
        return;
      }
      if (typeof msg.node_id !== 'string') return;
      clearTimeout(timer);
      resolve({
        nodeId: msg.node_id,
        pid: proc.pid!,
        proc,
        stderr: () => stderr,
        stdout: () => stdout,
        exited,
        kill: async (signal = 'SIGTERM') => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          return exited;
        },
      });
    });
  });
}

/**
 * Writes `recorder.mjs`, a `js` producer module. Every call appends `start <n> <pid> <ms>` to
 * `calls`, and `done …` or `abort …` when it ends. What it does depends on the worker's env:
 * - `RY_MODE=sleep` (default): waits U(`RY_SLEEP_MIN_MS`, `RY_SLEEP_MAX_MS`) ms (0 by default);
 * - `RY_MODE=hold`: even `n` return after 1 s, odd `n` wait until aborted;
 * - `RY_MODE=hang`: waits until aborted;
 * - `RY_MODE=deaf`: waits 60 s and ignores its AbortSignal.
 * It honours its AbortSignal (except `deaf`) and returns `{ n, pid }`.
 */
export function recorderModule(dir: string, calls: string): string {
  const path = join(dir, 'recorder.mjs');
  writeFileSync(calls, '');
  writeFileSync(
    path,
    `import { appendFileSync } from 'node:fs';
const CALLS = ${JSON.stringify(calls)};
const log = (what, n) => appendFileSync(CALLS, what + ' ' + n + ' ' + process.pid + ' ' + Date.now() + '\\n');
const mode = process.env.RY_MODE ?? 'sleep';
const min = Number(process.env.RY_SLEEP_MIN_MS ?? 0);
const max = Number(process.env.RY_SLEEP_MAX_MS ?? min);
export default async (input, ctx) => {
  const n = Number(input.n);
  log('start', n);
  const ms = mode === 'hold' ? (n % 2 === 0 ? 1000 : Infinity) : mode === 'hang' ? Infinity : mode === 'deaf' ? 60000 : min + Math.random() * (max - min);
  await new Promise((resolve, reject) => {
    const t = ms === Infinity ? undefined : setTimeout(resolve, ms);
    if (mode === 'deaf') return;
    ctx.signal.addEventListener('abort', () => { clearTimeout(t); log('abort', n); reject(new Error('aborted')); }, { once: true });
  });
  log('done', n);
  return { n, pid: process.pid };
};
`,
  );
  return path;
}

export interface Call {
  what: 'start' | 'done' | 'abort';
  n: number;
  pid: number;
  at: number;
}

export function readCalls(file: string): Call[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [what, n, pid, at] = l.split(' ');
      return { what: what as Call['what'], n: Number(n), pid: Number(pid), at: Number(at) };
    });
}

/** An engine in the test process on `url` that creates and reads runs (no executor). */
export async function controlEngine(url: string, baseDir: string): Promise<Engine & { close(): Promise<void> }> {
  const store = PostgresStore.open({ url, listen: false, max: 3 });
  await store.migrate();
  const clock = await DatabaseClock.start(store);
  const engine = createEngine({ store, producers: createProducerRegistry({ baseDir }), clock });
  return Object.assign(engine, {
    async close() {
      clock.stop();
      await store.close();
    },
  });
}

/** A table `nums` of `rows` rows (`n` = 0…rows−1) with a `js` column `echo` calling `module`. */
export async function numbersTable(engine: Engine, rows: number, module: string, profile = 'standard'): Promise<string> {
  const ws = engine.workspaceId;
  const table = await engine.tables.importTable(ws, 'nums', 'csv', `n\n${Array.from({ length: rows }, (_, i) => i).join('\n')}\n`);
  await engine.tables.addColumn(ws, table.id, { name: 'echo', producer: 'js', config: { module, input: { n: '{{n}}' } }, profile });
  return table.id;
}

/** Polls until the run is terminal. */
export async function waitForTerminal(engine: Engine, runId: string, timeoutMs: number): Promise<RunRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await engine.runs.getRun(engine.workspaceId, runId).catch(() => undefined);
    if (run && isTerminalRun(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run?.status ?? '?'} after ${timeoutMs} ms: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Item id → the `n` of its row (from the rendered inputs). */
export async function itemNumbers(server: PgServer, url: string, runId: string): Promise<Map<string, number>> {
  const rows = await server.query<{ id: string; inputs: string }>(url, 'SELECT id, inputs FROM items WHERE run_id = $1', [runId]);
  return new Map(rows.map((r) => [r.id, Number((JSON.parse(r.inputs) as { input: { n: string } }).input.n)]));
}

/**
 * The oracle after a run under faults: every item succeeded (0 lost), exactly one
 * `item.succeeded` event per item (never a second completion), no lease left behind, the
 * run's counts equal the items', and every cell was written by its item's last attempt.
 */
export async function assertRunIntact(server: PgServer, url: string, runId: string, items: number): Promise<void> {
  const q = <R extends Record<string, unknown>>(text: string) => server.query<R>(url, text, [runId]);
  const byStatus = await q<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM items WHERE run_id = $1 GROUP BY status');
  assert.deepEqual(byStatus, [{ status: 'succeeded', n: items }], 'every item succeeded: 0 lost');
  const leased = await q<{ n: number }>('SELECT count(*)::int AS n FROM items WHERE run_id = $1 AND (lease_token IS NOT NULL OR lease_owner IS NOT NULL)');
  assert.equal(leased[0]?.n, 0, 'no lease left on a finished item');
  const completions = await q<{ item_id: string; n: number }>(
    "SELECT item_id, count(*)::int AS n FROM events WHERE run_id = $1 AND type = 'item.succeeded' GROUP BY item_id HAVING count(*) <> 1",
  );
  assert.deepEqual(completions, [], 'exactly one item.succeeded event per item: never a second completion');
  const total = await q<{ n: number }>("SELECT count(DISTINCT item_id)::int AS n FROM events WHERE run_id = $1 AND type = 'item.succeeded'");
  assert.equal(total[0]?.n, items);
  const run = await q<Record<string, number | string>>('SELECT * FROM runs WHERE id = $1');
  assert.equal(run[0]?.status, 'succeeded');
  assert.equal(run[0]?.items_succeeded, items);
  for (const f of ['items_failed', 'items_pending', 'items_running', 'items_skipped', 'items_canceled']) assert.equal(run[0]?.[f], 0, f);
  const cells = await q<{ n: number }>(
    `SELECT count(*)::int AS n FROM items i JOIN cells c ON c.item_id = i.id
      WHERE i.run_id = $1 AND c.status = 'succeeded' AND c.attempt = i.attempt_count AND c.value::jsonb = (i.outputs::jsonb -> 'value')`,
  );
  assert.equal(cells[0]?.n, items, "every cell holds its item's last attempt's value");
}
