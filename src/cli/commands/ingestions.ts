/**
 * `runyard ingestions create|version|list|get|run|runs|retry-failed` (issue 16): ingestion
 * sources and their runs over `/v1/ingestions`. A definition is read from a JSON file (`-` for
 * standard input). The auth secret a source names is never put in argv: `run --secret-env NAME`
 * reads it from this process's environment variable NAME. `run --dry-run` fetches the first page
 * and prints the records it would write (nothing written); `run --smoke-test N` stops after N
 * pages. Every command takes `--json`.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isTerminalRun, type RunStatus } from '../../core/status.js';
import type { IngestionRun, IngestionSource, RunIngestionRequest } from '../../sdk/ingestion-types.js';
import { clientCommand, clientOf, intOption, UsageError, type ClientOptions } from '../common.js';
import { clean, details, nextPage, print, printJson, status, table, text, time } from '../output.js';

interface RunOptions extends ClientOptions {
  sourceVersion?: number;
  name?: string;
  profile?: string;
  secretEnv: string[];
  smokeTest?: number;
  dryRun?: boolean;
  wait?: boolean;
}

/** The definition in `path` (`-`: standard input), parsed. @throws UsageError */
function readDefinition(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new UsageError(`${path}: ${(err as Error).message}`);
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`${path}: not a JSON object (${(err as Error).message})`);
  }
}

interface TableOptions extends ClientOptions {
  table?: string;
}

/** `def` with `table_id` set to `table` when given (`--table` wins over the file). */
function withTable(def: Record<string, unknown>, table: string | undefined): Record<string, unknown> {
  return table === undefined ? def : { ...def, table_id: table };
}

function printSource(s: IngestionSource): void {
  print(
    details([
      ['id', s.id],
      ['version', String(s.version)],
      ['name', clean(s.name)],
      ['table', s.table_id],
      ['created', time(s.created_at)],
    ]),
  );
}

/** The run, its totals, why it stopped short (if it did) and its provider summary. */
function printIngestionRun(r: IngestionRun): void {
  const s = r.summary;
  print(
    details([
      ['run', r.run.id],
      ['status', status(r.run.status)],
      ['mode', r.run.mode],
      ['source', `${r.run.target_id} v${r.run.target_version}`],
      ['pages', `${s.pages} fetched, ${s.pages_failed} failed`],
      ['records', `${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged, ${s.no_key} without key`],
      ...(s.stopped === null ? [] : ([['stopped', r.run.result_summary === null ? s.stopped : clean(r.run.result_summary)]] as [string, string][])),
    ]),
  );
  if (s.providers.length > 0) {
    print(
      table(
        ['provider', 'calls', 'failures', 'p50', 'p95', 'credits'],
        s.providers.map((p) => [clean(p.provider), String(p.calls), String(p.failures), ms(p.p50_ms), ms(p.p95_ms), credits(p.credits_used_micro)]),
      ),
    );
  }
}

const ms = (v: number | null): string => (v === null ? '-' : `${v} ms`);
const credits = (micro: number): string => String(micro / 1_000_000);

/** A dry run's preview: the first page and what writing each record would do. */
function printPreview(r: IngestionRun): void {
  const p = r.preview;
  if (!p) return;
  const c = p.counts;
  print(
    details([
      ['dry run', `${r.run.id} (${r.run.target_id} v${r.run.target_version}): nothing written`],
      ['page', `${p.page} ${p.url === null ? '' : clean(p.url)} → ${p.http_status ?? status(p.status)}, ${p.record_count} records`],
      ['would', `create ${c.created}, update ${c.updated}, leave ${c.unchanged} unchanged; ${c.no_key} without key`],
      ['next', p.next === null ? '- (the source ends here)' : text(p.next)],
      ...(p.error === null ? [] : ([['error', `${clean(p.error.code)}: ${text(p.error.message, 200)}`]] as [string, string][])),
    ]),
  );
  if (p.records.length > 0)
    print(
      table(
        ['key', 'action', 'record'],
        p.records.map((x) => [text(x.key), x.action, text(x.data, 100)]),
      ),
    );
}

/** Registers `ingestions`. */
export function registerIngestions(program: Command): void {
  const ing = program.command('ingestions').description('ingestion sources (an HTTP API paged into a table) and their runs');

  clientCommand(
    ing
      .command('create')
      .description('create a source from a JSON definition')
      .argument('<file>', 'definition file (- for stdin)')
      .option('--table <id>', "the table to write into (sets the definition's table_id)"),
  ).action(async (file: string, opts: TableOptions) => {
    const src = await clientOf(opts).createIngestion(withTable(readDefinition(file), opts.table));
    if (opts.json) printJson(src);
    else printSource(src);
  });

  clientCommand(
    ing
      .command('version')
      .description('save a new version of a source (the whole definition)')
      .argument('<source>', 'source id')
      .argument('<file>', 'definition file')
      .option('--table <id>', "the table to write into (sets the definition's table_id)"),
  ).action(async (id: string, file: string, opts: TableOptions) => {
    const src = await clientOf(opts).addIngestionVersion(id, withTable(readDefinition(file), opts.table));
    if (opts.json) printJson(src);
    else printSource(src);
  });

  clientCommand(ing.command('list').description('list sources at their latest version')).action(async (opts: ClientOptions) => {
    const list = await clientOf(opts).listIngestions();
    if (opts.json) printJson(list);
    else
      print(
        table(
          ['id', 'version', 'name', 'table'],
          list.data.map((s) => [s.id, String(s.version), clean(s.name), s.table_id]),
        ),
      );
  });

  clientCommand(
    ing
      .command('get')
      .description('show a source (a version, default the latest) with its definition')
      .argument('<source>', 'source id')
      .option('--source-version <n>', 'source version', intOption(1, 1_000_000)),
  ).action(async (id: string, opts: ClientOptions & { sourceVersion?: number }) => {
    const src = await clientOf(opts).getIngestion(id, opts.sourceVersion);
    if (opts.json) return printJson(src);
    printSource(src);
    print(JSON.stringify(src.definition, null, 2));
  });

  clientCommand(
    ing
      .command('run')
      .description('run a source (pinned to a version); prints the run and its totals')
      .argument('<source>', 'source id')
      .option('--source-version <n>', 'source version (default: the latest)', intOption(1, 1_000_000))
      .option('--name <name>', 'run name')
      .option('--profile <profile>', 'workload profile (concurrency, retries)')
      .option('--secret-env <NAME>', 'pass the secret NAME from your environment (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
      .option('--smoke-test <pages>', 'stop after N pages (a chain or lanes alike); the run says when the source had more', intOption(1, 10_000))
      .option('--dry-run', 'fetch the first page only and print the records it would write (created / updated / unchanged); write nothing')
      .option('--wait', 'wait until the run finishes'),
  ).action(async (id: string, opts: RunOptions) => {
    if (opts.dryRun && opts.smokeTest !== undefined) throw new UsageError('--dry-run and --smoke-test: give one of them');
    const secrets: Record<string, string> = {};
    for (const name of opts.secretEnv) {
      if (name.includes('='))
        throw new UsageError('--secret-env takes a variable NAME and reads its value from your environment; do not put the value on the command line');
      const value = process.env[name];
      if (value === undefined) throw new UsageError(`--secret-env ${clean(name)}: the environment variable ${clean(name)} is not set`);
      secrets[name] = value;
    }
    const req: RunIngestionRequest = {
      ...(opts.sourceVersion === undefined ? {} : { version: opts.sourceVersion }),
      ...(opts.name === undefined ? {} : { name: opts.name }),
      ...(opts.profile === undefined ? {} : { profile: opts.profile }),
      ...(opts.smokeTest === undefined ? {} : { mode: 'smoke_test' as const, smoke_test_items: opts.smokeTest }),
      ...(opts.dryRun ? { mode: 'dry_run' as const } : {}),
      ...(Object.keys(secrets).length > 0 ? { overrides: { secrets } } : {}),
    };
    const client = clientOf(opts);
    let res = await client.runIngestion(id, req);
    // A dry run is one page: always waited for, its preview is the point.
    while ((opts.wait || opts.dryRun) && !isTerminalRun(res.run.status as RunStatus)) {
      await new Promise((r) => setTimeout(r, opts.dryRun ? 200 : 500));
      res = await client.getIngestionRun(id, res.run.id);
    }
    if (opts.json) printJson(res);
    else if (opts.dryRun) printPreview(res);
    else printIngestionRun(res);
  });

  clientCommand(
    ing
      .command('runs')
      .description("list a source's runs with their totals, newest first")
      .argument('<source>', 'source id')
      .option('--limit <n>', 'page size', intOption(1, 1000))
      .option('--cursor <cursor>', 'next page'),
  ).action(async (id: string, opts: ClientOptions & { limit?: number; cursor?: string }) => {
    const page = await clientOf(opts).ingestionRuns(id, {
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
    });
    if (opts.json) return printJson(page);
    print(
      table(
        ['run', 'status', 'version', 'pages', 'failed', 'created', 'updated', 'unchanged', 'started'],
        page.data.map(({ run, summary: s }) => [
          run.id,
          status(run.status),
          String(run.target_version),
          String(s.pages),
          String(s.pages_failed),
          String(s.created),
          String(s.updated),
          String(s.unchanged),
          time(run.created_at),
        ]),
      ),
    );
    nextPage(page.next_cursor);
  });

  clientCommand(
    ing
      .command('retry-failed')
      .description("re-fetch exactly the failed pages of a run (the source may be left out: it is the run's target)")
      .argument('<source-or-run>', 'source id, or the run id alone')
      .argument('[run]', 'run id'),
  ).action(async (first: string, second: string | undefined, opts: ClientOptions) => {
    const client = clientOf(opts);
    const runId = second ?? first;
    // One id: the run's own target is its source (`table-ingestions retry-failed <run>`).
    const id = second === undefined ? (await client.getRun(runId)).target_id : first;
    const res = await client.retryFailedIngestion(id, runId);
    if (opts.json) printJson(res);
    else print(`Retrying ${res.retried} failed page(s) of ${res.run.id}.`);
  });
}
