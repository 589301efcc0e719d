/**
 * Section 3: create a run → its first item started, over `latencyRuns` single-item runs
 * created one at a time while the engine idles, on SQLite and on PostgreSQL, against a real
 * `runyard up` child (its executor in the same process).
 *
 * Two clocks, both reported:
 * - end to end (the targets): from just before the client sends `POST
 *   /v1/tables/:id/columns/:col/runs` to the moment the item's `js` function is called, which
 *   prints `performance.timeOrigin + performance.now()` (sub-ms epoch time; the client uses the
 *   same clock). It includes the HTTP request and the run's creation.
 * - engine-recorded: item `started_at` − run `created_at`, both stored in whole milliseconds.
 * After each item starts, the client waits for the run to finish and 5 ms more, so every run
 * meets an idle engine.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { spawnRunyard, type RunyardProcess } from '../../test/helpers/proc.js';
import type { BenchContext } from '../lib/context.js';
import { api, preciseNow, waitForRun } from '../lib/http.js';
import { percentile } from '../lib/results.js';

const PROBE = `export default (input, ctx) => {
  const t = performance.timeOrigin + performance.now();
  process.stdout.write(JSON.stringify({ bench_item_started: t, run_id: ctx.runId }) + '\\n');
  return { t };
};
`;

async function measure(ctx: BenchContext, db: 'sqlite' | 'postgres', ry: RunyardProcess): Promise<void> {
  const module = join(ctx.dir, 'probe.mjs');
  writeFileSync(module, PROBE);
  const starts = new Map<string, (t: number) => void>();
  const early = new Map<string, number>();
  createInterface({ input: ry.proc.stdout! }).on('line', (line) => {
    if (!line.includes('bench_item_started')) return;
    const msg = JSON.parse(line) as { bench_item_started: number; run_id: string };
    const waiter = starts.get(msg.run_id);
    if (waiter) waiter(msg.bench_item_started);
    else early.set(msg.run_id, msg.bench_item_started);
  });
  const http = api(ry.url, ry.token);
  const table = await http.post<{ id: string }>('/v1/tables', { name: 'latency', format: 'csv', data: 'n\n1\n' });
  await http.post(`/v1/tables/${table.id}/columns`, { name: 'probe', producer: 'js', config: { module, input: { n: '{{n}}' } } });
  const endToEnd: number[] = [];
  const recorded: number[] = [];
  const runs = ctx.config.latencyRuns;
  for (let i = -5; i < runs; i++) {
    const t0 = preciseNow();
    const run = await http.post<{ id: string; created_at: string }>(`/v1/tables/${table.id}/columns/probe/runs`, {});
    const started =
      early.get(run.id) ??
      (await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`latency: run ${run.id} did not start within 30 s`)), 30_000);
        starts.set(run.id, (t) => {
          clearTimeout(timer);
          resolve(t);
        });
      }));
    await waitForRun(http, run.id, 30_000, () => {}, 2);
    const items = await http.get<{ data: { started_at: string | null }[] }>(`/v1/runs/${run.id}/items`);
    // The first five runs warm the module cache and connections; they are not counted.
    if (i >= 0) {
      endToEnd.push(started - t0);
      recorded.push(Date.parse(String(items.data[0]?.started_at)) - Date.parse(run.created_at));
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const detail = `${runs} single-item runs, one at a time`;
  for (const p of [50, 90, 99]) {
    ctx.record({
      id: `latency.${db}.p${p}`,
      section: 'latency',
      label: `create run (HTTP) → first item started, p${p}`,
      db,
      value: percentile(endToEnd, p),
      unit: 'ms',
      detail,
    });
  }
  for (const p of [50, 99]) {
    ctx.record({
      id: `latency.${db}.recorded.p${p}`,
      section: 'latency',
      label: `run created_at → item started_at as stored (1 ms resolution), p${p}`,
      db,
      value: percentile(recorded, p),
      unit: 'ms',
      detail,
    });
  }
}

export async function latencySqlite(ctx: BenchContext): Promise<void> {
  const ry = ctx.defer(await spawnRunyard(['--database', join(ctx.dir, 'latency.db')], ctx.childEnv()), (p) => p.kill('SIGKILL'));
  try {
    await measure(ctx, 'sqlite', ry);
  } finally {
    await ry.kill('SIGTERM');
  }
}

export async function latencyPostgres(ctx: BenchContext): Promise<void> {
  const server = await ctx.postgres();
  const url = await server.createDatabase();
  const ry = ctx.defer(await spawnRunyard(['--database', url], ctx.childEnv()), (p) => p.kill('SIGKILL'));
  try {
    await measure(ctx, 'postgres', ry);
  } finally {
    await ry.kill('SIGTERM');
  }
}
