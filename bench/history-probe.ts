/**
 * Probe: run history at scale. Generates BENCH_RUNS runs (default 1,000,000) over 90 days and
 * BENCH_ITEMS items (default 10,000,000: one run of 1,000,000 items, the rest spread 9 per run)
 * with plain SQL, then times `GET /v1/runs` per filter against a real `runyard up`, each over
 * BENCH_REQUESTS requests (default 200) that follow `next_cursor` deep into the history, and
 * `GET /v1/runs/{id}/items?status=failed` on the 1,000,000-item run.
 *
 *   npm run build && node dist/bench/history-probe.js                  # SQLite, /tmp/runyard-history.db (kept, reused)
 *   BENCH_BACKEND=postgres node dist/bench/history-probe.js            # embedded PostgreSQL
 *   BENCH_RUNS=100000 BENCH_ITEMS=1000000 BENCH_DB=/tmp/h.db node dist/bench/history-probe.js
 *
 * Generated ids sort like real ones within the data set (time first); names are
 * "<table_N> · <verb>_<noun>" with a rare "incident-N" every 100,000 runs, so a search term
 * can be common ("enrich", 1 run in 5), medium ("table_42 ", 1 in 500), rare ("incident-3") or
 * absent ("zzqqx").
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { spawnRunyard, type RunyardProcess } from '../test/helpers/proc.js';
import { startPostgres, type PgServer } from '../test/helpers/postgres.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 1_000_000);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 10_000_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const backend = process.env.BENCH_BACKEND ?? 'sqlite';
const dbPath = process.env.BENCH_DB ?? `/tmp/runyard-history-${RUNS}.db`;
const DAY = 86_400_000;
const SPAN = 90 * DAY;
/** The generated history ends at this fixed instant so that a reused file keeps its meaning. */
const END = Date.parse('2026-11-21T00:00:00Z');
const BIG_ITEMS = Math.min(1_000_000, ITEMS);

/**
 * One SQL per step; `{series}` is a row source of `i` from 0 to n−1 and `{n}` its size, so the
 * same text serves SQLite (recursive CTE) and PostgreSQL (generate_series).
 */
function generationSql(series: (n: number) => string, dialect: 'sqlite' | 'postgres'): string[] {
  const cat = (...xs: string[]) => xs.join(' || ');
  const pad = (x: string, w: number) => (dialect === 'sqlite' ? `printf('%0${w}d', ${x})` : `lpad((${x})::text, ${w}, '0')`);
  const h = `((i * 2654435761) % 1000003)`;
  const created = `(${END - SPAN} + i * ${Math.floor(SPAN / RUNS)})`;
  const pick = (values: string[], weights: number[]) => {
    let acc = 0;
    const arms = values.map((v, k) => {
      acc += weights[k]!;
      return `WHEN ${h} % 100 < ${acc} THEN '${v}'`;
    });
    return `CASE ${arms.join(' ')} ELSE '${values.at(-1)!}' END`;
  };
  const verbs = `CASE ${h} % 5 WHEN 0 THEN 'enrich' WHEN 1 THEN 'classify' WHEN 2 THEN 'summarize' WHEN 3 THEN 'score' ELSE 'translate' END`;
  const nouns = `CASE (${h} / 5) % 4 WHEN 0 THEN '_email' WHEN 1 THEN '_company' WHEN 2 THEN '_lead' ELSE '_ticket' END`;
  const name = `CASE WHEN i % 100000 = 7 THEN ${cat(`'Incident-'`, `CAST(i / 100000 AS TEXT)`, `' follow-up'`)} ELSE ${cat(`'table_'`, `CAST(${h} % 500 AS TEXT)`, `' · '`, verbs, nouns)} END`;
  // The newest 200 runs are still open; the rest ended with a status spread like a real history.
  const status = `CASE WHEN i >= ${RUNS - 100} THEN 'running' WHEN i >= ${RUNS - 200} THEN 'queued' ELSE ${pick(['succeeded', 'failed', 'partial', 'canceled'], [82, 8, 7, 3])} END`;
  const kind = pick(['column', 'flow', 'worker', 'ingestion'], [70, 15, 10, 5]);
  const perRun = Math.max(0, Math.floor((ITEMS - BIG_ITEMS) / Math.max(1, RUNS - 1)));
  const itemsOf = `CASE WHEN i = 0 THEN ${BIG_ITEMS} ELSE ${perRun} END`;
  const runs = `INSERT INTO runs (id, workspace_id, kind, target_id, target_version, name, status, mode, trigger_type, profile, items_total,
      items_succeeded, items_failed, items_pending, items_running, items_skipped, items_canceled, credits_reserved, credits_used, tags, spec,
      created_at, started_at, finished_at, updated_at, pinned, credits_released)
    SELECT ${cat(`'run_'`, pad(created, 13), pad('i', 8))}, 'wsp_default', ${kind}, 'col_x', 1, ${name}, ${status}, 'live',
      CASE WHEN ${h} % 3 = 0 THEN 'api' ELSE 'manual' END, 'standard', ${itemsOf}, ${itemsOf}, 0, 0, 0, 0, 0, 0, 0, '[]',
      '{"producer":"js","config":{},"concurrency":8,"item_timeout_ms":30000,"max_attempts":3,"retry_base_delay_ms":1000,"retry_max_delay_ms":60000}',
      ${created}, ${created}, ${created} + 5000, ${created} + 5000, 0, 0
    FROM ${series(RUNS)}`;
  const big = `INSERT INTO items (id, workspace_id, run_id, ordinal, key, status, attempt_count, max_attempts, inputs, credits_used, started_at, finished_at)
    SELECT ${cat(`'itm_big'`, pad('i', 8))}, 'wsp_default', ${cat(`'run_'`, pad(`${END - SPAN}`, 13), pad('0', 8))}, i, 'row', CASE WHEN i % 100 = 42 THEN 'failed' ELSE 'succeeded' END,
      1, 3, '{}', 0, ${END - SPAN}, ${END - SPAN} + 5
    FROM ${series(BIG_ITEMS)}`;
  const rest = `INSERT INTO items (id, workspace_id, run_id, ordinal, key, status, attempt_count, max_attempts, inputs, credits_used, started_at, finished_at)
    SELECT ${cat(`'itm_'`, pad('i', 9))}, 'wsp_default', ${cat(`'run_'`, pad(`${END - SPAN} + (1 + i / ${perRun || 1}) * ${Math.floor(SPAN / RUNS)}`, 13), pad(`1 + i / ${perRun || 1}`, 8))},
      i % ${perRun || 1}, 'row', CASE WHEN i % 50 = 7 THEN 'failed' ELSE 'succeeded' END, 1, 3, '{}', 0, 0, 5
    FROM ${series(perRun * (RUNS - 1))}`;
  return perRun > 0 ? [runs, big, rest] : [runs, big];
}

async function generateSqlite(): Promise<void> {
  const store = SqliteStore.open({ path: dbPath });
  await store.migrate();
  await store.close();
  const db = new Database(dbPath);
  db.pragma('synchronous = OFF');
  const series = (n: number) => `(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${n - 1}) SELECT i FROM s)`;
  for (const text of generationSql(series, 'sqlite')) {
    const t = performance.now();
    db.exec(`BEGIN; ${text}; COMMIT;`);
    console.error(`generated in ${Math.round(performance.now() - t)} ms: ${text.slice(0, 40)}…`);
  }
  db.exec('ANALYZE');
  db.close();
}

async function generatePostgres(pg: PgServer): Promise<string> {
  const url = await pg.createDatabase();
  const store = PostgresStore.open({ url, listen: false, max: 1 });
  await store.migrate();
  await store.close();
  for (const text of generationSql((n) => `generate_series(0::bigint, ${n - 1}) AS s(i)`, 'postgres')) {
    const t = performance.now();
    await pg.query(url, text.replace(/CAST\(([^)]*?) AS TEXT\)/g, '($1)::text').replace(/i \/ /g, 'i / '));
    console.error(`generated in ${Math.round(performance.now() - t)} ms: ${text.slice(0, 40)}…`);
  }
  await pg.query(url, 'VACUUM ANALYZE runs');
  await pg.query(url, 'VACUUM ANALYZE items');
  return url;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  let pg: PgServer | undefined;
  let ry: RunyardProcess | undefined;
  try {
    let database = dbPath;
    if (backend === 'postgres') {
      pg = await startPostgres({ durable: true });
      database = await generatePostgres(pg);
    } else if (!existsSync(dbPath)) {
      await generateSqlite();
    }
    ry = await spawnRunyard(['--database', database, '--no-executor'], { RUNYARD_LOG_LEVEL: 'error' }, 120_000);
    const base = ry.url;
    const iso = (ms: number) => new Date(ms).toISOString();
    const filters: [string, string][] = [
      ['none', ''],
      ['status=failed', 'status=failed'],
      ['status=succeeded', 'status=succeeded'],
      ['status=failed,canceled', 'status=failed,canceled'],
      ['status=running (open)', 'status=running'],
      ['kind=flow', 'kind=flow'],
      ['kind=ingestion', 'kind=ingestion'],
      ['last 24h', `created_after=${iso(END - DAY)}`],
      ['last 7d', `created_after=${iso(END - 7 * DAY)}`],
      ['last 30d', `created_after=${iso(END - 30 * DAY)}`],
      ['custom 3 days, 60 days ago', `created_after=${iso(END - 63 * DAY)}&created_before=${iso(END - 60 * DAY)}`],
      ['name=enrich (1 in 5)', 'name=enrich'],
      ['name=table_42 (1 in 500)', 'name=table_42%20'],
      ['name=incident (rare)', 'name=incident'],
      ['name=zzqqx (none)', 'name=zzqqx'],
      ['name=50%_ (wildcards literal)', 'name=50%25_'],
      ['status=failed&kind=flow', 'status=failed&kind=flow'],
      ['status=failed&last 7d', `status=failed&created_after=${iso(END - 7 * DAY)}`],
      ['kind=worker&name=score&last 30d', `kind=worker&name=score&created_after=${iso(END - 30 * DAY)}`],
      ['status=partial,failed&custom 10d', `status=partial,failed&created_after=${iso(END - 50 * DAY)}&created_before=${iso(END - 40 * DAY)}`],
    ];
    console.log(`\nbackend ${backend}, ${RUNS} runs, ${ITEMS} items, ${cpus().length} cores, node ${process.version}, ${REQUESTS} requests each, limit 50\n`);
    console.log('| GET /v1/runs filter | pages | rows | p50 ms | p99 ms | max ms |\n| --- | --- | --- | --- | --- | --- |');
    for (const [label, query] of filters) {
      const times: number[] = [];
      let cursor: string | null = null;
      let rows = 0;
      let pages = 0;
      for (let r = 0; r < REQUESTS; r++) {
        const url = `${base}/v1/runs?limit=50${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`;
        const t = performance.now();
        const res = await fetch(url);
        const body = (await res.json()) as { data?: unknown[]; next_cursor?: string | null };
        times.push(performance.now() - t);
        if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
        rows += body.data?.length ?? 0;
        pages += 1;
        // Follow the cursor deep into the history; at the end start over.
        cursor = body.next_cursor ?? null;
      }
      times.sort((a, b) => a - b);
      console.log(`| ${label} | ${pages} | ${rows} | ${quantile(times, 0.5).toFixed(1)} | ${quantile(times, 0.99).toFixed(1)} | ${times.at(-1)!.toFixed(1)} |`);
    }
    const bigRun = `run_${String(END - SPAN).padStart(13, '0')}${'0'.padStart(8, '0')}`;
    const times: number[] = [];
    let cursor: string | null = null;
    for (let r = 0; r < REQUESTS; r++) {
      const t = performance.now();
      const res = await fetch(`${base}/v1/runs/${bigRun}/items?status=failed&limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      const body = (await res.json()) as { next_cursor?: string | null };
      times.push(performance.now() - t);
      if (!res.ok) throw new Error(`items: ${res.status} ${JSON.stringify(body)}`);
      cursor = body.next_cursor ?? null;
    }
    times.sort((a, b) => a - b);
    console.log(
      `| GET /v1/runs/{1M-item run}/items?status=failed | ${REQUESTS} | – | ${quantile(times, 0.5).toFixed(1)} | ${quantile(times, 0.99).toFixed(1)} | ${times.at(-1)!.toFixed(1)} |`,
    );
  } finally {
    await ry?.kill('SIGTERM');
    await pg?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
