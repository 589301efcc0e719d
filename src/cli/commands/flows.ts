/**
 * Flows and waits (issue 13), every command with `--json`:
 * - `runyard flows create <file>` (YAML or JSON; `--flow <id>` adds a version to that flow)
 * - `runyard flows validate <file>`: every error with its JSON path, exit 1 when invalid
 * - `runyard flows list`, `runyard flows get <id> [--version N]`
 * - `runyard flows run <id> [--inputs '<json>'] [--version N] [--idempotency-key K]`
 * - `runyard waits list [--status open] [--run <id>]`, `runyard waits get <id>`
 * - `runyard waits respond <id> [--values '<json>'] [--decision D] [--comment C] [--idempotency-key K]`
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiError } from '../../sdk/errors.js';
import { clientCommand, clientOf, ExitCode, parseJsonArg, UsageError, type ClientOptions } from '../common.js';
import { details, print, printJson, status, table, text, time } from '../output.js';
import { printRun } from '../render.js';

type Json = Record<string, unknown>;

function readDefinition(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`<file>: cannot read ${file}: ${(err as Error).message}`);
  }
}

function objectArg(value: string | undefined, flag: string): Json | undefined {
  if (value === undefined) return undefined;
  const v = parseJsonArg(value, flag);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${flag}: expected a JSON object`);
  return v as Json;
}

function intArg(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: expected a positive integer`);
  return n;
}

/** Prints the errors of a 422 definition one per line (path: message). */
function printDefinitionErrors(err: ApiError): boolean {
  const errors = (err.details as { errors?: { path: string; message: string }[] } | undefined)?.errors;
  if (!Array.isArray(errors)) return false;
  for (const e of errors) print(`${e.path}: ${e.message}`);
  return true;
}

function printFlow(f: Json): void {
  const def = f.definition as { steps?: { id: string; type: string; phase?: string }[]; phases?: string[] };
  print(
    details([
      ['id', String(f.id)],
      ['version', String(f.version)],
      ['name', String(f.name)],
      ['description', text(f.description ?? '')],
      ['phases', (def.phases ?? []).join(', ')],
      ['created', time(f.created_at as string)],
    ]),
  );
  print(
    table(
      ['step', 'type', 'phase'],
      (def.steps ?? []).map((s) => [s.id, s.type, s.phase ?? '']),
    ),
  );
}

function printWait(w: Json): void {
  print(
    details([
      ['id', String(w.id)],
      ['status', status(String(w.status))],
      ['run', `${String(w.run_id)} (${String(w.run_name)})`],
      ['step', String(w.step_id)],
      ['phase', String(w.phase ?? '')],
      ['title', String(w.title ?? '')],
      ['expires', time(w.expires_at as string)],
      ['on timeout', String(w.on_timeout)],
      ['decisions', ((w.decisions as { id: string }[]) ?? []).map((d) => d.id).join(', ')],
      ['answered by', String(w.responded_by ?? '')],
    ]),
  );
  print('');
  print(String(w.prompt));
  if (w.form) print(`\nform: ${JSON.stringify(w.form)}`);
  if (w.response) print(`\nresponse: ${JSON.stringify(w.response)}`);
}

interface CreateOptions extends ClientOptions {
  flow?: string;
}
interface GetOptions extends ClientOptions {
  version?: string;
}
interface RunOptions extends ClientOptions {
  inputs?: string;
  version?: string;
  name?: string;
  idempotencyKey?: string;
}

/** Registers `flows create|validate|list|get|run`. */
export function registerFlows(program: Command): void {
  const flows = program.command('flows').description('flow definitions (versioned) and their runs');
  clientCommand(
    flows
      .command('create')
      .description('create a flow from a YAML or JSON file (with --flow: add a version to that flow)')
      .argument('<file>', 'the definition, YAML or JSON')
      .option('--flow <id>', 'add a version to this flow instead of creating one'),
  ).action(async (file: string, opts: CreateOptions) => {
    const source = readDefinition(file);
    const client = clientOf(opts);
    try {
      const f = opts.flow ? await client.addFlowVersion(opts.flow, source) : await client.createFlow(source);
      if (opts.json) printJson(f);
      else print(`Flow ${String(f.id)} version ${String(f.version)} (${String(f.name)}).`);
    } catch (err) {
      if (!opts.json && err instanceof ApiError && printDefinitionErrors(err)) throw new ExitCode(1);
      throw err;
    }
  });

  clientCommand(flows.command('validate').description('check a definition: every error with its JSON path').argument('<file>', 'YAML or JSON')).action(
    async (file: string, opts: ClientOptions) => {
      try {
        const res = await clientOf(opts).validateFlow(readDefinition(file));
        if (opts.json) printJson(res);
        else print(`valid: ${file}`);
      } catch (err) {
        if (err instanceof ApiError && err.status === 422) {
          if (opts.json) printJson({ valid: false, errors: (err.details as Json | undefined)?.errors ?? [] });
          else if (!printDefinitionErrors(err)) print(err.message);
          throw new ExitCode(1);
        }
        throw err;
      }
    },
  );

  clientCommand(flows.command('list').description('flows, newest version of each')).action(async (opts: ClientOptions) => {
    const res = await clientOf(opts).listFlows();
    if (opts.json) return printJson(res);
    print(
      table(
        ['id', 'version', 'name', 'steps', 'created'],
        res.data.map((f) => [
          String(f.id),
          String(f.version),
          text(f.name, 40),
          String(((f.definition as Json).steps as unknown[]).length),
          time(f.created_at as string),
        ]),
      ),
    );
  });

  clientCommand(flows.command('get').description('a flow and its steps').argument('<id>', 'flow id').option('--version <n>', 'a given version')).action(
    async (id: string, opts: GetOptions) => {
      const f = await clientOf(opts).getFlow(id, intArg(opts.version, '--version'));
      if (opts.json) printJson(f);
      else printFlow(f);
    },
  );

  clientCommand(
    flows
      .command('run')
      .description('run a flow (its newest version unless --version)')
      .argument('<id>', 'flow id')
      .option('--inputs <json>', 'the run inputs, a JSON object')
      .option('--version <n>', 'run this version')
      .option('--name <name>', 'display name of the run')
      .option('--idempotency-key <key>', 'a retry with the same key returns the same run'),
  ).action(async (id: string, opts: RunOptions) => {
    const inputs = objectArg(opts.inputs, '--inputs');
    const version = intArg(opts.version, '--version');
    const run = await clientOf(opts).runFlow(
      id,
      { ...(inputs ? { inputs } : {}), ...(version ? { version } : {}), ...(opts.name ? { name: opts.name } : {}) },
      opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {},
    );
    if (opts.json) printJson(run);
    else printRun(run);
  });
}

interface ListWaitsOptions extends ClientOptions {
  status?: string;
  run?: string;
}
interface RespondOptions extends ClientOptions {
  values?: string;
  decision?: string;
  comment?: string;
  idempotencyKey?: string;
}

/** Registers `waits list|get|respond`. */
export function registerWaits(program: Command): void {
  const waits = program.command('waits').description('questions flows ask people (the inbox)');
  clientCommand(
    waits
      .command('list')
      .description('waits, oldest first')
      .option('--status <status>', 'open | answered | expired | canceled', 'open')
      .option('--run <id>', 'only this run'),
  ).action(async (opts: ListWaitsOptions) => {
    const res = await clientOf(opts).listWaits({ ...(opts.status ? { status: opts.status } : {}), ...(opts.run ? { run_id: opts.run } : {}) });
    if (opts.json) return printJson(res);
    print(
      table(
        ['id', 'status', 'run', 'step', 'phase', 'title', 'age', 'left'],
        res.data.map((w) => [
          String(w.id),
          status(String(w.status)),
          String(w.run_id),
          String(w.step_id),
          String(w.phase ?? ''),
          text(w.title ?? w.prompt, 40),
          `${Math.round(Number(w.age_ms) / 1000)}s`,
          `${Math.round(Number(w.time_left_ms) / 1000)}s`,
        ]),
      ),
    );
  });

  clientCommand(waits.command('get').description('a wait: prompt, form, decisions, outcome').argument('<id>', 'wait id')).action(
    async (id: string, opts: ClientOptions) => {
      const w = await clientOf(opts).getWait(id);
      if (opts.json) printJson(w);
      else printWait(w);
    },
  );

  clientCommand(
    waits
      .command('respond')
      .description('answer a wait (validated against its form; the first valid answer wins)')
      .argument('<id>', 'wait id')
      .option('--values <json>', 'the form values, a JSON object')
      .option('--decision <id>', 'one of the wait’s decisions')
      .option('--comment <text>', 'a comment kept with the answer')
      .option('--idempotency-key <key>', 'a retry with the same key returns the recorded answer'),
  ).action(async (id: string, opts: RespondOptions) => {
    const values = objectArg(opts.values, '--values');
    const res = await clientOf(opts).respondToWait(
      id,
      { ...(values ? { values } : {}), ...(opts.decision ? { decision: opts.decision } : {}), ...(opts.comment ? { comment: opts.comment } : {}) },
      opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {},
    );
    if (opts.json) printJson(res);
    else {
      print(`Wait ${String(res.wait.id)} ${res.replayed ? 'was already answered with this key' : 'answered'}.`);
      if (res.run) printRun(res.run);
    }
  });
}
