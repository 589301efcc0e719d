/**
 * `runyard runs create`: queue a manual run of a column (`POST /v1/runs`) with an optional
 * prompt, profile, session and per-run overrides.
 *
 * Secret values never appear in argv (where `ps` and shell history show them): `--secret-env
 * NAME` reads the value from this process's environment variable NAME, `--secret-stdin NAME`
 * from standard input. `--secret NAME=VALUE` is refused with exit 2, and no message of this
 * command repeats a secret value.
 */
import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import type { ManualRunRequest } from '../../sdk/client.js';
import { clientCommand, clientOf, UsageError, type ClientOptions } from '../common.js';
import { clean, printJson } from '../output.js';
import { printRun } from '../render.js';
import { watchRun } from '../watch.js';

interface CreateOptions extends ClientOptions {
  table: string;
  column: string;
  prompt?: string;
  profile?: string;
  name?: string;
  session?: string;
  tag: string[];
  env: string[];
  secretEnv: string[];
  secretStdin?: string;
  secret?: string;
  actor?: string;
  idempotencyKey?: string;
  watch?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** The name part of an argument, for messages (everything after `=` is dropped unseen). */
const nameOf = (arg: string) => clean(arg.split('=')[0] ?? '');

/** `--env NAME=VALUE` values → a map; a repeated name is a usage error. */
function envMap(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env: expected NAME=VALUE, got ${eq === 0 ? 'an empty name' : 'no "="'}`);
    const name = arg.slice(0, eq);
    if (Object.hasOwn(out, name)) throw new UsageError(`--env: ${clean(name)} is given twice`);
    out[name] = arg.slice(eq + 1);
  }
  return out;
}

/** Reads all of standard input (a secret); one trailing line break is dropped. */
async function readStdin(name: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`Type the value of secret ${clean(name)}, then Ctrl-D:\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `--secret-env` and `--secret-stdin` → a map of secret values. */
async function secretMap(opts: CreateOptions): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const add = (name: string, value: string, flag: string) => {
    if (Object.hasOwn(out, name)) throw new UsageError(`${flag}: secret ${clean(name)} is given twice`);
    out[name] = value;
  };
  for (const name of opts.secretEnv) {
    if (name.includes('=')) {
      throw new UsageError(
        `--secret-env takes a variable NAME and reads its value from your environment; do not put the value on the command line (got ${nameOf(name)}=…)`,
      );
    }
    const value = process.env[name];
    if (value === undefined) throw new UsageError(`--secret-env ${clean(name)}: the environment variable ${clean(name)} is not set`);
    add(name, value, '--secret-env');
  }
  if (opts.secretStdin !== undefined) {
    if (opts.secretStdin.includes('='))
      throw new UsageError(`--secret-stdin takes a variable NAME; the value is read from standard input (got ${nameOf(opts.secretStdin)}=…)`);
    add(opts.secretStdin, await readStdin(opts.secretStdin), '--secret-stdin');
  }
  return out;
}

function defaultActor(): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

/** The request body from the options. */
async function request(opts: CreateOptions): Promise<ManualRunRequest> {
  if (opts.secret !== undefined) {
    throw new UsageError(
      '--secret is refused: a secret value on the command line is visible to other users (ps) and kept in shell history. ' +
        'Use --secret-env NAME (reads $NAME from your environment) or --secret-stdin NAME (reads standard input).',
    );
  }
  const env = envMap(opts.env);
  const secrets = await secretMap(opts);
  const actor = opts.actor ?? defaultActor();
  const body: ManualRunRequest = { target: { type: 'column', table_id: opts.table, column: opts.column }, trigger: 'manual' };
  if (opts.prompt !== undefined) body.prompt = opts.prompt;
  if (opts.profile !== undefined) body.profile = opts.profile;
  if (opts.name !== undefined) body.name = opts.name;
  if (opts.session !== undefined) body.session_id = opts.session;
  if (opts.tag.length > 0) body.tags = opts.tag;
  if (actor !== undefined) body.actor = actor;
  if (Object.keys(env).length > 0 || Object.keys(secrets).length > 0) body.overrides = { env, secrets };
  return body;
}

/** Adds `create` to the `runs` command group. */
export function registerRunsCreate(runs: Command): void {
  clientCommand(
    runs
      .command('create')
      .description('queue a manual run of a column: prompt, profile, session and env/secret overrides for this run only')
      .requiredOption('--table <id>', 'table id')
      .requiredOption('--column <column>', 'column id or name')
      .option('--prompt <text>', 'instructions for this run (producers see RUNYARD_PROMPT)')
      .option('--profile <profile>', 'workload profile for this run (small, standard, large, …)')
      .option('--name <name>', 'run name')
      .option('--session <id>', 'session id tied to the run')
      .option('--tag <tag>', 'a tag (repeatable)', collect, [])
      .option('--env <NAME=VALUE>', 'an env value for this run only, shown on the run (repeatable)', collect, [])
      .option('--secret-env <NAME>', 'a secret for this run only, read from your environment variable NAME (repeatable)', collect, [])
      .option('--secret-stdin <NAME>', 'a secret for this run only, read from standard input')
      .addOption(new Option('--secret <NAME=VALUE>', 'refused: use --secret-env or --secret-stdin').hideHelp())
      .option('--actor <who>', 'who starts the run (default: your user name)')
      .option('--idempotency-key <key>', 'repeat-safe key: the same key and request answer the same run')
      .option('--watch', 'follow the run until it ends (exit 1 unless it succeeded)'),
  ).action(async (opts: CreateOptions) => {
    const body = await request(opts);
    const client = clientOf(opts);
    const run = await client.createRun(body, opts.idempotencyKey === undefined ? {} : { idempotencyKey: opts.idempotencyKey });
    if (opts.watch) {
      if (!opts.json) process.stderr.write(`Queued run ${clean(run.id)} (${run.items_total} items)\n`);
      await watchRun(client, run.id, opts.json === true);
    } else if (opts.json) printJson(run);
    else printRun(run);
  });
}
