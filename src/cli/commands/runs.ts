/** `runyard runs list|get|items|watch|create`. */
import type { Command } from 'commander';
import { parseItemStatus } from '../../core/status.js';
import type { ItemFilters, RunFilters } from '../../sdk/client.js';
import { clientCommand, clientOf, listOption, parseLimit, type ClientOptions } from '../common.js';
import { filterOptions, selection, type FilterOptions } from '../run-filter-options.js';
import { printJson } from '../output.js';
import { printItems, printRun, printRuns } from '../render.js';
import { watchRun } from '../watch.js';
import { registerRunsCreate } from './runs-create.js';

interface ListOptions extends FilterOptions {
  limit?: number;
  cursor?: string;
}

interface ItemsOptions extends ClientOptions {
  status?: string;
  limit?: number;
  cursor?: string;
}

/** Copies the options that are set (exactOptionalPropertyTypes: no `undefined` values). */
function defined<T extends object>(o: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Registers the `runs` command group. */
export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('list, inspect and follow runs');
  registerRunsCreate(runs);

  clientCommand(
    filterOptions(runs.command('list').description('list runs, newest first'))
      .option('--limit <n>', 'runs per page, 1 to 1000 (default 50)', parseLimit)
      .option('--cursor <cursor>', 'next_cursor of the previous page'),
  ).action(async (opts: ListOptions) => {
    const filters: RunFilters = { ...selection(opts), ...defined<RunFilters>({ limit: opts.limit, cursor: opts.cursor }) };
    const page = await clientOf(opts).listRuns(filters);
    if (opts.json) printJson(page);
    else printRuns(page);
  });

  clientCommand(runs.command('get').description('show a run').argument('<run>', 'run id')).action(async (id: string, opts: ClientOptions) => {
    const run = await clientOf(opts).getRun(id);
    if (opts.json) printJson(run);
    else printRun(run);
  });

  clientCommand(
    runs
      .command('items')
      .description("list a run's items in order")
      .argument('<run>', 'run id')
      .option(
        '--status <s,…>',
        'item statuses (pending, running, retrying, succeeded, failed, skipped, canceled, …)',
        listOption('item status', (v) => parseItemStatus(v) !== undefined),
      )
      .option('--limit <n>', 'items per page, 1 to 1000 (default 50)', parseLimit)
      .option('--cursor <cursor>', 'next_cursor of the previous page'),
  ).action(async (id: string, opts: ItemsOptions) => {
    const page = await clientOf(opts).listItems(id, defined<ItemFilters>({ status: opts.status, limit: opts.limit, cursor: opts.cursor }));
    if (opts.json) printJson(page);
    else printItems(page);
  });

  clientCommand(
    runs
      .command('watch')
      .description(
        'follow a run until it ends: progress on stderr, then the final run (exit 1 unless it succeeded); --json prints events as NDJSON, the final run last',
      ),
  )
    .argument('<run>', 'run id')
    .action(async (id: string, opts: ClientOptions) => {
      await watchRun(clientOf(opts), id, opts.json === true);
    });
}
