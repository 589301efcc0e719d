/**
 * Probe: latency from "create a run" to "its first item started", on an idle engine, over N
 * single-item runs (default 500) created one at a time against a real `runyard up`.
 *
 *   npm run build && node dist/bench/latency-probe.js                       # SQLite
 *   BENCH_BACKEND=postgres node dist/bench/latency-probe.js                 # PG, executor in `up`
 *   BENCH_BACKEND=postgres-worker node dist/bench/latency-probe.js          # PG, API-only `up` + one `runyard worker`
 *   BENCH_RUNS=200 BENCH_GAP_MS=20 node dist/bench/latency-probe.js
 *
 * Method (see bench/LATENCY.md): each run is `POST /v1/tables/{id}/columns/{col}/runs` on a
 * 1-row table with a no-op `js` column; the probe waits for the run to finish, then idles
 * BENCH_GAP_MS (default 30 ms, well under the 250 ms poll interval, so a wake-up that is lost
 * shows as a ~250 ms outlier) before the next. The latency of a run is the engine's own
 * record: the first item's `started_at` − the run's `created_at` (both stamped by the engine's
 * clock, whole ms) — since a run created next to an executor leases its first item in its
 * creation transaction, that difference is 0 there. So the probe's producer also returns the
 * sub-ms wall-clock moment it was called, and the probe reports (1) client sends the POST →
 * producer called, end to end (includes HTTP parsing and the column/row reads before the run
 * is written: an upper bound of the engine's share); (2) the run's `created_at` → producer
 * called. Also printed: the client-side round trip of the POST.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnRunyard, type RunyardProcess } from '../test/helpers/proc.js';
import { startPostgres, type PgServer } from '../test/helpers/postgres.js';
import { spawnWorker, type WorkerProcess } from '../test/helpers/cluster.js';

const runs = Number(process.env.BENCH_RUNS ?? 500);
const gapMs = Number(process.env.BENCH_GAP_MS ?? 30);
const backend = process.env.BENCH_BACKEND ?? 'sqlite';

type Json = Record<string, unknown>;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'runyard-latency-'));
  // The producer returns the moment it was called, sub-ms wall-clock time (same machine).
  writeFileSync(join(dir, 'stamp.mjs'), 'export default () => ({ at: performance.timeOrigin + performance.now() });\n');
  let pg: PgServer | undefined;
  let worker: WorkerProcess | undefined;
  let ry: RunyardProcess | undefined;
  try {
    let database = join(dir, 'latency.db');
    if (backend !== 'sqlite') {
      pg = await startPostgres({ durable: true });
      database = await pg.createDatabase();
    }
    ry = await spawnRunyard(['--database', database, ...(backend === 'postgres-worker' ? ['--no-executor'] : [])], { RUNYARD_LOG_LEVEL: 'error' });
    if (backend === 'postgres-worker') worker = await spawnWorker(database, [], { RUNYARD_LOG_LEVEL: 'error' });
    const base = ry.url;
    const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
      const res = await fetch(`${base}${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Json;
    };
    const table = await call('POST', '/v1/tables', { name: 'one', format: 'csv', data: 'n\n1\n' });
    await call('POST', `/v1/tables/${String(table.id)}/columns`, {
      name: 'noop',
      producer: 'js',
      config: { module: join(dir, 'stamp.mjs'), input: { n: '{{n}}' } },
    });
    const engineMs: number[] = [];
    const createdMs: number[] = [];
    const e2eMs: number[] = [];
    const postMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const sent = performance.timeOrigin + t;
      const run = await call('POST', `/v1/tables/${String(table.id)}/columns/noop/runs`, {});
      postMs.push(performance.now() - t);
      // The first look comes after the run should be done: reads share SQLite's one connection
      // with the executor, so polling early would delay what is measured.
      await new Promise((r) => setTimeout(r, 25));
      let item: Json | undefined;
      for (let polls = 0; ; polls++) {
        const page = (await call('GET', `/v1/runs/${String(run.id)}/items?limit=1`)) as { data: Json[] };
        item = page.data[0];
        if (item?.started_at && item.finished_at) break;
        if (polls > 5000) throw new Error(`run ${String(run.id)} did not finish: ${JSON.stringify(item)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      const calledAt = Number((item.outputs as { value?: { at?: number } } | null)?.value?.at);
      engineMs.push(Date.parse(String(item.started_at)) - Date.parse(String(run.created_at)));
      createdMs.push(calledAt - Date.parse(String(run.created_at)));
      e2eMs.push(calledAt - sent);
      await new Promise((r) => setTimeout(r, gapMs));
    }
    const report = (name: string, xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      const f = (n: number) => n.toFixed(2);
      console.log(`| ${name} | ${s.length} | ${f(quantile(s, 0.5))} | ${f(quantile(s, 0.9))} | ${f(quantile(s, 0.99))} | ${f(s.at(-1) ?? NaN)} |`);
    };
    console.log(`\nbackend ${backend}, ${cpus().length} cores, node ${process.version}, gap ${gapMs} ms\n`);
    console.log('| measure (ms) | n | p50 | p90 | p99 | max |\n| --- | --- | --- | --- | --- | --- |');
    report('client sends POST → producer called (end to end)', e2eMs);
    report('run created_at → producer called (≤ 1 ms high: created_at is whole ms)', createdMs);
    report('run created_at → item started_at (engine, whole ms)', engineMs);
    report('POST …/runs round trip (client)', postMs);
  } finally {
    await worker?.kill('SIGTERM');
    await ry?.kill('SIGTERM');
    await pg?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
