/** `runyard operations list|get [--watch]`: bulk operations and their progress. */
import type { Command } from 'commander';
import { clientCommand, clientOf, parseLimit, type ClientOptions } from '../common.js';
import { printJson } from '../output.js';
import { followOperation, printOperation, printOperations } from '../operation-watch.js';

/** Registers the `operations` command group. */
export function registerOperations(program: Command): void {
  const ops = program.command('operations').description('bulk operations (cancel, retry-failed, delete by filter) and their progress');

  clientCommand(
    ops
      .command('list')
      .description('list operations, newest first')
      .option('--limit <n>', 'operations per page, 1 to 1000 (default 50)', parseLimit)
      .option('--cursor <cursor>', 'next_cursor of the previous page'),
  ).action(async (opts: ClientOptions & { limit?: number; cursor?: string }) => {
    const page = await clientOf(opts).listOperations({
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
    });
    if (opts.json) printJson(page);
    else printOperations(page);
  });

  clientCommand(
    ops
      .command('get')
      .description('show an operation; --watch follows it to the end (exit 1 unless every run took the action)')
      .argument('<operation>', 'operation id')
      .option('--watch', 'poll until it finishes, with progress on stderr'),
  ).action(async (id: string, opts: ClientOptions & { watch?: boolean }) => {
    const client = clientOf(opts);
    const op = await client.getOperation(id);
    if (opts.watch) {
      await followOperation(client, op, opts.json === true);
      return;
    }
    if (opts.json) printJson(op);
    else printOperation(op);
  });
}
