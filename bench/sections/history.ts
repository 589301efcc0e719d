/**
 * Section 4: history at scale. A generated history (bench/lib/history-db.ts) served by a real
 * `runyard up --no-executor`; each query is sent `historyRequests` times one after another
 * (or for at most BENCH_HISTORY_QUERY_BUDGET_MS, default 15 s, whichever comes first) and
 * timed on the client, request sent → body read: p50 / p99.
 * - first pages of `GET /v1/runs` with each filter: none, status, kind, time range (24 h,
 *   7 d, 30 d, one day 60 days back), name search (a frequent term and one that matches
 *   nothing), and all combined;
 * - cursor pages: 200 successive pages from page 50 on (following `next_cursor`), and 200
 *   successive pages starting 60 days back (`created_before`);
 * - `GET /v1/runs/:id/items?status=failed` on the large run: the first page repeated, and
 *   successive pages following `next_cursor`.
 * Time windows are relative to the newest generated run, so a cached database stays valid.
 */
import { spawnRunyard } from '../../test/helpers/proc.js';
import type { BenchContext } from '../lib/context.js';
import { historyServerEnv, postgresHistory, sqliteHistory, DAY, type HistoryDb } from '../lib/history-db.js';
import { api, type Api } from '../lib/http.js';
import { percentile } from '../lib/results.js';

const BUDGET_MS = Number(process.env.BENCH_HISTORY_QUERY_BUDGET_MS ?? 15_000);

interface Page {
  data: unknown[];
  next_cursor: string | null;
}

/** Times `next()` (which returns the path to request) up to n times or the budget. */
async function timeRequests(http: Api, n: number, next: (prev: Page | undefined) => string | undefined): Promise<{ samples: number[]; rows: number }> {
  const samples: number[] = [];
  const deadline = performance.now() + BUDGET_MS;
  let prev: Page | undefined;
  let rows = 0;
  for (let i = 0; i < n && performance.now() < deadline; i++) {
    const path = next(prev);
    if (path === undefined) break;
    const t = performance.now();
    prev = await http.get<Page>(path);
    samples.push(performance.now() - t);
    rows += prev.data.length;
  }
  return { samples, rows };
}

/** Follows `next_cursor` from `path` `pages` times without timing; returns the cursor reached. */
async function skipPages(http: Api, path: string, pages: number): Promise<string | null> {
  let cursor: string | null = null;
  for (let i = 0; i < pages; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page: Page = await http.get<Page>(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return cursor;
}

async function queries(ctx: BenchContext, db: 'sqlite' | 'postgres', h: HistoryDb): Promise<void> {
  const ry = ctx.defer(await spawnRunyard(['--database', h.database, '--no-executor'], historyServerEnv(ctx, h), 120_000), (p) => p.kill('SIGKILL'));
  const n = ctx.config.historyRequests;
  const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
  const end = h.shape.end + 1;
  const scale = `${h.runs.toLocaleString('en-US')} runs, ${h.items.toLocaleString('en-US')} items`;
  const record = (slug: string, label: string, r: { samples: number[]; rows: number }) => {
    const detail = `${scale}; ${r.samples.length} requests, ${Math.round(r.rows / Math.max(1, r.samples.length))} rows per page`;
    for (const p of [50, 99])
      ctx.record({ id: `history.${db}.${slug}.p${p}`, section: 'history', label: `${label}, p${p}`, db, value: percentile(r.samples, p), unit: 'ms', detail });
  };
  try {
    const http = api(ry.url, ry.token);
    await http.get('/v1/runs?limit=1');
    const firstPages: [string, string, string][] = [
      ['none', 'GET /v1/runs (no filter)', '/v1/runs'],
      ['status', 'GET /v1/runs?status=failed', '/v1/runs?status=failed'],
      ['kind', 'GET /v1/runs?kind=ingestion', '/v1/runs?kind=ingestion'],
      ['range_24h', 'GET /v1/runs, created in the last 24 h', `/v1/runs?created_after=${iso(end - DAY)}`],
      ['range_7d', 'GET /v1/runs, created in the last 7 d', `/v1/runs?created_after=${iso(end - 7 * DAY)}`],
      ['range_30d', 'GET /v1/runs, created in the last 30 d', `/v1/runs?created_after=${iso(end - 30 * DAY)}`],
      ['range_60d_day', 'GET /v1/runs, created one day 60 days back', `/v1/runs?created_after=${iso(end - 61 * DAY)}&created_before=${iso(end - 60 * DAY)}`],
      ['name_hit', 'GET /v1/runs?name=invoice (1 run in 12)', '/v1/runs?name=invoice'],
      ['name_miss', 'GET /v1/runs?name=… matching nothing', '/v1/runs?name=no-such-run-name'],
      ['combined', 'GET /v1/runs, status + kind + 30 d + name', `/v1/runs?status=failed,partial&kind=column&created_after=${iso(end - 30 * DAY)}&name=sync`],
    ];
    for (const [slug, label, path] of firstPages) record(slug, label, await timeRequests(http, n, () => path));

    const walk = async (slug: string, label: string, path: string, skip: number) => {
      let cursor = skip > 0 ? await skipPages(http, path, skip) : null;
      const sep = path.includes('?') ? '&' : '?';
      record(
        slug,
        label,
        await timeRequests(http, n, (prev) => {
          if (prev) cursor = prev.next_cursor;
          if (prev && !cursor) return undefined;
          return cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path;
        }),
      );
    };
    await walk('pages_50_on', 'GET /v1/runs cursor pages 50 → 250 (next_cursor)', '/v1/runs', 50);
    await walk('pages_60d_back', 'GET /v1/runs cursor pages from 60 days back', `/v1/runs?created_before=${iso(end - 60 * DAY)}`, 0);

    const items = `/v1/runs/${h.bigRunId}/items?status=failed`;
    const bigDetail = `large run of ${h.shape.bigRunItems.toLocaleString('en-US')} items`;
    record('items_failed', `GET /v1/runs/:id/items?status=failed (${bigDetail}), first page`, await timeRequests(http, n, () => items));
    await walk('items_failed_pages', `GET /v1/runs/:id/items?status=failed (${bigDetail}), successive pages`, items, 0);
  } finally {
    await ry.kill('SIGTERM');
  }
}

export async function historySqlite(ctx: BenchContext): Promise<HistoryDb> {
  const h = await sqliteHistory(ctx, ctx.config.historyRuns, ctx.config.bigRunItems);
  noteGeneration(ctx, 'sqlite', h);
  await queries(ctx, 'sqlite', h);
  return h;
}

export async function historyPostgres(ctx: BenchContext): Promise<void> {
  if (ctx.config.pgHistoryRuns === 0) return;
  const h = await postgresHistory(ctx, ctx.config.pgHistoryRuns, ctx.config.pgBigRunItems);
  noteGeneration(ctx, 'postgres', h);
  await queries(ctx, 'postgres', h);
}

function noteGeneration(ctx: BenchContext, db: string, h: HistoryDb): void {
  const how = h.generatedSeconds === null ? 'from the cache' : `generated in ${h.generatedSeconds.toFixed(0)} s`;
  ctx.notes.push(`History (${db}): ${h.runs.toLocaleString('en-US')} runs and ${h.items.toLocaleString('en-US')} items, ${how}.`);
  if (h.generatedSeconds !== null)
    ctx.record({
      id: `history.${db}.generate_s`,
      section: 'history',
      label: 'generating the history (INSERT … SELECT)',
      db,
      value: h.generatedSeconds,
      unit: 's',
      detail: `${h.runs.toLocaleString('en-US')} runs, ${h.items.toLocaleString('en-US')} items`,
    });
}
