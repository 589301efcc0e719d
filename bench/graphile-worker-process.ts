/**
 * One graphile-worker process for the comparator (bench/sections/comparator.ts), with the
 * performance settings of graphile-worker's documentation ("Performance": concurrentJobs 24,
 * maxPoolSize 25, localQueue size 500, completeJobBatchDelay 0, failJobBatchDelay 0).
 *
 *   GW_URL=postgres://… node dist/bench/graphile-worker-process.js
 *
 * Prints JSON lines on stdout: `{"ready":true}` once running, `{"first_start":t}` at its first
 * job, and `{"job":n,"started":t}` for every job whose payload has `latency: true` (t = epoch
 * ms with sub-ms precision). Stops on SIGTERM.
 */
import { Logger, run } from 'graphile-worker';

const url = process.env.GW_URL;
if (!url) throw new Error('GW_URL: required (the PostgreSQL URL)');

const now = () => performance.timeOrigin + performance.now();
let firstStart = true;

// Only errors: its default logger writes a line per job, which no benchmark would keep.
const logger = new Logger(() => (level, message) => {
  if (level === 'error') console.error(message);
});

const runner = await run({
  logger,
  preset: {
    worker: {
      connectionString: url,
      concurrentJobs: 24,
      maxPoolSize: 25,
      pollInterval: 2000,
      localQueue: { size: 500 },
      completeJobBatchDelay: 0,
      failJobBatchDelay: 0,
    },
  },
  taskList: {
    noop: (payload) => {
      const t = now();
      if (firstStart) {
        firstStart = false;
        process.stdout.write(`${JSON.stringify({ first_start: t })}\n`);
      }
      const p = payload as { n?: number; latency?: boolean };
      if (p.latency) process.stdout.write(`${JSON.stringify({ job: p.n, started: t })}\n`);
    },
  },
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
await runner.promise;
