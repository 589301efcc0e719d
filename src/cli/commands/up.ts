/**
 * `runyard up`: starts the server (API + executor node) in this process and stops it
 * gracefully on SIGINT/SIGTERM; a second signal releases in-flight items at once (../signals.ts).
 */
import type { Command } from 'commander';
import { RunyardError } from '../../core/errors.js';
import type { RunyardSettings } from '../../server/start.js';
import { intOption, UsageError } from '../common.js';
import { engineOptions, executorFlags, type ExecutorFlags } from '../executor-flags.js';
import { print, printJson } from '../output.js';
import { stopOnSignals } from '../signals.js';

interface UpOptions extends ExecutorFlags {
  port?: number;
  host?: string;
  database?: string;
  dataDir?: string;
  executor: boolean;
  retentionDays?: number;
  createAdminToken?: boolean;
  jsDir?: string;
  json?: boolean;
}

/** A start failure, already explained; exit 1. */
export class StartError extends Error {
  override name = 'StartError';
}

/** The message for a failure to start, naming what went wrong. */
function explain(err: unknown, s: RunyardSettings): string {
  const e = err as { code?: unknown; message?: unknown; syscall?: unknown };
  const where = `${s.host ?? process.env.RUNYARD_HOST ?? '127.0.0.1'}:${s.port ?? process.env.RUNYARD_PORT ?? 8686}`;
  if (e.code === 'EADDRINUSE') return `cannot listen on ${where}: the port is already in use (choose another with --port)`;
  if (e.code === 'EACCES' && e.syscall === 'listen') return `cannot listen on ${where}: permission denied (choose a port above 1023 with --port)`;
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') return `cannot listen on ${where}: the host address is not available on this machine (--host)`;
  if (err instanceof RunyardError) return `cannot start: ${err.message}`;
  return `cannot start: ${typeof e.message === 'string' ? e.message : String(err)}`;
}

/** Registers `runyard up`. */
export function registerUp(program: Command): void {
  executorFlags(program.command('up').description('start the Runyard server: API, console and an executor node'))
    .option('--port <n>', 'port to listen on, 0 for any free port (env RUNYARD_PORT, default 8686)', intOption(0, 65535))
    .option('--host <host>', 'address to listen on (env RUNYARD_HOST, default 127.0.0.1)')
    .option('--database <url>', 'SQLite file path, sqlite: URL or postgres:// URL (env RUNYARD_DATABASE_URL, default <data-dir>/runyard.db)')
    .option('--data-dir <dir>', 'data directory (env RUNYARD_DATA_DIR, default ./.runyard)')
    .option('--no-executor', 'serve the API only; do not execute items in this process')
    .option(
      '--retention-days <n>',
      'purge finished, unpinned runs older than N days, at start and hourly; 0 keeps all (env RUNYARD_RETENTION_DAYS)',
      intOption(0, 36_500),
    )
    .option('--js-dir <dir>', 'directory js producer modules must live under (env RUNYARD_JS_DIR, default the working directory)')
    .option('--create-admin-token', 'create the first admin token (into <data-dir>/admin.token) even when listening on a non-loopback address')
    .option('--json', 'print {"url", "database", "login_url"} as one JSON line once up')
    .action(async (opts: UpOptions) => {
      const settings: RunyardSettings = { executor: opts.executor, engine: engineOptions(opts) };
      if (opts.port !== undefined) settings.port = opts.port;
      if (opts.host !== undefined) settings.host = opts.host;
      if (opts.database !== undefined) settings.databaseUrl = opts.database;
      if (opts.dataDir !== undefined) settings.dataDir = opts.dataDir;
      if (opts.retentionDays !== undefined) settings.retentionDays = opts.retentionDays;
      if (opts.createAdminToken) settings.createAdminToken = true;
      if (opts.jsDir !== undefined) settings.baseDir = opts.jsDir;
      if (opts.host === '') throw new UsageError('--host must not be empty');

      let running;
      try {
        // Loaded here so client commands do not pay for the server's imports at startup.
        const { startRunyard } = await import('../../server/start.js');
        running = await startRunyard(settings);
      } catch (err) {
        throw new StartError(explain(err, settings), { cause: err });
      }
      // Handlers first: whoever reads the line below may signal at once.
      stopOnSignals({ stop: () => running.close(), hurry: () => running.engine.stopExecutor(0) }, running.engine.options.shutdownGraceMs);
      if (opts.json) printJson({ url: running.url, database: running.database, login_url: running.loginUrl ?? null });
      else {
        print(`Runyard is up at ${running.url} (database: ${running.database})`);
        if (running.adminTokenCreated) print('An admin API token was created in the data directory (admin.token, mode 0600); the CLI on this machine uses it.');
        print(`Outbound http: ${running.egress}`);
        if (running.loginUrl) print(`Console login (one-time link, valid 15 minutes): ${running.loginUrl}`);
      }
    });
}
