/** `runyard columns add|list|run`. */
import type { Command } from 'commander';
import { isRecord } from '../../sdk/errors.js';
import type { ColumnDefinition } from '../../sdk/client.js';
import { clientCommand, clientOf, intOption, oneOf, parseJsonArg, readTextFile, UsageError, type ClientOptions } from '../common.js';
import { clean, printJson } from '../output.js';
import { printColumn, printColumns, printRun } from '../render.js';
import { watchRun } from '../watch.js';

interface AddOptions extends ClientOptions {
  file?: string;
  name?: string;
  producer?: string;
  config?: string;
  profile?: string;
}

interface RunOptions extends ClientOptions {
  name?: string;
  profile?: string;
  mode?: 'live' | 'dry_run' | 'smoke_test';
  smoke?: number;
  idempotencyKey?: string;
  watch?: boolean;
}

/** `--config` value: inline JSON, or `@FILE` holding JSON; must be an object. */
async function readConfig(arg: string): Promise<Record<string, unknown>> {
  const source = arg.startsWith('@') ? await readTextFile(arg.slice(1), 'config file') : arg;
  const config = parseJsonArg(source, arg.startsWith('@') ? `config file ${arg.slice(1)}` : '--config');
  if (!isRecord(config)) throw new UsageError('--config must be a JSON object');
  return config;
}

/** The column definition from `--file` and/or the individual options (options win). */
async function definition(opts: AddOptions): Promise<ColumnDefinition> {
  let base: Record<string, unknown> = {};
  if (opts.file !== undefined) {
    const parsed = parseJsonArg(await readTextFile(opts.file, 'column definition'), `column definition ${opts.file}`);
    if (!isRecord(parsed)) throw new UsageError(`column definition ${opts.file} must be a JSON object {name, producer, config, profile?}`);
    base = parsed;
  }
  const name = opts.name ?? base.name;
  const producer = opts.producer ?? base.producer;
  const config = opts.config !== undefined ? await readConfig(opts.config) : base.config;
  const profile = opts.profile ?? base.profile;
  if (typeof name !== 'string' || typeof producer !== 'string' || !isRecord(config)) {
    throw new UsageError('columns add: give --file DEF.json, or --name, --producer and --config (a JSON object)');
  }
  if (profile !== undefined && typeof profile !== 'string') throw new UsageError('columns add: profile must be a string');
  return { name, producer, config, ...(profile === undefined ? {} : { profile }) };
}

/** Registers the `columns` command group. */
export function registerColumns(program: Command): void {
  const columns = program.command('columns').description('add, list and run table columns');

  clientCommand(
    columns
      .command('add')
      .description('add a column: a producer plus input templates over row fields')
      .argument('<table>', 'table id')
      .option('--file <def.json>', 'a JSON file holding {name, producer, config, profile?}')
      .option('--name <name>', 'column name')
      .option('--producer <producer>', 'producer: llm, http, shell, js, …')
      .option('--config <json|@file>', 'producer config as JSON, or @FILE holding it')
      .option('--profile <profile>', 'workload profile (small, standard, large, …)'),
  ).action(async (table: string, opts: AddOptions) => {
    const def = await definition(opts);
    const col = await clientOf(opts).addColumn(table, def);
    if (opts.json) printJson(col);
    else printColumn(col);
  });

  clientCommand(columns.command('list').description("list a table's columns").argument('<table>', 'table id')).action(
    async (table: string, opts: ClientOptions) => {
      const list = await clientOf(opts).listColumns(table);
      if (opts.json) printJson(list);
      else printColumns(list);
    },
  );

  clientCommand(
    columns
      .command('run')
      .description('run a column over every row of its table')
      .argument('<table>', 'table id')
      .argument('<column>', 'column id or name')
      .option('--name <name>', 'run name')
      .option('--profile <profile>', 'workload profile for this run')
      .option(
        '--mode <mode>',
        'live (default); dry_run: validate and render, execute nothing; smoke_test: only the first items live',
        oneOf('mode', ['live', 'dry_run', 'smoke_test']),
      )
      .option('--smoke <n>', 'items a smoke test runs live (default 5; implies --mode smoke_test)', intOption(1, 10_000))
      .option('--idempotency-key <key>', 'repeat-safe key: the same key answers the same run')
      .option('--watch', 'follow the run until it ends (exit 1 unless it succeeded)'),
  ).action(async (table: string, column: string, opts: RunOptions) => {
    const client = clientOf(opts);
    const run = await client.startColumnRun(
      table,
      column,
      {
        ...(opts.name === undefined ? {} : { name: opts.name }),
        ...(opts.profile === undefined ? {} : { profile: opts.profile }),
        ...(opts.smoke === undefined ? (opts.mode === undefined ? {} : { mode: opts.mode }) : { mode: 'smoke_test' as const, smoke_test_items: opts.smoke }),
        trigger: 'manual',
      },
      opts.idempotencyKey === undefined ? {} : { idempotencyKey: opts.idempotencyKey },
    );
    if (opts.watch) {
      if (!opts.json) process.stderr.write(`Started run ${clean(run.id)} (${run.items_total} items)\n`);
      await watchRun(client, run.id, opts.json === true);
    } else if (opts.json) printJson(run);
    else printRun(run);
  });
}
