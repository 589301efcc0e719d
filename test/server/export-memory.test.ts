/**
 * Export at constant memory: a 200,000-item run exported over real HTTP from a `runyard up`
 * child process, as NDJSON and CSV (JSON shares their page-by-page stream), while its resident
 * memory is sampled and its health endpoint pinged. Loading the run into memory would take
 * several hundred MB (each item is ~0.5 KB of JSON text, several times that as objects); the
 * stream must stay within a small, fixed margin of the idle server and must not stall other
 * requests.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { peakRss, spawnRunyard, type RunyardProcess } from '../helpers/proc.js';
import { tempDir } from '../helpers/fixtures.js';
import { seedLargeRun, seedRun } from '../helpers/seed.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const ITEMS = 200_000;
/** Allowed growth of the server's peak RSS over its warmed-up idle RSS, bytes. */
const MAX_GROWTH = 80 * 1024 * 1024;

function currentRss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Number(kb) * 1024 : 0;
}

/** Streams a response body to nowhere, counting bytes and line feeds; keeps only the last bytes. */
async function drain(res: Response): Promise<{ bytes: number; lines: number; tail: string }> {
  assert.ok(res.body);
  let bytes = 0;
  let lines = 0;
  let tail = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    const buf = Buffer.from(chunk as Uint8Array);
    bytes += buf.length;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines += 1;
    tail = (tail + decoder.decode(buf.subarray(-200), { stream: true })).slice(-200);
  }
  return { bytes, lines, tail };
}

describe('export memory', () => {
  const dir = tempDir('runyard-export-mem-');
  let ry: RunyardProcess;
  let runId: string;
  let baseline = 0;

  before(async () => {
    const db = join(dir, 'large.db');
    runId = await seedLargeRun(db, ITEMS);
    const store = SqliteStore.open({ path: db });
    const small = await seedRun(store, { items: Array.from({ length: 1200 }, (_, i) => ({ key: `w${i}`, outputs: { i } })) });
    await store.close();
    ry = await spawnRunyard(['--database', db, '--no-executor']);
    // Warm up every export code path on a small run, then read the idle footprint.
    for (const format of ['json', 'ndjson', 'csv']) {
      await drain(await ry.fetch(`${ry.url}/v1/runs/export?format=${format}`));
      await drain(await ry.fetch(`${ry.url}/v1/runs/${small.id}/export?format=${format}`));
    }
    await new Promise((r) => setTimeout(r, 200));
    baseline = currentRss(ry.pid);
  });
  after(async () => {
    await ry?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  test(`a ${ITEMS.toLocaleString('en')}-item run streams as ndjson and csv within ${MAX_GROWTH / 1024 / 1024} MB of the idle server`, async () => {
    const sizes: Record<string, number> = {};
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, peakRss(ry.pid));
    }, 50);
    let slowestPing = 0;
    let pings = 0;
    let exporting = true;
    const pinger = (async () => {
      while (exporting) {
        const t = performance.now();
        await (await fetch(`${ry.url}/healthz`)).json();
        slowestPing = Math.max(slowestPing, performance.now() - t);
        pings += 1;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      const nd = await drain(await ry.fetch(`${ry.url}/v1/runs/${runId}/export?format=ndjson`));
      exporting = false;
      await pinger;
      assert.equal(nd.lines, ITEMS + 1, 'the run line and one line per item');
      sizes.ndjson = nd.bytes;
      const csv = await drain(await ry.fetch(`${ry.url}/v1/runs/${runId}/export?format=csv`));
      assert.equal(csv.lines, ITEMS + 1, 'a header row and one row per item');
      assert.match(csv.tail, /199999.*,5\r\n$/);
      sizes.csv = csv.bytes;
    } finally {
      exporting = false;
      clearInterval(sampler);
    }
    assert.ok(pings >= 3 && slowestPing < 2000, `GET /healthz during the export: ${pings} answers, slowest ${Math.round(slowestPing)} ms`);
    peak = Math.max(peak, peakRss(ry.pid));
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    const report = `idle ${mb(baseline)}, peak ${mb(peak)}, growth ${mb(peak - baseline)}; bodies: ndjson ${mb(sizes.ndjson ?? 0)}, csv ${mb(sizes.csv ?? 0)}`;
    console.log(`export memory: ${report}`);
    assert.ok(peak - baseline < MAX_GROWTH, `RSS grew too much: ${report}`);
    // Holding the run in memory instead (measured by collecting the pages before writing)
    // grew the server by ~960 MB; the limit only means something while the body exceeds it.
    assert.ok((sizes.ndjson ?? 0) > 1.5 * MAX_GROWTH, `the body (${mb(sizes.ndjson ?? 0)}) is larger than the allowed growth`);
  });
});
