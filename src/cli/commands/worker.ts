/**
 * `runyard worker`: an executor node without the HTTP API. Run several against one PostgreSQL
 * (`--database postgres://…`) next to one or more `runyard up` nodes to scale out. It prices
 * items by the database's price versions and opens run secrets with the same key as `up`
 * (`RUNYARD_SECRET_KEY`, else `<data dir>/secret.key`), refusing to start when that key is not
 * the database's. It stops gracefully on SIGTERM/SIGINT (see ../signals.ts).
 */
import type { Command } from 'commander';
import { RunyardError } from '../../core/errors.js';
import type { WorkerSettings } from '../../server/worker-node.js';
import { intOption } from '../common.js';
import { engineOptions, executorFlags, type ExecutorFlags } from '../executor-flags.js';
import { print, printJson } from '../output.js';
import { stopOnSignals } from '../signals.js';
import { StartError } from './up.js';

interface WorkerOptions extends ExecutorFlags {
  database?: string;
  dataDir?: string;
  jsDir?: string;
  graceMs: number;
  json?: boolean;
}

/** Default grace period of a graceful stop, ms. */
export const DEFAULT_GRACE_MS = 10_000;

const ms = intOption(1, 3_600_000);

/** Registers `runyard worker`. */
export function registerWorker(program: Command): void {
  executorFlags(program.command('worker').description('start an executor node (no API): claims and executes items from the database'))
    .option('--database <url>', 'postgres:// URL, or a SQLite file path (env RUNYARD_DATABASE_URL, default <data-dir>/runyard.db)')
    .option('--data-dir <dir>', 'data directory, holding secret.key unless RUNYARD_SECRET_KEY is set (env RUNYARD_DATA_DIR, default ./.runyard)')
    .option('--grace-ms <n>', 'on SIGTERM, how long in-flight items may run before they are released', ms, DEFAULT_GRACE_MS)
    .option('--js-dir <dir>', 'directory js producer modules must live under (env RUNYARD_JS_DIR, default the working directory)')
    .option('--json', 'print {"node_id", "database"} as one JSON line once running')
    .action(async (opts: WorkerOptions) => {
      const settings: WorkerSettings = { engine: { ...engineOptions(opts), shutdownGraceMs: opts.graceMs } };
      if (opts.database !== undefined) settings.databaseUrl = opts.database;
      if (opts.dataDir !== undefined) settings.dataDir = opts.dataDir;
      if (opts.jsDir !== undefined) settings.baseDir = opts.jsDir;
      let worker;
      try {
        // Loaded here so client commands do not pay for the engine's imports at startup.
        const { startWorker } = await import('../../server/worker-node.js');
        worker = await startWorker(settings);
      } catch (err) {
        const message = err instanceof RunyardError || err instanceof Error ? err.message : String(err);
        throw new StartError(`cannot start: ${message}`, { cause: err });
      }
      const running = worker;
      // Handlers first: whoever reads the line below may signal at once.
      stopOnSignals({ stop: () => running.close(opts.graceMs), hurry: () => running.close(0) }, opts.graceMs);
      if (opts.json) printJson({ node_id: worker.nodeId, database: worker.database });
      else print(`Runyard worker ${worker.nodeId} is running (database: ${worker.database}); SIGTERM stops it gracefully`);
    });
}
