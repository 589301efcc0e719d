/**
 * AI workers (issue 14), every command with `--json`:
 * - `runyard workers list`, `runyard workers get <id> [--version N]` (the overview: status,
 *   output mode, template, context sources, tool categories, read-only instructions, recent runs)
 * - `runyard workers create <file>` (JSON or YAML definition), `runyard workers edit <id> <file>`
 *   (a new version)
 * - `runyard workers pause <id>`, `runyard workers resume <id>`
 * - `runyard workers run <id> --table T --row R [--prompt P] [--dry-run] [--secret K=V]…`:
 *   prints what happens to an earlier output before the run starts
 * - `runyard workers runs <id> [--limit N]`
 * - `runyard runs compare <a> <b>`: two runs of any kind side by side
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { clientCommand, clientOf, UsageError, type ClientOptions } from '../common.js';
import { details, print, printJson, status, table, text, time } from '../output.js';
import { printRun } from '../render.js';

type Json = Record<string, unknown>;

function readDefinition(file: string): Json {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`<file>: cannot read ${file}: ${(err as Error).message}`);
  }
  const v: unknown = parseYaml(raw);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`<file>: ${file} does not hold an object`);
  return v as Json;
}

function printWorker(w: Json, runs: Json[]): void {
  print(
    details([
      ['id', String(w.id)],
      ['name', String(w.name)],
      ['version', `${String(w.version)} of ${String(w.latest_version)}`],
      ['status', status(String(w.status))],
      ['output mode', String(w.output_mode)],
      ['template', String(w.template_key ?? '')],
      ['tool categories', (w.tool_categories as string[]).join(', ')],
      ['context', (w.context_sources as Json[]).map((s) => `${String(s.name ?? s.type)} (${String(s.type)}, ≤${String(s.max_chars)} chars)`).join('; ')],
      ['updated', time(w.updated_at as string)],
    ]),
  );
  print('\ninstructions (read-only; edit makes a new version):');
  print(String(w.instructions));
  if (runs.length > 0) {
    print('\nrecent runs:');
    printRunCards(runs);
  }
}

function printRunCards(runs: Json[]): void {
  print(
    table(
      ['run', 'status', 'created', 'subject', 'output', 'error'],
      runs.map((r) => {
        const out = (r.output as Json | null)?.output as Json | undefined;
        const err = r.error as Json | null;
        return [
          String(r.id),
          status(String(r.status)),
          time(r.created_at as string),
          String((r.subject as Json | null)?.id ?? ''),
          text(out?.preview ?? r.result_summary ?? '', 40),
          err ? text(`${String(err.code)}: ${String(err.message)}`, 50) : '',
        ];
      }),
    ),
  );
}

function keyValues(list: string[] | undefined, flag: string): Record<string, string> | undefined {
  if (!list || list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`${flag}: expected NAME=VALUE`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface RunOptions extends ClientOptions {
  table: string;
  row: string;
  prompt?: string;
  dryRun?: boolean;
  secret?: string[];
  idempotencyKey?: string;
}

/** Registers `workers list|get|create|edit|pause|resume|run|runs` and `runs compare`. */
export function registerWorkers(program: Command): void {
  const workers = program.command('workers').description('AI workers: versioned definitions acting on a record, and their runs');

  clientCommand(workers.command('list').description('workers at their newest version')).action(async (opts: ClientOptions) => {
    const res = await clientOf(opts).listWorkers();
    if (opts.json) return printJson(res);
    print(
      table(
        ['id', 'name', 'status', 'version', 'output', 'categories'],
        res.data.map((w) => [
          String(w.id),
          text(w.name, 30),
          status(String(w.status)),
          String(w.version),
          String(w.output_mode),
          (w.tool_categories as string[]).join(','),
        ]),
      ),
    );
  });

  clientCommand(
    workers.command('get').description('a worker overview and its recent runs').argument('<id>', 'worker id').option('--version <n>', 'a given version'),
  ).action(async (id: string, opts: ClientOptions & { version?: string }) => {
    const client = clientOf(opts);
    const w = await client.getWorker(id, opts.version === undefined ? undefined : Number(opts.version));
    const runs = (await client.listWorkerRuns(id, { limit: 20 })).data as unknown as Json[];
    if (opts.json) return printJson({ ...w, recent_runs: runs });
    printWorker(w, runs);
  });

  clientCommand(workers.command('create').description('create a worker from a JSON or YAML file').argument('<file>', 'the definition')).action(
    async (file: string, opts: ClientOptions) => {
      const w = await clientOf(opts).createWorker(readDefinition(file));
      if (opts.json) printJson(w);
      else print(`Worker ${String(w.id)} version ${String(w.version)} (${String(w.name)}).`);
    },
  );

  clientCommand(
    workers.command('edit').description('save a new version of a worker').argument('<id>', 'worker id').argument('<file>', 'the whole definition'),
  ).action(async (id: string, file: string, opts: ClientOptions) => {
    const w = await clientOf(opts).editWorker(id, readDefinition(file));
    if (opts.json) printJson(w);
    else print(`Worker ${String(w.id)} is now at version ${String(w.version)}.`);
  });

  for (const action of ['pause', 'resume'] as const) {
    clientCommand(
      workers
        .command(action)
        .description(action === 'pause' ? 'pause: new runs wait queued (worker_paused); runs in flight finish' : 'resume: held runs start')
        .argument('<id>', 'worker id'),
    ).action(async (id: string, opts: ClientOptions) => {
      const w = await clientOf(opts).setWorkerStatus(id, action);
      if (opts.json) printJson(w);
      else print(`Worker ${String(w.id)} is ${String(w.status)}.`);
    });
  }

  clientCommand(
    workers
      .command('run')
      .description('run a worker on a row (says what happens to an earlier output first)')
      .argument('<id>', 'worker id')
      .requiredOption('--table <id>', 'the subject table')
      .requiredOption('--row <id>', 'the subject row')
      .option('--prompt <text>', 'what to do this time')
      .option('--dry-run', 'call the model and offer tools, but execute no write')
      .option('--secret <NAME=VALUE>', 'a per-run secret (the model key), repeatable', collect)
      .option('--idempotency-key <key>', 'a retry with the same key returns the same run'),
  ).action(async (id: string, opts: RunOptions) => {
    const secrets = keyValues(opts.secret, '--secret');
    const res = await clientOf(opts).runWorker(
      id,
      {
        subject: { table_id: opts.table, row_id: opts.row },
        ...(opts.prompt === undefined ? {} : { prompt: opts.prompt }),
        ...(opts.dryRun ? { mode: 'dry_run' as const } : {}),
        ...(secrets ? { overrides: { secrets } } : {}),
      },
      opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {},
    );
    if (opts.json) return printJson(res);
    print(`output: ${String(res.output_notice.message)}`);
    printRun(res.run);
  });

  clientCommand(
    workers.command('runs').description("a worker's runs (run cards), newest first").argument('<id>', 'worker id').option('--limit <n>', 'at most', '20'),
  ).action(async (id: string, opts: ClientOptions & { limit: string }) => {
    const res = await clientOf(opts).listWorkerRuns(id, { limit: Number(opts.limit) });
    if (opts.json) return printJson(res);
    printRunCards(res.data as unknown as Json[]);
  });

  const runs = program.commands.find((c) => c.name() === 'runs') ?? program.command('runs').description('list, inspect and follow runs');
  clientCommand(runs.command('compare').description('compare two runs of any kind side by side').argument('<a>', 'run id').argument('<b>', 'run id')).action(
    async (a: string, b: string, opts: ClientOptions) => {
      const c = await clientOf(opts).compareRuns(a, b);
      if (opts.json) return printJson(c);
      printComparison(c);
    },
  );
}

function printComparison(c: Json): void {
  const A = c.a as Json;
  const B = c.b as Json;
  const p = (k: string) => c[k] as { a: unknown; b: unknown; same: boolean };
  const cell = (v: unknown) => text(typeof v === 'string' ? v : JSON.stringify(v ?? null), 40);
  const rows: string[][] = [
    ['run', String(A.id), String(B.id), ''],
    ['kind / version', `${String(A.kind)} v${String(A.target_version)}`, `${String(B.kind)} v${String(B.target_version)}`, ''],
    ...['status', 'duration_ms', 'tokens', 'credits_used', 'error'].map((k) => [k, cell(p(k).a), cell(p(k).b), p(k).same ? '' : '≠']),
  ];
  const w = c.worker as Json | null;
  if (w) {
    const d = w.definition as Json;
    for (const k of ['version', 'model', 'tool_categories', 'instructions']) {
      const v = d[k] as { a: unknown; b: unknown; same: boolean };
      rows.push([k, cell(v.a), cell(v.b), v.same ? '' : '≠']);
    }
    const s = w.subject as { a: Json; b: Json; same: boolean };
    rows.push([
      'subject',
      `${String(s.a.row_id)}${s.a.exists_now ? '' : ' (gone)'}`,
      `${String(s.b.row_id)}${s.b.exists_now ? '' : ' (gone)'}`,
      s.same ? '' : '≠',
    ]);
    for (const src of w.context as Json[]) {
      const side = (x: Json) => (x.present ? `${String(x.chars)} chars ${String(x.hash)}` : `missing${x.missing ? ` (${String(x.missing)})` : ''}`);
      rows.push([`context ${String(src.name)}`, side(src.a as Json), side(src.b as Json), src.same ? '' : '≠']);
    }
    for (const t of w.tool_calls as Json[]) {
      const side = (x: Json | null) => (x ? `${String(x.name)} ${String(x.decision ?? '')}` : '—');
      rows.push([`tool call ${String(t.index)}`, side(t.a as Json | null), side(t.b as Json | null), t.same_name && t.same_arguments ? '' : '≠']);
    }
    const o = w.output as { a: Json | null; b: Json | null; same: boolean };
    rows.push(['output', cell(o.a?.preview ?? null), cell(o.b?.preview ?? null), o.same ? '' : '≠']);
    const diff = (d.instructions as Json).diff as { op: string; text: string }[];
    if (diff.some((l) => l.op !== ' ')) {
      print(table(['', 'a', 'b', ''], rows));
      print('\ninstructions diff:');
      for (const l of diff) print(`${l.op} ${l.text}`);
      return;
    }
  } else {
    const items = c.items as Json;
    rows.push(['items', cell((items.counts as Json).a), cell((items.counts as Json).b), (items.counts as Json).same ? '' : '≠']);
    rows.push(['error codes', cell((items.error_codes as Json).a), cell((items.error_codes as Json).b), (items.error_codes as Json).same ? '' : '≠']);
    for (const d of (items.differing as Json[]).slice(0, 20)) rows.push([`item ${String(d.key)}`, cell(d.a), cell(d.b), '≠']);
  }
  print(table(['', 'a', 'b', ''], rows));
}
