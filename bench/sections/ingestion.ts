/**
 * Section `ingestion` (issue 16): records/s ingested by a `runyard up` node on SQLite and on
 * PostgreSQL from a paginated API on 127.0.0.1 (test/helpers/paged-api.ts): a numbered source of
 * BENCH_INGEST_PAGES pages × BENCH_INGEST_PAGE_SIZE records (default 200 × 100 = 20,000) with
 * 8 lanes, each page's records upserted into a fresh table by key. Recorded: records/s from the
 * run's start to its end (`started_at` → `finished_at`), and the same for a second run of the
 * same source (every record unchanged: the compare-and-skip path).
 *
 *   npm run bench -- --only ingestion
 */
import { join } from 'node:path';
import { startPagedApi } from '../../test/helpers/paged-api.js';
import { nodeApi as api, spawnRunyard, waitForRunOver } from '../../test/helpers/proc.js';
import type { BenchContext } from '../lib/context.js';

type Json = Record<string, unknown>;

async function ingestOn(ctx: BenchContext, db: 'sqlite' | 'postgres', database: string): Promise<void> {
  const pages = Number(process.env.BENCH_INGEST_PAGES ?? 200);
  const size = Number(process.env.BENCH_INGEST_PAGE_SIZE ?? 100);
  const provider = ctx.defer(await startPagedApi(pages * size), (p) => p.close());
  const ry = ctx.defer(await spawnRunyard(['--database', database], ctx.childEnv(), 60_000), (p) => p.kill('SIGKILL'));
  const table = await api(ry.url, '/v1/tables', { name: 'ingest bench', format: 'csv', data: 'id\n' });
  const source = await api(ry.url, '/v1/ingestions', {
    name: 'bench source',
    table_id: table.id,
    request: { url: `${provider.url}/numbered` },
    records_path: 'data',
    key_field: 'id',
    pagination: { type: 'page', param: 'page', size_param: 'per_page' },
    page_size: size,
    fan_out: 8,
  });
  for (const [pass, what] of [
    ['first', 'records created'],
    ['again', 'records unchanged (second run)'],
  ] as const) {
    const started = await api(ry.url, `/v1/ingestions/${String(source.id)}/runs`, {});
    const runId = String((started.run as Json).id);
    const run = await waitForRunOver(ry.url, runId, 600_000);
    if (run.status !== 'succeeded') throw new Error(`ingestion run ${runId} ended ${String(run.status)}`);
    const seconds = (Date.parse(String(run.finished_at)) - Date.parse(String(run.started_at ?? run.created_at))) / 1000;
    const records = pages * size;
    ctx.record({
      id: `ingestion.${db}.${pass}.records_per_s`,
      section: 'ingestion',
      label: `ingestion records/s, ${what}`,
      db,
      value: Math.round(records / seconds),
      unit: 'records/s',
      detail: `${pages} pages × ${size} records, 8 lanes, ${seconds.toFixed(2)} s`,
    });
  }
}

/** The ingestion figures on SQLite and PostgreSQL. */
export async function ingestionSection(ctx: BenchContext): Promise<void> {
  await ingestOn(ctx, 'sqlite', join(ctx.dir, 'ingestion.db'));
  const server = await ctx.postgres();
  await ingestOn(ctx, 'postgres', await server.createDatabase());
}
