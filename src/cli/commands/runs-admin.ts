/**
 * `runyard runs delete|export|pin|unpin|bulk`, attached to the `runs` group:
 * - `runs delete RUN`; `runs delete <filters> [--yes]` (without --yes: the preview count only)
 * - `runs export RUN|<filters> --format json|ndjson|csv [--output FILE [--force]]`, streamed
 * - `runs pin|unpin RUN`
 * - `runs bulk cancel|retry-failed|delete <filters> [--yes] [--detach]`
 * Bulk actions run as tracked operations on the server; the CLI follows their progress.
 */
import { createWriteStream } from 'node:fs';
import { lstat, rename, unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { InvalidArgumentError, type Command } from 'commander';
import { ValidationError } from '../../core/errors.js';
import { effectiveSelection } from '../../core/operation.js';
import { parseRunStatus, type RunStatus } from '../../core/status.js';
import type { ExportFormat, OperationAction, RunSelection } from '../../sdk/client.js';
import { clientCommand, clientOf, UsageError, type ClientOptions } from '../common.js';
import { filterOptions, selection, type FilterOptions } from '../run-filter-options.js';
import { followOperation, printOperation } from '../operation-watch.js';
import { clean, print, printJson } from '../output.js';

const FORMATS: readonly ExportFormat[] = ['json', 'ndjson', 'csv'];

interface BulkOptions extends FilterOptions {
  yes?: boolean;
  detach?: boolean;
}

interface ExportOptions extends FilterOptions {
  format?: ExportFormat;
  output?: string;
  force?: boolean;
}

const FLAG_OF: Record<string, string> = { filter: 'filters', 'filter.status': '--status' };

/**
 * The selection a bulk action really applies to (delete: finished runs only; cancel:
 * unfinished only), as the server computes it, so the preview count matches.
 * @throws UsageError without any filter, or when no given status can take the action
 */
function effective(action: OperationAction, sel: RunSelection): RunSelection {
  const { status, ...rest } = sel;
  const statuses = typeof status === 'string' ? { status: status.split(',').map((v) => parseRunStatus(v) as RunStatus) } : {};
  try {
    const eff = effectiveSelection(action, { ...rest, ...statuses });
    return { ...sel, ...(eff.status ? { status: eff.status.join(',') } : {}) };
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const field = String(err.details?.['field'] ?? '');
    if (field === 'filter') throw new UsageError('give at least one filter (--status, --kind, --mode, --trigger, --target, --name, --since, --until)');
    throw new UsageError(`${FLAG_OF[field] ?? field}: ${err.message.replace(/^[\w.]+: /, '')}`);
  }
}

const VERB: Record<OperationAction, string> = { cancel: 'cancel them', retry_failed: 'retry their failed items', delete: 'delete them' };

/** Preview (count) without `--yes`; with it, starts the operation and follows it unless `--detach`. */
async function bulk(action: OperationAction, opts: BulkOptions): Promise<void> {
  const sel = effective(action, selection(opts));
  const client = clientOf(opts);
  if (!opts.yes) {
    const { count } = await client.countRuns(sel);
    if (opts.json) printJson({ action, count, started: false });
    else print(`${count} run${count === 1 ? ' matches' : 's match'}. Nothing was changed: add --yes to ${VERB[action]}.`);
    return;
  }
  const op = await client.startOperation(action, sel);
  if (opts.detach) {
    if (opts.json) printJson(op);
    else printOperation(op);
    return;
  }
  await followOperation(client, op, opts.json === true);
}

function parseAction(value: string): OperationAction {
  const v = value.trim().toLowerCase().replace(/-/g, '_');
  if (v === 'cancel' || v === 'retry_failed' || v === 'delete') return v;
  throw new InvalidArgumentError('expected cancel, retry-failed or delete');
}

function parseFormat(value: string): ExportFormat {
  const v = value.trim().toLowerCase() as ExportFormat;
  if (!FORMATS.includes(v)) throw new InvalidArgumentError(`expected ${FORMATS.join(', ')}`);
  return v;
}

const hasFilters = (o: FilterOptions) => Object.keys(selection(o)).length > 0;

/** The format named by `--format`, else by the output file's extension, else json. */
function formatOf(opts: ExportOptions): ExportFormat {
  if (opts.format) return opts.format;
  const ext = /\.(json|ndjson|jsonl|csv)$/i.exec(opts.output ?? '')?.[1]?.toLowerCase();
  return ext === 'jsonl' ? 'ndjson' : ((ext as ExportFormat | undefined) ?? 'json');
}

/** Refuses an existing output (a directory always; a file or link unless `--force`). */
async function checkOutput(path: string, force: boolean): Promise<void> {
  const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new UsageError(`--output: cannot use ${path} (${err.code ?? err.message})`);
  });
  if (!st) return;
  if (st.isDirectory()) throw new UsageError(`--output: ${path} is a directory`);
  if (!force) throw new UsageError(`--output: ${path} already exists; add --force to overwrite it`);
}

/** Streams `body` into `path` through a temporary file renamed at the end: never a half-written file under the final name. */
async function writeFile(body: ReadableStream<Uint8Array>, path: string): Promise<number> {
  const tmp = `${path}.partial-${process.pid}`;
  let bytes = 0;
  const source = Readable.fromWeb(body as NodeReadableStream<Uint8Array>);
  source.on('data', (c: Buffer) => (bytes += c.length));
  try {
    await pipeline(source, createWriteStream(tmp, { flags: 'wx' }));
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EEXIST' || code === 'EISDIR') throw new UsageError(`--output: cannot write ${path} (${code})`);
    throw err;
  }
  return bytes;
}

/** Registers `delete`, `export`, `pin`, `unpin` and `bulk` under the existing `runs` group. */
export function registerRunsAdmin(program: Command): void {
  const runs = program.commands.find((c) => c.name() === 'runs') ?? program.command('runs').description('list, inspect and follow runs');

  clientCommand(
    filterOptions(
      runs
        .command('delete')
        .description('delete a finished run, or every finished run the filters select (a preview count unless --yes)')
        .argument('[run]', 'run id')
        .option('--yes', 'really delete the runs the filters select (tracked as an operation)')
        .option('--detach', 'with --yes: print the operation and return without following it'),
    ),
  ).action(async (id: string | undefined, opts: BulkOptions) => {
    if (id !== undefined && hasFilters(opts)) throw new UsageError('give a run id or filters, not both');
    if (id === undefined) return bulk('delete', opts);
    await clientOf(opts).deleteRun(id);
    if (opts.json) printJson({ id, deleted: true });
    else print(`Deleted run ${clean(id)} with its items and events (cells keep their values).`);
  });

  clientCommand(
    filterOptions(
      runs
        .command('export')
        .description('export a run with its items, or the runs the filters select, streamed to stdout or --output')
        .argument('[run]', 'run id (without it: the runs the filters select)')
        .option('--format <format>', `${FORMATS.join(', ')} (default: from the --output extension, else json)`, parseFormat)
        .option('--output <file>', 'write to FILE instead of stdout')
        .option('--force', 'overwrite --output if it exists'),
    ),
  ).action(async (id: string | undefined, opts: ExportOptions) => {
    if (id !== undefined && hasFilters(opts)) throw new UsageError('give a run id or filters, not both');
    const format = formatOf(opts);
    if (opts.output !== undefined) await checkOutput(opts.output, opts.force === true);
    const client = clientOf(opts);
    const download = id !== undefined ? await client.exportRun(id, format) : await client.exportRuns(selection(opts), format);
    if (opts.output === undefined) {
      await pipeline(Readable.fromWeb(download.body as NodeReadableStream<Uint8Array>), process.stdout, { end: false });
      return;
    }
    const bytes = await writeFile(download.body, opts.output);
    if (opts.json) printJson({ path: opts.output, format, bytes });
    else process.stderr.write(`Wrote ${bytes} bytes of ${format} to ${clean(opts.output)}\n`);
  });

  for (const pinned of [true, false]) {
    clientCommand(
      runs
        .command(pinned ? 'pin' : 'unpin')
        .description(pinned ? 'pin a run: retention keeps it' : 'unpin a run: retention may purge it once it is old enough')
        .argument('<run>', 'run id'),
    ).action(async (id: string, opts: ClientOptions) => {
      const client = clientOf(opts);
      const run = pinned ? await client.pinRun(id) : await client.unpinRun(id);
      if (opts.json) printJson(run);
      else print(pinned ? `Pinned run ${clean(run.id)}: retention keeps it.` : `Unpinned run ${clean(run.id)}.`);
    });
  }

  clientCommand(
    filterOptions(
      runs
        .command('bulk')
        .description('cancel, retry the failed items of, or delete every run the filters select (a preview count unless --yes)')
        .argument('<action>', 'cancel, retry-failed or delete', parseAction)
        .option('--yes', 'really apply the action (tracked as an operation)')
        .option('--detach', 'with --yes: print the operation and return without following it'),
    ),
  ).action(async (action: OperationAction, opts: BulkOptions) => bulk(action, opts));
}
