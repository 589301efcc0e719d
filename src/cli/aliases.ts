/**
 * Command aliases under other names (seed 004's verbs): `runyard table-runs …` for column runs and
 * `runyard table-ingestions …` for ingestion runs. An alias owns no logic: it hands its arguments,
 * unchanged, to the command it names, which parses them with its own options and runs its own
 * action (so `--help`, `--json`, validation and exit codes are the target's).
 *
 * | alias                                   | runs as                                   |
 * | --------------------------------------- | ----------------------------------------- |
 * | `table-runs list`                       | `runs list --kind column` (unless `--kind`) |
 * | `table-runs get|items|provider-summary` | `runs get|items|provider-summary`         |
 * | `table-runs pause|resume|cancel`        | `runs pause|resume|cancel`                |
 * | `table-runs retry-failed`               | `runs retry-failed`                       |
 * | `table-ingestions create-tool-page`     | `ingestions run <source>`                 |
 * | `table-ingestions retry-failed`         | `ingestions retry-failed [source] <run>`  |
 * | `workflows call <flow>`                 | `flows run <flow>`                        |
 * | `workflows runs [--workflow <flow>]`    | `runs list --kind flow [--target <flow>]` |
 * | `workflows run <run>`                   | `runs get <run>`                          |
 * | `workflows failures`                    | `runs list --kind flow --status failed,partial` |
 * | `workflows cancel <run>`                | `runs cancel <run>`                       |
 * | `workflows retry-failed <run>`          | `runs retry-failed <run>`                 |
 */
import type { Command } from 'commander';

/** One alias: `group name` runs `target` (a path of command names) with `defaults` prepended. */
export interface AliasSpec {
  name: string;
  /** The command it runs, as names from the root: `['runs', 'get']`. */
  target: string[];
  /**
   * Options given to the target unless the user gave the same option: `{ '--kind': 'column' }`.
   * A value of `true` is a flag without a value.
   */
  defaults?: Record<string, string | true>;
  /** Options of the alias renamed to the target's: `{ '--workflow': '--target' }`. */
  rename?: Record<string, string>;
}

/** The alias groups of seed 004. */
export const ALIASES: Record<string, { description: string; commands: AliasSpec[] }> = {
  'table-runs': {
    description: 'column runs under the names of seed 004 (aliases of `runs …`; `list` shows column runs)',
    commands: [
      { name: 'list', target: ['runs', 'list'], defaults: { '--kind': 'column' } },
      ...['get', 'items', 'provider-summary', 'pause', 'resume', 'cancel', 'retry-failed'].map((n) => ({ name: n, target: ['runs', n] })),
    ],
  },
  'table-ingestions': {
    description: 'ingestion runs under the names of seed 004 (aliases of `ingestions …`)',
    commands: [
      { name: 'create-tool-page', target: ['ingestions', 'run'] },
      { name: 'retry-failed', target: ['ingestions', 'retry-failed'] },
    ],
  },
  workflows: {
    description: 'flow runs under the names of seed 004 (aliases of `flows run` and `runs …`; `runs` and `failures` show flow runs)',
    commands: [
      { name: 'call', target: ['flows', 'run'] },
      { name: 'runs', target: ['runs', 'list'], defaults: { '--kind': 'flow' }, rename: { '--workflow': '--target' } },
      { name: 'run', target: ['runs', 'get'] },
      { name: 'failures', target: ['runs', 'list'], defaults: { '--kind': 'flow', '--status': 'failed,partial' }, rename: { '--workflow': '--target' } },
      { name: 'cancel', target: ['runs', 'cancel'] },
      { name: 'retry-failed', target: ['runs', 'retry-failed'] },
    ],
  },
};

/** The command at `path` under `program`. @throws Error naming the path when it is not registered */
function commandAt(program: Command, path: string[]): Command {
  let cmd = program;
  for (const name of path) {
    const next = cmd.commands.find((c) => c.name() === name);
    if (!next) throw new Error(`alias target "${path.join(' ')}" is not a registered command`);
    cmd = next;
  }
  return cmd;
}

/** `args` with each default option added unless `args` already has it (`--x v` or `--x=v`). */
export function withDefaults(args: string[], defaults: Record<string, string | true> = {}): string[] {
  const extra: string[] = [];
  for (const [flag, value] of Object.entries(defaults)) {
    const given = args.some((a) => a === flag || a.startsWith(`${flag}=`));
    if (!given) extra.push(...(value === true ? [flag] : [flag, value]));
  }
  return [...extra, ...args];
}

/** `args` with each option of `rename` (`--x v` or `--x=v`) spelled as the target's option. */
export function withRenames(args: string[], rename: Record<string, string> = {}): string[] {
  return args.map((a) => {
    for (const [from, to] of Object.entries(rename)) {
      if (a === from) return to;
      if (a.startsWith(`${from}=`)) return `${to}${a.slice(from.length)}`;
    }
    return a;
  });
}

/**
 * Registers the alias groups ({@link ALIASES}); call after every target is registered.
 * @throws Error when a target is not registered (a programming error, caught by the CLI tests)
 */
export function registerAliases(program: Command, aliases = ALIASES): void {
  for (const [group, { description, commands }] of Object.entries(aliases)) {
    const parent = program.command(group).description(description);
    for (const spec of commands) {
      const target = commandAt(program, spec.target);
      const renames = Object.entries(spec.rename ?? {}).map(([from, to]) => `; ${from} is ${to}`);
      const shown = `${spec.target.join(' ')}${Object.entries(spec.defaults ?? {})
        .map(([f, v]) => (v === true ? ` ${f}` : ` ${f} ${v}`))
        .join('')}\`${renames.join('')}`;
      parent
        .command(spec.name)
        .description(`${target.description()} (runs \`runyard ${shown})`)
        .usage(target.usage())
        // Every argument, `--help` included, belongs to the target.
        .helpOption(false)
        .allowUnknownOption()
        .allowExcessArguments()
        .argument('[args...]')
        .action(async (_args: string[], _opts: unknown, self: Command) => {
          await target.parseAsync(withDefaults(withRenames(self.args, spec.rename), spec.defaults), { from: 'user' });
        });
    }
  }
}
