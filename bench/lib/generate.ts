/**
 * History at scale: `runs` synthetic finished runs (~9 items each, so 1,000,000 runs give
 * ~9,000,000 items) spread evenly over the 90 days before `end`, plus one large run of
 * `bigRunItems` items (~1 % failed, ~0.5 KB of inputs and outputs each) created one day before
 * `end`, written with set-based SQL (INSERT … SELECT) into an already migrated schema, so every
 * index of every migration is built as the rows go in. One SQL text serves both dialects;
 * only the numbers source differs (a temp table on SQLite, `generate_series` on PostgreSQL).
 *
 * Ids are ULID-shaped like the engine's (`run_` + 10 Crockford base-32 characters of the
 * creation time + 16 more), so id order is creation order, as the cursor pagination expects.
 * Names come from 12 templates ("Summarize invoices · batch 42", …) so a name search has hits
 * (`invoice`: 1 run in 12) and misses.
 */
import { SEED_FILLER, SEED_SPEC } from '../../test/helpers/seed.js';

/** Milliseconds in a day. */
export const DAY = 86_400_000;

/** What to generate. */
export interface HistoryShape {
  runs: number;
  bigRunItems: number;
  /** Epoch ms of the newest run. */
  end: number;
}

/** The run's id of the large run, found again by the benchmark through its name. */
export const BIG_RUN_NAME = 'Backfill product catalog · 1M rows';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const NAMES = [
  'Enrich leads',
  'Classify support tickets',
  'Summarize invoices',
  'Nightly CRM sync',
  'Score accounts',
  'Translate product pages',
  'Extract contract terms',
  'Dedupe contacts',
  'Draft outreach emails',
  'Tag product images',
  'Weekly churn report',
  'Geocode addresses',
];

/** SQL: `digits` base-32 characters of the integer expression `x` (most significant first). */
function b32(x: string, digits: number): string {
  const parts: string[] = [];
  for (let d = digits - 1; d >= 0; d--) parts.push(`substr('${ALPHABET}', CAST(((${x}) >> ${5 * d}) & 31 AS INTEGER) + 1, 1)`);
  return parts.join(' || ');
}

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** The dialect's source of the integers 0…n−1 as `alias(i)`, and of 0…expr−1 joined per row. */
export interface NumbersSql {
  /** `FROM <this>` yields rows `alias.i` = 0…n−1. */
  range(n: number | string, alias: string): string;
  /** `<from> <this>` joins rows `alias.i` = 0…(expr)−1 to each row of `<from>`. */
  join(expr: string, alias: string): string;
}

export const sqliteNumbers: NumbersSql = {
  range: (n, alias) => `(SELECT i FROM bench_numbers WHERE i < ${n}) AS ${alias}`,
  join: (expr, alias) => `JOIN bench_numbers AS ${alias} ON ${alias}.i < ${expr}`,
};

export const postgresNumbers: NumbersSql = {
  range: (n, alias) => `generate_series(0::bigint, (${n})::bigint - 1) AS ${alias}(i)`,
  join: (expr, alias) => `CROSS JOIN LATERAL generate_series(0::bigint, (${expr})::bigint - 1) AS ${alias}(i)`,
};

/** Run i is created at start + i × step + a jitter below step / 2. */
function timeline(shape: HistoryShape): { start: number; step: number } {
  return { start: shape.end - 90 * DAY, step: Math.max(2, Math.floor((90 * DAY) / Math.max(1, shape.runs))) };
}

/** The runs of indexes [from, to) with their derived fields, as a subquery `r`. */
function runsSubquery(nums: NumbersSql, shape: HistoryShape, from: number, to: number): string {
  const { start, step } = timeline(shape);
  const base = `SELECT g.i AS i, ${start} + g.i * ${step} + (g.i * 7919) % ${Math.floor(step / 2)} AS ts, 1 + (g.i * 13) % 17 AS cnt, (g.i * 37) % 100 AS sr
    FROM ${nums.range(to, 'g')} WHERE g.i >= ${from}`;
  return `(SELECT b.i, b.ts, b.cnt,
      CASE WHEN b.sr < 80 THEN 'succeeded' WHEN b.sr < 87 AND b.cnt > 1 THEN 'partial' WHEN b.sr < 94 THEN 'failed'
           WHEN b.sr < 98 THEN 'canceled' ELSE 'succeeded' END AS st
    FROM (${base}) AS b) AS r`;
}

/** INSERT … SELECT of the runs of indexes [from, to). */
export function insertRunsSql(nums: NumbersSql, shape: HistoryShape, from: number, to: number): string {
  const name = `CASE (r.i * 31) % 12 ${NAMES.map((n, k) => `WHEN ${k} THEN ${q(n)}`).join(' ')} END || ' · batch ' || (r.i % 5000 + 1)`;
  const kind = `CASE WHEN r.i % 20 < 14 THEN 'column' WHEN r.i % 20 < 17 THEN 'flow' WHEN r.i % 20 < 19 THEN 'worker' ELSE 'ingestion' END`;
  const trigger = `CASE r.i % 10 WHEN 5 THEN 'manual' WHEN 6 THEN 'manual' WHEN 7 THEN 'schedule' WHEN 8 THEN 'webhook' WHEN 9 THEN 'rule' ELSE 'api' END`;
  const mode = `CASE r.i % 50 WHEN 0 THEN 'dry_run' WHEN 1 THEN 'smoke_test' ELSE 'live' END`;
  const succeeded = `CASE r.st WHEN 'succeeded' THEN r.cnt WHEN 'partial' THEN r.cnt - 1 WHEN 'canceled' THEN r.cnt / 2 ELSE 0 END`;
  const failed = `CASE r.st WHEN 'partial' THEN 1 WHEN 'failed' THEN r.cnt ELSE 0 END`;
  const canceled = `CASE r.st WHEN 'canceled' THEN r.cnt - r.cnt / 2 ELSE 0 END`;
  return `INSERT INTO runs (id, workspace_id, kind, target_id, target_version, name, status, mode, trigger_type, trigger_actor, profile,
      items_total, items_succeeded, items_failed, items_canceled, credits_used, result_summary, tags, spec,
      created_at, started_at, finished_at, updated_at)
    SELECT 'run_' || ${b32('r.ts', 10)} || '000000' || ${b32('r.i', 10)}, 'wsp_default', ${kind}, 'col_' || (r.i % 40), 1, ${name}, r.st, ${mode},
      ${trigger}, 'bench', 'standard', r.cnt, ${succeeded}, ${failed}, ${canceled}, (${succeeded}) * 1500,
      r.cnt || ' items', '["bench"]', ${q(SEED_SPEC)}, r.ts, r.ts + 40, r.ts + 40 + r.cnt * 30, r.ts + 40 + r.cnt * 30
    FROM ${runsSubquery(nums, shape, from, to)}`;
}

/**
 * INSERT … SELECT of the items of the runs of indexes [from, to), read back from `runs` (by
 * their creation-time range, so the run ids are not computed twice). Item ids reuse the run
 * id's time and index characters, so they sort like the engine's.
 */
export function insertItemsSql(nums: NumbersSql, shape: HistoryShape, from: number, to: number): string {
  const { start, step } = timeline(shape);
  const status = `CASE WHEN r.status = 'succeeded' THEN 'succeeded' WHEN r.status = 'failed' THEN 'failed' WHEN r.status = 'partial' AND k.i = 0 THEN 'failed'
    WHEN r.status = 'partial' THEN 'succeeded' WHEN k.i < r.items_total / 2 THEN 'succeeded' ELSE 'canceled' END`;
  return `INSERT INTO items (id, workspace_id, run_id, ordinal, key, status, attempt_count, max_attempts, inputs, outputs, error, provider,
      credits_used, started_at, finished_at, duration_ms)
    SELECT 'itm_' || substr(x.run_id, 5, 10) || substr(x.run_id, 21, 10) || '0000' || ${b32('x.k', 2)}, 'wsp_default',
      x.run_id, x.k, 'row_' || x.k, x.st, 1, 3,
      '{"n":' || x.k || '}',
      CASE WHEN x.st = 'succeeded' THEN '{"value":"ok ' || x.k || '"}' END,
      CASE WHEN x.st = 'failed' THEN '{"code":"bench_failure","message":"synthetic failure","retryable":false}' END,
      'js', CASE WHEN x.st = 'succeeded' THEN 1500 ELSE 0 END, x.ts + 40 + x.k * 30, x.ts + 65 + x.k * 30, 25
    FROM (SELECT r.id AS run_id, r.created_at AS ts, k.i AS k, ${status} AS st
          FROM runs AS r ${nums.join('r.items_total', 'k')}
          WHERE r.workspace_id = 'wsp_default' AND r.created_at >= ${start + from * step} AND r.created_at < ${start + to * step}
            AND r.target_id <> 'col_big') AS x`;
}

/** The large run (one row) and its id. */
export function bigRunSql(shape: HistoryShape): { id: string; sql: string } {
  const ts = shape.end - DAY;
  let t = ts;
  let time = '';
  for (let d = 0; d < 10; d++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const id = `run_${time}zzzzzzzzzzzzzzzz`;
  const n = shape.bigRunItems;
  const failed = Math.floor((n + 96) / 97);
  const sql = `INSERT INTO runs (id, workspace_id, kind, target_id, target_version, name, status, mode, trigger_type, trigger_actor, profile,
      items_total, items_succeeded, items_failed, credits_used, result_summary, tags, spec, created_at, started_at, finished_at, updated_at)
    VALUES (${q(id)}, 'wsp_default', 'column', 'col_big', 1, ${q(BIG_RUN_NAME)}, 'partial', 'live', 'api', 'bench', 'large',
      ${n}, ${n - failed}, ${failed}, ${(n - failed) * 1500}, ${q(`${n - failed} succeeded, ${failed} failed`)}, '["bench"]', ${q(SEED_SPEC)},
      ${ts}, ${ts + 40}, ${ts + 40 + n}, ${ts + 40 + n})`;
  return { id, sql };
}

/** INSERT … SELECT of the large run's items of ordinals [from, to): every 97th fails. */
export function insertBigItemsSql(nums: NumbersSql, runId: string, shape: HistoryShape, from: number, to: number): string {
  const ts = shape.end - DAY;
  return `INSERT INTO items (id, workspace_id, run_id, ordinal, key, status, attempt_count, max_attempts, inputs, outputs, error, provider,
      credits_used, started_at, finished_at, duration_ms)
    SELECT ${q(`itm_${runId.slice(4, 14)}zz`)} || ${b32('k.i', 14)}, 'wsp_default', ${q(runId)}, k.i, 'row_' || k.i,
      CASE WHEN k.i % 97 = 0 THEN 'failed' ELSE 'succeeded' END, 1, 3,
      '{"n":' || k.i || ',"text":"${SEED_FILLER}"}',
      CASE WHEN k.i % 97 = 0 THEN NULL ELSE '{"value":"${SEED_FILLER}' || k.i || '"}' END,
      CASE WHEN k.i % 97 = 0 THEN '{"code":"bench_failure","message":"synthetic failure ' || k.i || '","retryable":false}' END,
      'js', CASE WHEN k.i % 97 = 0 THEN 0 ELSE 1500 END, ${ts + 40} + k.i, ${ts + 45} + k.i, 5
    FROM ${nums.range(to, 'k')} WHERE k.i >= ${from}`;
}
