/**
 * Section 5 (export half): `GET /v1/runs/:id/export?format=csv|ndjson` of the history's large
 * run (1,000,000 items of ~0.5 KB by default) from a fresh `runyard up --no-executor` per
 * format, so each peak RSS (`VmHWM`, sampled every 100 ms and at the end) is that format's own.
 * Time = request sent → last byte read; the body's line count is checked.
 */
import { peakRss, spawnRunyard } from '../../test/helpers/proc.js';
import type { BenchContext } from '../lib/context.js';
import { historyServerEnv, type HistoryDb } from '../lib/history-db.js';

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function exportOnce(ctx: BenchContext, h: HistoryDb, format: 'csv' | 'ndjson'): Promise<void> {
  const ry = ctx.defer(await spawnRunyard(['--database', h.database, '--no-executor'], historyServerEnv(ctx, h), 120_000), (p) => p.kill('SIGKILL'));
  try {
    let peak = peakRss(ry.pid);
    const sampler = setInterval(() => (peak = Math.max(peak, peakRss(ry.pid))), 100);
    const t = performance.now();
    let bytes = 0;
    let lines = 0;
    try {
      const res = await ry.fetch(`${ry.url}/v1/runs/${h.bigRunId}/export?format=${format}`);
      if (!res.ok || !res.body) throw new Error(`export ${format}: HTTP ${res.status}`);
      for await (const chunk of res.body) {
        const buf = Buffer.from(chunk as Uint8Array);
        bytes += buf.length;
        for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines += 1;
      }
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - t) / 1000;
    peak = Math.max(peak, peakRss(ry.pid));
    const items = h.shape.bigRunItems;
    if (lines < items) throw new Error(`export ${format}: expected at least ${items} lines, got ${lines}`);
    const detail = `${items.toLocaleString('en-US')} items, ${mb(bytes)} MB body, ${Math.round(items / seconds).toLocaleString('en-US')} items/s`;
    const db = h.database.startsWith('postgres') ? 'postgres' : 'sqlite';
    ctx.record({
      id: `export.${format}.seconds`,
      section: 'memory',
      label: `export a run as ${format.toUpperCase()}: time`,
      db,
      value: seconds,
      unit: 's',
      detail,
    });
    ctx.record({
      id: `export.${format}.peak_rss`,
      section: 'memory',
      label: `export a run as ${format.toUpperCase()}: server peak RSS`,
      db,
      value: mb(peak),
      unit: 'MB',
      detail,
    });
  } finally {
    await ry.kill('SIGTERM');
  }
}

export async function exportSection(ctx: BenchContext, h: HistoryDb): Promise<void> {
  for (const format of ['csv', 'ndjson'] as const) await exportOnce(ctx, h, format);
}
