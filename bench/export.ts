/**
 * Benchmark: export a 1,000,000-item run (default) as CSV and NDJSON over HTTP from a real
 * `runyard up` process, and report the time, the body size and the server's peak RSS
 * (`VmHWM`). A fresh server per format, so each peak is that format's own.
 *
 *   npm run bench:export               # 1,000,000 items
 *   BENCH_ITEMS=200000 npm run bench:export
 *
 * The run is written straight into a temp SQLite file with raw SQL (each item ~0.5 KB of
 * inputs and outputs); the server only reads it.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peakRss, spawnRunyard } from '../test/helpers/proc.js';
import { seedLargeRun } from '../test/helpers/seed.js';

const items = Number(process.env.BENCH_ITEMS ?? 1_000_000);
const formats = (process.env.BENCH_FORMATS ?? 'csv,ndjson').split(',');
const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Number(kb) * 1024 : 0;
}

async function exportOnce(db: string, runId: string, format: string) {
  const ry = await spawnRunyard(['--database', db, '--no-executor'], { RUNYARD_LOG_LEVEL: 'error' });
  try {
    const idle = rss(ry.pid);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, peakRss(ry.pid))), 100);
    const t = performance.now();
    const res = await fetch(`${ry.url}/v1/runs/${runId}/export?format=${format}`);
    if (!res.ok || !res.body) throw new Error(`export ${format}: HTTP ${res.status}`);
    let bytes = 0;
    let lines = 0;
    for await (const chunk of res.body) {
      const buf = Buffer.from(chunk as Uint8Array);
      bytes += buf.length;
      for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines += 1;
    }
    const seconds = (performance.now() - t) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, peakRss(ry.pid));
    if (lines !== items + 1) throw new Error(`export ${format}: expected ${items + 1} lines, got ${lines}`);
    return {
      format,
      seconds: Number(seconds.toFixed(1)),
      items_per_second: Math.round(items / seconds),
      body_mb: mb(bytes),
      idle_rss_mb: mb(idle),
      peak_rss_mb: mb(peak),
    };
  } finally {
    await ry.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'runyard-bench-export-'));
  try {
    const db = join(dir, 'export.db');
    const t = performance.now();
    const runId = await seedLargeRun(db, items);
    const seedSeconds = (performance.now() - t) / 1000;
    console.log(`seeded ${items} items in ${seedSeconds.toFixed(1)} s (database ${mb(statSync(db).size)} MB)`);
    const results = [];
    for (const format of formats) {
      const r = await exportOnce(db, runId, format);
      console.log(JSON.stringify(r));
      results.push(r);
    }
    console.log(`\n| format | items | seconds | items/s | body MB | idle RSS MB | peak RSS MB |\n| --- | --- | --- | --- | --- | --- | --- |`);
    for (const r of results)
      console.log(`| ${r.format} | ${items} | ${r.seconds} | ${r.items_per_second} | ${r.body_mb} | ${r.idle_rss_mb} | ${r.peak_rss_mb} |`);
    console.log(`node ${process.version}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
