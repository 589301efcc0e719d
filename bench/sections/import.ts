/**
 * Section 6 (import): a generated CSV of BENCH_IMPORT_ROWS rows (~95 bytes each; 638,000 rows
 * ≈ 60 MB by default, the size of the finding) streamed from a file to
 * `POST /v1/tables/import` of a fresh `runyard up --no-executor` on SQLite. Recorded: time from
 * the first byte sent to the 201, the server's peak RSS (`VmHWM`), and the slowest of the
 * `GET /v1/runs` requests sent one after another while the import runs (is the server free?).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { peakRss, spawnRunyard } from '../../test/helpers/proc.js';
import type { BenchContext } from '../lib/context.js';

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Writes the CSV; @returns its size in bytes. */
async function writeCsv(path: string, rows: number): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (s: string) => {
    bytes += Buffer.byteLength(s);
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('id,name,email,city,notes\n');
  for (let i = 0; i < rows; i++) {
    await write(`${i},Person ${i},person.${i}@example.com,City ${i % 997},"note ${i}, with a comma and some text to fill the row"\n`);
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

export async function importSection(ctx: BenchContext): Promise<void> {
  const rows = Number(process.env.BENCH_IMPORT_ROWS ?? 638_000);
  const file = join(ctx.dir, 'import.csv');
  const size = await writeCsv(file, rows);
  const ry = ctx.defer(await spawnRunyard(['--database', join(ctx.dir, 'import.db'), '--no-executor'], ctx.childEnv(), 120_000), (p) => p.kill('SIGKILL'));
  try {
    let peak = peakRss(ry.pid);
    const sampler = setInterval(() => (peak = Math.max(peak, peakRss(ry.pid))), 100);
    let done = false;
    let slowest = 0;
    let probes = 0;
    const probe = (async () => {
      while (!done) {
        const t = performance.now();
        await (await ry.fetch(`${ry.url}/v1/runs?limit=10`, { headers: { connection: 'close' } })).arrayBuffer();
        slowest = Math.max(slowest, performance.now() - t);
        probes++;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const t = performance.now();
    let seconds: number;
    try {
      const res = await ry.fetch(`${ry.url}/v1/tables/import?name=big`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: createReadStream(file) as unknown as RequestInit['body'],
        duplex: 'half',
      } as RequestInit);
      const body = (await res.json()) as { row_count?: number };
      seconds = (performance.now() - t) / 1000;
      if (res.status !== 201 || body.row_count !== rows) throw new Error(`import: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    } finally {
      done = true;
      clearInterval(sampler);
      await probe;
    }
    peak = Math.max(peak, peakRss(ry.pid));
    const detail = `${rows.toLocaleString('en-US')} rows, ${mb(size)} MB CSV, ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s`;
    ctx.record({ id: 'import.csv.seconds', section: 'memory', label: 'import a CSV (streamed): time', db: 'sqlite', value: seconds, unit: 's', detail });
    ctx.record({
      id: 'import.csv.peak_rss',
      section: 'memory',
      label: 'import a CSV (streamed): server peak RSS',
      db: 'sqlite',
      value: mb(peak),
      unit: 'MB',
      detail,
    });
    ctx.record({
      id: 'import.csv.slowest_get',
      section: 'memory',
      label: 'GET /v1/runs during the import: slowest',
      db: 'sqlite',
      value: Math.round(slowest),
      unit: 'ms',
      detail: `${probes} requests, one after another`,
    });
  } finally {
    await ry.kill('SIGTERM');
  }
}
