/**
 * Section 1 (and the engine half of 5): items/s end to end of a no-op `js` column over
 * `rows` rows, with the engine's peak RSS.
 * - SQLite: one real `runyard up` child (embedded default), table and run made over HTTP.
 * - PostgreSQL: a control engine in this process creates the table and the run; 1 and 2
 *   `runyard worker` children execute it (a fresh database per count, on the shared server).
 * items/s = items_total ÷ (run finished_at − started_at), as the engine records them (ms).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlEngine, numbersTable, spawnWorker, waitForTerminal, type WorkerProcess } from '../../test/helpers/cluster.js';
import { cpuMicros, peakRss, spawnRunyard } from '../../test/helpers/proc.js';
import type { BenchContext } from '../lib/context.js';
import { api, waitForRun } from '../lib/http.js';

const PROFILE = process.env.BENCH_PROFILE ?? 'large';
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

function noopModule(ctx: BenchContext): string {
  const path = join(ctx.dir, 'noop.mjs');
  writeFileSync(path, 'export default (input) => input;\n');
  return path;
}

export async function throughputSqlite(ctx: BenchContext): Promise<void> {
  const { rows } = ctx.config;
  const module = noopModule(ctx);
  const ry = ctx.defer(await spawnRunyard(['--database', join(ctx.dir, 'throughput.db')], ctx.childEnv()), (p) => p.kill('SIGKILL'));
  try {
    const http = api(ry.url, ry.token);
    const csv = `n\n${Array.from({ length: rows }, (_, i) => i).join('\n')}\n`;
    const table = await http.post<{ id: string }>('/v1/tables', { name: 'bench', format: 'csv', data: csv });
    await http.post(`/v1/tables/${table.id}/columns`, { name: 'noop', producer: 'js', config: { module, input: { n: '{{n}}' } }, profile: PROFILE });
    const cpu0 = cpuMicros(ry.pid);
    const run = await http.post<{ id: string }>(`/v1/tables/${table.id}/columns/noop/runs`, {});
    let peak = 0;
    const done = await waitForRun(http, run.id, 30 * 60_000, () => (peak = Math.max(peak, peakRss(ry.pid))));
    const cpu = (cpuMicros(ry.pid) - cpu0) / rows;
    peak = Math.max(peak, peakRss(ry.pid));
    const seconds = (Date.parse(String(done.finished_at)) - Date.parse(String(done.started_at))) / 1000;
    if (done.status !== 'succeeded') throw new Error(`throughput run ended ${String(done.status)}`);
    const detail = `${rows.toLocaleString('en-US')} rows, profile ${PROFILE}, ${seconds.toFixed(2)} s, ${Math.round(cpu)} µs CPU of \`runyard up\` per item (run creation to end)`;
    ctx.record({
      id: 'throughput.sqlite.items_per_s',
      section: 'throughput',
      label: 'items/s, no-op js column, `runyard up`',
      db: 'sqlite',
      value: rows / seconds,
      unit: 'items/s',
      detail,
    });
    ctx.record({
      id: 'throughput.sqlite.peak_rss',
      section: 'memory',
      label: 'engine peak RSS during the throughput run',
      db: 'sqlite',
      value: mb(peak),
      unit: 'MB',
      detail: 'VmHWM of `runyard up`',
    });
  } finally {
    await ry.kill('SIGTERM');
  }
}

/** PostgreSQL with `n` executor processes (a fresh database on the shared server). */
export async function throughputPostgres(ctx: BenchContext, n: number): Promise<void> {
  const { rows } = ctx.config;
  const server = await ctx.postgres();
  const module = noopModule(ctx);
  const url = await server.createDatabase();
  const control = await controlEngine(url, ctx.dir);
  const workers: WorkerProcess[] = [];
  try {
    const tableId = await numbersTable(control, rows, module, PROFILE);
    // One data dir for every worker of the database: nodes of one database share the secret key.
    const env = ctx.childEnv();
    for (let i = 0; i < n; i++) workers.push(ctx.defer(await spawnWorker(url, [], env), (w) => w.kill('SIGKILL')));
    const { run } = await control.runs.startColumnRun(control.workspaceId, tableId, 'echo');
    let peak = 0;
    const sampler = setInterval(() => {
      for (const w of workers) peak = Math.max(peak, peakRss(w.pid));
    }, 200);
    const done = await waitForTerminal(control, run.id, 30 * 60_000).finally(() => clearInterval(sampler));
    for (const w of workers) peak = Math.max(peak, peakRss(w.pid));
    if (done.status !== 'succeeded') throw new Error(`throughput run ended ${done.status}`);
    const seconds = (done.finished_at! - done.started_at!) / 1000;
    const detail = `${rows.toLocaleString('en-US')} rows, profile ${PROFILE}, ${seconds.toFixed(2)} s`;
    ctx.record({
      id: `throughput.postgres.p${n}.items_per_s`,
      section: 'throughput',
      label: `items/s, no-op js column, ${n} \`runyard worker\` process${n > 1 ? 'es' : ''}`,
      db: 'postgres',
      value: rows / seconds,
      unit: 'items/s',
      detail,
    });
    ctx.record({
      id: `throughput.postgres.p${n}.peak_rss`,
      section: 'memory',
      label: `engine peak RSS during the throughput run (largest of ${n} worker${n > 1 ? 's' : ''})`,
      db: 'postgres',
      value: mb(peak),
      unit: 'MB',
      detail: 'VmHWM of `runyard worker`',
    });
  } finally {
    await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    await control.close();
  }
}
