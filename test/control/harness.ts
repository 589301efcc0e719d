/**
 * A real `runyard up` process plus a recording js producer for run-control tests. With
 * `{ worker: true }` the work is executed by a separate `runyard worker` process instead:
 * `up --no-executor` serves the API, and both share the database and the data directory (so
 * the same secret key), as a scaled-out deployment does. The producer
 * appends one line per call to a marker file (`key attempt pid start_ms`), sleeps the row's `ms`
 * (abortably; first it waits while `<dir>/gate` exists), then behaves by the row's `kind` (`ok`, `perm`, `trans` while `<dir>/fail-trans`
 * exists), and records the time
 * its AbortSignal fired (`<dir>/aborted.log`).
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/fixtures.js';
import { spawnRunyard, type RunyardProcess } from '../helpers/proc.js';
import { spawnWorker, type WorkerProcess } from '../helpers/cluster.js';

export type Json = Record<string, unknown> & { error?: { code: string; message: string; details: Record<string, unknown> } };

export interface Harness {
  dir: string;
  ry: RunyardProcess;
  /** The executor process in worker mode. */
  worker?: WorkerProcess;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }>;
  /** Imports `rows` and adds the recording column; returns the table id. */
  table(name: string, rows: { n: number; kind: string; ms?: number }[], profile?: string): Promise<string>;
  start(tableId: string, body?: Record<string, unknown>): Promise<Json>;
  waitTerminal(runId: string, timeoutMs?: number): Promise<Json>;
  calls(): { key: string; attempt: number; pid: number; at: number }[];
  aborts(): { key: string; at: number }[];
  events(runId: string): Promise<Json[]>;
  items(runId: string, status?: string): Promise<Json[]>;
  close(): Promise<void>;
}

const MODULE = (dir: string) => `import { appendFileSync, existsSync } from 'node:fs';
export default async (input, ctx) => {
  appendFileSync(${JSON.stringify(join(dir, 'calls.log'))}, input.n + ' ' + ctx.attempt + ' ' + process.pid + ' ' + Date.now() + '\\n');
  // While <dir>/gate exists every call waits here: a test holds a run in flight for as long as it needs.
  while (existsSync(${JSON.stringify(join(dir, 'gate'))}) && !ctx.signal.aborted) await new Promise((r) => setTimeout(r, 20));
  await new Promise((resolve, reject) => {
    const t = setTimeout(resolve, Number(input.ms));
    ctx.signal.addEventListener('abort', () => {
      clearTimeout(t);
      appendFileSync(${JSON.stringify(join(dir, 'aborted.log'))}, input.n + ' ' + Date.now() + '\\n');
      reject(new Error('aborted'));
    });
  });
  if (input.kind === 'perm') throw Object.assign(new Error('permanent failure of ' + input.n), { retryable: false, code: 'perm' });
  if (input.kind === 'trans' && existsSync(${JSON.stringify(join(dir, 'fail-trans'))})) throw Object.assign(new Error('transient failure of ' + input.n), { code: 'trans' });
  return { n: Number(input.n), double: Number(input.n) * 2 };
};
`;

function lines(path: string): string[][] {
  return existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' '))
    : [];
}

/** How long a process may take to start on a busy machine, ms. */
const START_MS = 60_000;

/** How the harness runs: where the database is, and which process executes the items. */
export interface HarnessMode {
  /** Execute items in a separate `runyard worker` process (`up` runs with `--no-executor`). @default false */
  worker?: boolean;
  /** A database URL (e.g. a fresh PostgreSQL database). @default a fresh SQLite file */
  database?: string;
  /** Extra arguments of the worker. */
  workerArgs?: string[];
}

/** Starts a server on a fresh SQLite file (or `mode.database`), executing in-process or in a worker. */
export async function harness(env: Record<string, string> = {}, args: string[] = [], mode: HarnessMode = {}): Promise<Harness> {
  const dir = tempDir('runyard-control-');
  writeFileSync(join(dir, 'rec.mjs'), MODULE(dir));
  const database = mode.database ?? join(dir, 'r.db');
  const shared = { RUNYARD_DATA_DIR: join(dir, 'data'), RUNYARD_JS_DIR: dir, ...env };
  const ry = await spawnRunyard(['--database', database, ...(mode.worker ? ['--no-executor'] : []), ...args], shared, START_MS);
  let worker: WorkerProcess | undefined;
  try {
    if (mode.worker) worker = await spawnWorker(database, mode.workerArgs ?? [], shared, START_MS);
  } catch (err) {
    await ry.kill('SIGTERM');
    throw err;
  }
  const call = async (method: string, path: string, body?: unknown) => {
    const init: RequestInit = { method, headers: body === undefined ? {} : { 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await ry.fetch(`${ry.url}${path}`, init);
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as Json };
  };
  const h: Harness = {
    dir,
    ry,
    ...(worker ? { worker } : {}),
    call,
    async table(name, rows, profile = 'small') {
      const t = await call('POST', '/v1/tables', {
        name,
        format: 'json',
        data: JSON.stringify(rows.map((r) => ({ n: String(r.n), kind: r.kind, ms: String(r.ms ?? 5) }))),
      });
      if (t.status !== 201) throw new Error(JSON.stringify(t.json));
      const col = await call('POST', `/v1/tables/${String(t.json.id)}/columns`, {
        name: 'rec',
        producer: 'js',
        config: { module: join(dir, 'rec.mjs'), input: { n: '{{n}}', kind: '{{kind}}', ms: '{{ms}}' } },
        profile,
      });
      if (col.status !== 201) throw new Error(JSON.stringify(col.json));
      return String(t.json.id);
    },
    async start(tableId, body = {}) {
      const r = await call('POST', `/v1/tables/${tableId}/columns/rec/runs`, body);
      if (r.status !== 201) throw new Error(JSON.stringify(r.json));
      return r.json;
    },
    async waitTerminal(runId, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = (await call('GET', `/v1/runs/${runId}`)).json;
        if (['succeeded', 'partial', 'failed', 'canceled'].includes(String(r.status))) return r;
        if (Date.now() > deadline) throw new Error(`run ${runId} still ${String(r.status)}`);
        await new Promise((res) => setTimeout(res, 25));
      }
    },
    calls: () =>
      lines(join(dir, 'calls.log')).map(([key, attempt, pid, at]) => ({ key: String(key), attempt: Number(attempt), pid: Number(pid), at: Number(at) })),
    aborts: () => lines(join(dir, 'aborted.log')).map(([key, at]) => ({ key: String(key), at: Number(at) })),
    async events(runId) {
      const out: Json[] = [];
      for (let after = 0; ;) {
        const page = (await call('GET', `/v1/runs/${runId}/events?after=${after}&limit=1000`)).json.data as Json[];
        out.push(...page);
        if (page.length < 1000) return out;
        after = Number(page.at(-1)?.seq);
      }
    },
    async items(runId, status) {
      const out: Json[] = [];
      for (let cursor: string | null = null, first = true; first || cursor; first = false) {
        const q: string = `/v1/runs/${runId}/items?limit=1000${status ? `&status=${status}` : ''}${cursor ? `&cursor=${cursor}` : ''}`;
        const page = (await call('GET', q)).json;
        out.push(...(page.data as Json[]));
        cursor = page.next_cursor as string | null;
      }
      return out;
    },
    async close() {
      await Promise.all([ry.kill('SIGTERM'), worker?.kill('SIGTERM')]);
    },
  };
  return h;
}
