/**
 * Section 2: graphile-worker (devDependency of the benchmark only) on the same PostgreSQL
 * server as Runyard's figures, in its own database, with its documented performance settings
 * (bench/graphile-worker-process.ts).
 * - Throughput: `rows` no-op jobs enqueued with one `graphile_worker.add_jobs` call before
 *   the workers start; then 1 (and 2) worker processes drain them. jobs/s = jobs ÷ (first job
 *   start → job table observed empty, polled every 25 ms). This matches Runyard's run
 *   started_at → finished_at: both exclude enqueueing and process start-up.
 * - Latency: with one idle worker, `add_job` one at a time; enqueue call start → job start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { root } from '../../test/helpers/cluster.js';
import type { BenchContext } from '../lib/context.js';
import { preciseNow } from '../lib/http.js';
import { percentile } from '../lib/results.js';

interface GwProcess {
  proc: ChildProcess;
  /** Resolves with the first `first_start` time it reports. */
  firstStart: Promise<number>;
  /** Latency job n → its start time. */
  onJob(cb: (n: number, t: number) => void): void;
  kill(): Promise<void>;
}

/** graphile-worker's version, from its package.json. */
export function graphileVersion(): string {
  const req = createRequire(import.meta.url);
  const pkg = req.resolve('graphile-worker/package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

function spawnGw(ctx: BenchContext, url: string): Promise<GwProcess> {
  const proc = spawn(process.execPath, ['dist/bench/graphile-worker-process.js'], {
    cwd: root,
    env: { ...process.env, GW_URL: url },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const kill = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  };
  ctx.defer(proc, () => kill());
  let jobCb: (n: number, t: number) => void = () => {};
  let resolveFirst: (t: number) => void = () => {};
  const firstStart = new Promise<number>((r) => (resolveFirst = r));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('graphile-worker did not start within 30 s')), 30_000);
    void exited.then(() => reject(new Error('graphile-worker exited before it was ready')));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const msg = JSON.parse(line) as { ready?: boolean; first_start?: number; job?: number; started?: number };
      if (msg.ready) {
        clearTimeout(timer);
        resolve({ proc, firstStart, onJob: (cb) => (jobCb = cb), kill });
      }
      if (msg.first_start !== undefined) resolveFirst(msg.first_start);
      if (msg.job !== undefined && msg.started !== undefined) jobCb(msg.job, msg.started);
    });
  });
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Installs graphile-worker's schema in `url` (its own migrations) by starting a worker once. */
async function migrate(ctx: BenchContext, url: string): Promise<void> {
  const w = await spawnGw(ctx, url);
  await w.kill();
}

/** graphile-worker jobs/s with `n` worker processes. */
export async function comparatorThroughput(ctx: BenchContext, n: number): Promise<void> {
  ctx.versions['graphile-worker'] = graphileVersion();
  const { rows } = ctx.config;
  const server = await ctx.postgres();
  const url = await server.createDatabase();
  await migrate(ctx, url);
  await withClient(url, (c) =>
    c.query(
      `SELECT graphile_worker.add_jobs(array(
         SELECT ('noop', json_build_object('n', i), NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec
         FROM generate_series(1, $1::int) i))`,
      [rows],
    ),
  );
  const workers: GwProcess[] = [];
  try {
    for (let i = 0; i < n; i++) workers.push(await spawnGw(ctx, url));
    const end = await withClient(url, async (c) => {
      for (;;) {
        const { rows: r } = await c.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM graphile_worker._private_jobs) AS empty');
        if (r[0]?.empty) return preciseNow();
        await new Promise((res) => setTimeout(res, 25));
      }
    });
    const start = Math.min(...(await Promise.all(workers.map((w) => Promise.race([w.firstStart, Promise.resolve(Infinity)])))));
    const seconds = (end - start) / 1000;
    ctx.record({
      id: `comparator.graphile.p${n}.jobs_per_s`,
      section: 'comparator',
      label: `graphile-worker jobs/s, no-op task, ${n} process${n > 1 ? 'es' : ''} (concurrency 24, local queue 500)`,
      db: 'postgres',
      value: rows / seconds,
      unit: 'jobs/s',
      detail: `${rows.toLocaleString('en-US')} jobs, ${seconds.toFixed(2)} s first start → queue empty`,
    });
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
  }
}

/** graphile-worker add_job → job start, one job at a time. */
export async function comparatorLatency(ctx: BenchContext): Promise<void> {
  ctx.versions['graphile-worker'] = graphileVersion();
  const server = await ctx.postgres();
  const url = await server.createDatabase();
  await migrate(ctx, url);
  const w = await spawnGw(ctx, url);
  const samples: number[] = [];
  try {
    await withClient(url, async (c) => {
      for (let i = 0; i < ctx.config.latencyRuns; i++) {
        const started = new Promise<number>((resolve) => w.onJob((job, t) => job === i && resolve(t)));
        const t0 = preciseNow();
        await c.query(`SELECT graphile_worker.add_job('noop', json_build_object('n', $1::int, 'latency', true))`, [i]);
        samples.push((await started) - t0);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
  } finally {
    await w.kill();
  }
  for (const p of [50, 90, 99]) {
    ctx.record({
      id: `comparator.graphile.latency.p${p}`,
      section: 'comparator',
      label: `graphile-worker add_job → job start, p${p}`,
      db: 'postgres',
      value: percentile(samples, p),
      unit: 'ms',
      detail: `${samples.length} jobs one at a time, 1 idle worker`,
    });
  }
}
