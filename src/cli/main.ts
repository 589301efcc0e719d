/**
 * The `runyard` command line: `up` (the server) and API client commands over `RunyardClient`.
 *
 * Exit codes: 0 ok; 1 failure (API error, unreachable server, a watched run that did not
 * succeed, a server that cannot start); 2 usage error (unknown command or option, missing or
 * invalid argument, unreadable file, invalid JSON).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ApiError } from '../sdk/errors.js';
import { registerAliases } from './aliases.js';
import { registerAccess } from './commands/access.js';
import { registerCells } from './commands/cells.js';
import { registerColumns } from './commands/columns.js';
import { registerOperations } from './commands/operations.js';
import { registerRuns } from './commands/runs.js';
import { registerRunControl } from './commands/runs-control.js';
import { registerItems } from './commands/items.js';
import { registerIngestions } from './commands/ingestions.js';
import { registerFlows, registerWaits } from './commands/flows.js';
import { registerCredits } from './commands/credits.js';
import { registerPrices } from './commands/prices.js';
import { registerRunsAdmin } from './commands/runs-admin.js';
import { registerTables } from './commands/tables.js';
import { registerTriggers } from './commands/triggers.js';
import { registerUp, StartError } from './commands/up.js';
import { registerWorker } from './commands/worker.js';
import { registerWorkers } from './commands/workers.js';
import { ExitCode, UsageError } from './common.js';
import { clean, printJson } from './output.js';

/** Exit code of a usage error. */
export const EXIT_USAGE = 2;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Builds the command tree; `state.json` records whether the running command asked for `--json`. */
export function buildProgram(state: { json: boolean }): Command {
  const program = new Command('runyard');
  program
    .description('Runyard: durable runs of automated work, item by item')
    .version(version(), '-V, --version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .hook('preAction', (_root, action) => {
      state.json = action.opts<{ json?: boolean }>().json === true;
    });
  registerUp(program);
  registerWorker(program);
  registerTables(program);
  registerColumns(program);
  registerRuns(program);
  registerRunControl(program);
  registerItems(program);
  registerFlows(program);
  registerWaits(program);
  registerCredits(program);
  registerPrices(program);
  registerRunsAdmin(program);
  registerOperations(program);
  registerCells(program);
  registerAccess(program);
  registerIngestions(program);
  registerTriggers(program);
  registerWorkers(program);
  registerAliases(program);
  return program;
}

/** Quietly ends the process when stdout's reader goes away (`runyard runs list | head -1`). */
function quietEpipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

/** Maps an error of a command to its message and exit code. */
function fail(err: unknown, json: boolean): number {
  if (err instanceof ExitCode) return err.code;
  // Commander already printed its message to stderr (help output exits 0).
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
  if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof ApiError) {
    if (json) printJson(err.toJSON());
    process.stderr.write(`error: ${clean(err.code)}: ${clean(err.message)}\n`);
    return 1;
  }
  if (err instanceof StartError) {
    if (json) printJson({ error: { code: 'start_failed', message: err.message, details: {} } });
    process.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

/**
 * Runs the CLI with `argv` (as `process.argv`: node, script, args…) and sets `process.exitCode`.
 * Long-running commands (`up`) keep the process alive after this resolves.
 */
export async function main(argv: string[] = process.argv): Promise<void> {
  quietEpipe();
  const state = { json: false };
  try {
    await buildProgram(state).parseAsync(argv);
    process.exitCode ??= 0;
  } catch (err) {
    process.exitCode = fail(err, state.json);
  }
}
