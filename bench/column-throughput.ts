/**
 * Benchmark: items/s of a no-op `js` column over N rows (default 100,000) on the embedded
 * SQLite default, measured end to end against a real `runyard up` process, with its peak RSS.
 *
 *   npm run bench            # 100,000 rows
 *   BENCH_ROWS=20000 npm run bench
 *
 * items/s = items_total / (finished_at − started_at) of the run, as recorded by the engine.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peakRss, spawnRunyard } from '../test/helpers/proc.js';

const rows = Number(process.env.BENCH_ROWS ?? 100_000);
const profile = process.env.BENCH_PROFILE ?? 'large';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'runyard-bench-'));
  writeFileSync(join(dir, 'noop.mjs'), 'export default (input) => input;\n');
  const ry = await spawnRunyard(['--database', join(dir, 'bench.db')], { RUNYARD_LOG_LEVEL: 'error' });
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${ry.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  try {
    const csv = `n\n${Array.from({ length: rows }, (_, i) => i).join('\n')}\n`;
    let t = performance.now();
    const table = await post('/v1/tables', { name: 'bench', format: 'csv', data: csv });
    const importMs = performance.now() - t;
    await post(`/v1/tables/${String(table.id)}/columns`, {
      name: 'noop',
      producer: 'js',
      config: { module: join(dir, 'noop.mjs'), input: { n: '{{n}}' } },
      profile,
    });
    t = performance.now();
    const run = await post(`/v1/tables/${String(table.id)}/columns/noop/runs`, {});
    const createMs = performance.now() - t;
    let peak = 0;
    let final: Record<string, unknown> = run;
    for (;;) {
      peak = Math.max(peak, peakRss(ry.pid));
      final = (await (await fetch(`${ry.url}/v1/runs/${String(run.id)}`)).json()) as Record<string, unknown>;
      if (['succeeded', 'partial', 'failed', 'canceled'].includes(String(final.status))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    peak = Math.max(peak, peakRss(ry.pid));
    const seconds = (Date.parse(String(final.finished_at)) - Date.parse(String(final.started_at))) / 1000;
    const result = {
      rows,
      profile,
      status: final.status,
      items_succeeded: final.items_succeeded,
      import_ms: Math.round(importMs),
      create_run_ms: Math.round(createMs),
      run_seconds: Number(seconds.toFixed(2)),
      items_per_second: Math.round(rows / seconds),
      peak_rss_mb: Math.round(peak / 1024 / 1024),
      node: process.version,
    };
    console.log('| metric | value |\n| --- | --- |');
    for (const [k, v] of Object.entries(result)) console.log(`| ${k} | ${String(v)} |`);
    console.log(JSON.stringify(result));
  } finally {
    await ry.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
