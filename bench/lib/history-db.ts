/**
 * The history databases: generated once per shape (bench/lib/generate.ts) into a migrated
 * schema. SQLite's file is cached in `<os tmp>/runyard-bench-cache/`, keyed by the SQLite
 * migrations' text, the generator's text and the sizes, so a second `npm run bench` skips the
 * generation (BENCH_CACHE=0 regenerates into the scratch dir). PostgreSQL's is generated in a
 * fresh database of the shared server every time.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { root } from '../../test/helpers/cluster.js';
import { dataDirFor } from '../../test/helpers/proc.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { BenchContext } from './context.js';
import {
  bigRunSql,
  DAY,
  insertBigItemsSql,
  insertItemsSql,
  insertRunsSql,
  postgresNumbers,
  sqliteNumbers,
  type HistoryShape,
  type NumbersSql,
} from './generate.js';

/** A generated history: where it is, its large run and the time its newest run was created. */
export interface HistoryDb {
  /** SQLite file path or PostgreSQL URL. */
  database: string;
  bigRunId: string;
  shape: HistoryShape;
  runs: number;
  items: number;
  /** Seconds spent generating; null when the cache was used. */
  generatedSeconds: number | null;
}

/**
 * The environment of a `runyard up` serving a generated history (the history and export
 * sections): retention off, and one data dir per history database, kept beside a cached SQLite
 * file (`<file>.data`). The first node records its secret key's fingerprint and creates the
 * admin token in the database, so every later server of it needs that key and that token.
 */
export function historyServerEnv(ctx: BenchContext, h: HistoryDb): Record<string, string> {
  const dataDir = h.database.startsWith('postgres') ? dataDirFor(h.database) : `${h.database}.data`;
  mkdirSync(dataDir, { recursive: true });
  return { ...ctx.childEnv({ RUNYARD_RETENTION_DAYS: '0' }), RUNYARD_DATA_DIR: dataDir };
}

const CHUNK_RUNS = 100_000;
const CHUNK_ITEMS = 250_000;

/** Runs the statements of a whole history through `exec`, chunked, printing progress. */
async function fill(nums: NumbersSql, shape: HistoryShape, exec: (sql: string) => Promise<void>, label: string): Promise<string> {
  const big = bigRunSql(shape);
  for (let from = 0; from < shape.runs; from += CHUNK_RUNS) {
    const to = Math.min(shape.runs, from + CHUNK_RUNS);
    await exec(insertRunsSql(nums, shape, from, to));
    await exec(insertItemsSql(nums, shape, from, to));
    process.stderr.write(`\r  ${label}: runs ${to.toLocaleString('en-US')} / ${shape.runs.toLocaleString('en-US')}   `);
  }
  await exec(big.sql);
  for (let from = 0; from < shape.bigRunItems; from += CHUNK_ITEMS) {
    const to = Math.min(shape.bigRunItems, from + CHUNK_ITEMS);
    await exec(insertBigItemsSql(nums, big.id, shape, from, to));
    process.stderr.write(`\r  ${label}: large run items ${to.toLocaleString('en-US')} / ${shape.bigRunItems.toLocaleString('en-US')}   `);
  }
  process.stderr.write('\n');
  return big.id;
}

function cacheKey(runs: number, bigRunItems: number): string {
  const h = createHash('sha256');
  const migrations = join(root, 'src/store/sqlite/migrations');
  for (const f of readdirSync(migrations).sort()) h.update(f).update(readFileSync(join(migrations, f)));
  h.update(readFileSync(join(root, 'bench/lib/generate.ts')));
  h.update(`${runs}/${bigRunItems}`);
  return h.digest('hex').slice(0, 16);
}

/** Counts of what a database holds. */
function countSqlite(path: string): { runs: number; items: number; bigRunId: string; end: number } {
  const db = new Database(path);
  try {
    const runs = (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
    const items = (db.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n;
    const big = db.prepare("SELECT id FROM runs WHERE target_id = 'col_big'").get() as { id: string };
    const end = (db.prepare('SELECT max(created_at) AS t FROM runs').get() as { t: number }).t;
    return { runs, items, bigRunId: big.id, end };
  } finally {
    db.close();
  }
}

/** The SQLite history of `runs` runs (cached, see the file comment). */
export async function sqliteHistory(ctx: BenchContext, runs: number, bigRunItems: number): Promise<HistoryDb> {
  const cacheDir = join(tmpdir(), 'runyard-bench-cache');
  const path = ctx.config.cache ? join(cacheDir, `history-${cacheKey(runs, bigRunItems)}.db`) : join(ctx.dir, 'history.db');
  if (ctx.config.cache && existsSync(path)) {
    const c = countSqlite(path);
    console.error(`  using the cached history ${path} (${(statSync(path).size / 1e9).toFixed(1)} GB)`);
    return { database: path, bigRunId: c.bigRunId, shape: { runs, bigRunItems, end: c.end }, runs: c.runs, items: c.items, generatedSeconds: null };
  }
  mkdirSync(cacheDir, { recursive: true });
  // One cached history at a time (each is ~3 GB at full size): drop those of other shapes or schemas.
  if (ctx.config.cache) for (const f of readdirSync(cacheDir)) if (f.startsWith('history-')) rmSync(join(cacheDir, f), { force: true, recursive: true });
  const building = `${path}.building`;
  for (const f of [building, `${building}-wal`, `${building}-shm`]) rmSync(f, { force: true });
  const t = performance.now();
  const store = SqliteStore.open({ path: building });
  await store.migrate();
  await store.close();
  const db = new Database(building);
  const shape: HistoryShape = { runs, bigRunItems, end: Math.floor(Date.now() / 60_000) * 60_000 };
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -524288');
    db.exec('CREATE TEMP TABLE bench_numbers (i INTEGER PRIMARY KEY)');
    db.exec(`WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ${Math.max(runs, bigRunItems, 17)})
             INSERT INTO bench_numbers SELECT i FROM c`);
    db.exec('BEGIN');
    await fill(sqliteNumbers, shape, async (sql) => void db.exec(sql), 'SQLite history');
    db.exec('COMMIT');
    db.exec('DROP TABLE bench_numbers');
  } finally {
    db.close();
  }
  renameSync(building, path);
  for (const f of [`${building}-wal`, `${building}-shm`]) rmSync(f, { force: true });
  const seconds = (performance.now() - t) / 1000;
  const c = countSqlite(path);
  return { database: path, bigRunId: c.bigRunId, shape, runs: c.runs, items: c.items, generatedSeconds: seconds };
}

/** The PostgreSQL history of `runs` runs, in a fresh database of the shared server. */
export async function postgresHistory(ctx: BenchContext, runs: number, bigRunItems: number): Promise<HistoryDb> {
  const server = await ctx.postgres();
  const url = await server.createDatabase();
  const t = performance.now();
  const store = PostgresStore.open({ url, listen: false });
  await store.migrate();
  await store.close();
  const shape: HistoryShape = { runs, bigRunItems, end: Math.floor(Date.now() / 60_000) * 60_000 };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let bigRunId: string;
  try {
    await client.query('SET synchronous_commit = off');
    bigRunId = await fill(postgresNumbers, shape, async (sql) => void (await client.query(sql)), 'PostgreSQL history');
    await client.query('VACUUM ANALYZE runs');
    await client.query('VACUUM ANALYZE items');
  } finally {
    await client.end();
  }
  const [counts] = await server.query<{ runs: number; items: number }>(
    url,
    'SELECT (SELECT count(*) FROM runs)::int AS runs, (SELECT count(*) FROM items)::int AS items',
  );
  const seconds = (performance.now() - t) / 1000;
  return { database: url, bigRunId, shape, runs: counts?.runs ?? 0, items: counts?.items ?? 0, generatedSeconds: seconds };
}

export { DAY };
