/** The run filter on the command line (`runs list`, `runs delete|export|bulk`): one set of options. */
import type { Command } from 'commander';
import { parseRunStatus } from '../core/status.js';
import type { RunSelection } from '../sdk/client.js';
import { listOption, oneOfList, parseTime, type ClientOptions } from './common.js';

export const KINDS = ['column', 'flow', 'worker', 'ingestion', 'chain'];
export const MODES = ['live', 'dry_run', 'smoke_test'];
export const TRIGGERS = ['manual', 'api', 'rule', 'schedule', 'webhook', 'event', 'chat'];

/** The filter options as commander parses them. */
export interface FilterOptions extends ClientOptions {
  status?: string;
  kind?: string;
  mode?: string;
  trigger?: string;
  target?: string;
  name?: string;
  since?: string;
  until?: string;
}

/** Adds `--status --kind --mode --trigger --target --name --since --until` (values checked, exit 2 when bad). */
export function filterOptions(cmd: Command): Command {
  return cmd
    .option(
      '--status <s,…>',
      'statuses (queued, running, succeeded, partial, failed, canceled, …)',
      listOption('status', (v) => parseRunStatus(v) !== undefined),
    )
    .option('--kind <k,…>', `kinds (${KINDS.join(', ')})`, oneOfList('kind', KINDS))
    .option('--mode <m,…>', `modes (${MODES.join(', ')})`, oneOfList('mode', MODES))
    .option('--trigger <t,…>', `trigger types (${TRIGGERS.join(', ')})`, oneOfList('trigger', TRIGGERS))
    .option('--target <id>', 'only runs of this target (table column id, …)')
    .option('--name <text>', 'name contains TEXT')
    .option('--since <iso>', 'created at or after this ISO-8601 time', parseTime)
    .option('--until <iso>', 'created before this ISO-8601 time', parseTime);
}

/** The filters given on the command line, in API form. */
export function selection(o: FilterOptions): RunSelection {
  const s: RunSelection = {};
  if (o.status !== undefined) s.status = o.status;
  if (o.kind !== undefined) s.kind = o.kind;
  if (o.mode !== undefined) s.mode = o.mode;
  if (o.trigger !== undefined) s.trigger = o.trigger;
  if (o.target !== undefined) s.target_id = o.target;
  if (o.name !== undefined) s.name = o.name;
  if (o.since !== undefined) s.created_after = o.since;
  if (o.until !== undefined) s.created_before = o.until;
  return s;
}
