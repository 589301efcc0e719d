/**
 * `runyard events|rules|schedules|hooks …` (issue 15): send and list events, define rules,
 * schedules and webhook endpoints, pause/resume them, test a rule. Every command takes `--json`.
 */
import type { Command } from 'commander';
import { TriggersClient, type Hook, type Rule, type Schedule, type TriggerEvent, type TriggerFire } from '../../sdk/triggers.js';
import { clientCommand, connectionOf, oneOf, parseJsonArg, parseLimit, parseTime, readTextFile, UsageError, type ClientOptions } from '../common.js';
import { details, print, printJson, status, table, text, time } from '../output.js';

function triggersOf(opts: ClientOptions): TriggersClient {
  return new TriggersClient(connectionOf(opts));
}

/** `--data JSON` or `--data-file PATH`. */
async function dataOf(o: { data?: string; dataFile?: string }): Promise<unknown> {
  if (o.data !== undefined && o.dataFile !== undefined) throw new UsageError('give --data or --data-file, not both');
  if (o.dataFile !== undefined) return parseJsonArg(await readTextFile(o.dataFile, 'data file'), '--data-file');
  return o.data === undefined ? undefined : parseJsonArg(o.data, '--data');
}

/** The target: `--target JSON`, or `--table ID --column NAME`. */
function targetOf(o: { target?: string; table?: string; column?: string }): Record<string, unknown> {
  if (o.target !== undefined) return parseJsonArg(o.target, '--target') as Record<string, unknown>;
  if (o.table === undefined || o.column === undefined) throw new UsageError('give --target JSON, or --table and --column');
  return { type: 'column', table_id: o.table, column: o.column };
}

function targetOptions(cmd: Command): Command {
  return cmd
    .option('--target <json>', 'target of any run kind, e.g. {"type":"column","table_id":"tbl_…","column":"summary"}')
    .option('--table <id>', 'column target: the table')
    .option('--column <name>', 'column target: the column')
    .option('--prompt <text>', 'prompt of the runs (rules: a template over {{event.data.…}})')
    .option('--mode <mode>', 'live, dry_run or smoke_test', oneOf('mode', ['live', 'dry_run', 'smoke_test'] as const))
    .option('--profile <name>', 'workload profile of the runs')
    .option('--paused', 'create it paused');
}

/** Options of `rules create` and `schedules create` shared through {@link targetOptions}. */
interface TargetOpts extends ClientOptions {
  target?: string;
  table?: string;
  column?: string;
  prompt?: string;
  mode?: string;
  profile?: string;
  paused?: boolean;
}

function runFields(o: TargetOpts): Record<string, unknown> {
  return {
    ...(o.prompt === undefined ? {} : { prompt: o.prompt }),
    ...(o.mode === undefined ? {} : { mode: o.mode }),
    ...(o.profile === undefined ? {} : { profile: o.profile }),
    ...(o.paused ? { status: 'paused' } : {}),
  };
}

function fireLine(f: TriggerFire): string {
  const what = f.status === 'started' ? `run ${f.run_id ?? ''}` : `${f.status}${f.reason ? `: ${f.reason}` : ''}${f.run_id ? ` (run ${f.run_id})` : ''}`;
  return `${f.source_id}${f.slot_at ? ` @ ${f.slot_at}` : ''} → ${what}`;
}

function printEvent(e: TriggerEvent): void {
  print(
    details([
      ['id', text(e.id)],
      ['name', text(e.name)],
      ['client id', text(e.client_id ?? '-')],
      ['source', text(e.source.type + (e.source.id ? ` ${e.source.id}` : ''))],
      ['ts', time(e.ts)],
      ['received', time(e.created_at)],
      ['data', text(JSON.stringify(e.data), 300)],
      ['fires', text(e.fires.map(fireLine).join('; ') || 'no rule matched', 400)],
    ]),
  );
}

function printRule(r: Rule): void {
  print(
    details([
      ['id', text(r.id)],
      ['name', text(r.name)],
      ['version', String(r.version)],
      ['status', status(r.status)],
      ['on', text(r.on)],
      ['if', text(r.if ?? '-', 300)],
      ['target', text(JSON.stringify(r.target), 200)],
      ['prompt', text(r.prompt ?? '-', 200)],
      ['mode', text(r.mode ?? 'live')],
      ['idempotency key', text(r.idempotency_key ?? '-')],
      ...(r.recent_fires ? [['recent fires', text(r.recent_fires.map(fireLine).join('; ') || '-', 600)] as [string, string]] : []),
    ]),
  );
}

function printSchedule(s: Schedule): void {
  print(
    details([
      ['id', text(s.id)],
      ['name', text(s.name)],
      ['status', status(s.status)],
      ['cron', text(`${s.cron} (${s.timezone})`)],
      ['catch up', text(s.catch_up)],
      ['end', time(s.end_at)],
      ['target', text(JSON.stringify(s.target), 200)],
      ['next fires', text(s.next_fire_times.join(', ') || '-', 300)],
      ...(s.recent_fires ? [['recent fires', text(s.recent_fires.map(fireLine).join('; ') || '-', 600)] as [string, string]] : []),
    ]),
  );
}

function printHook(h: Hook): void {
  print(
    details([
      ['id', text(h.id)],
      ['name', text(h.name)],
      ['status', status(h.status)],
      ['url', text(h.url, 200)],
      ['event name', text(h.event_name)],
      ['max body', `${h.max_body_bytes} bytes`],
      ...(h.secret ? [['secret (shown once)', h.secret] as [string, string]] : []),
    ]),
  );
}

function out<T>(opts: ClientOptions, value: T, show: (v: T) => void): void {
  if (opts.json) printJson(value);
  else show(value);
}

/** Registers `events`, `rules`, `schedules` and `hooks`. */
export function registerTriggers(program: Command): void {
  const events = program.command('events').description('events: send one, list received events and the runs they started');
  clientCommand(
    events
      .command('send')
      .description('send an event; rules listening to its name start runs (a repeated --id within 24 h returns the first event)')
      .argument('<name>', 'event name, e.g. order.created')
      .option('--data <json>', 'event data (JSON)')
      .option('--data-file <path>', 'event data from a JSON file')
      .option('--id <id>', 'de-duplication id')
      .option('--ts <iso>', 'time of the event', parseTime),
  ).action(async (name: string, opts: ClientOptions & { data?: string; dataFile?: string; id?: string; ts?: string }) => {
    const data = await dataOf(opts);
    const res = await triggersOf(opts).sendEvent({
      name,
      ...(data === undefined ? {} : { data }),
      ...(opts.id === undefined ? {} : { id: opts.id }),
      ...(opts.ts === undefined ? {} : { ts: opts.ts }),
    });
    if (opts.json) return printJson({ ...res.event, created: res.created });
    if (!res.created) print(`Already received (id ${text(opts.id ?? '')}): ${res.event.id}`);
    printEvent(res.event);
  });
  clientCommand(
    events
      .command('list')
      .description('received events, newest first, with the runs each started')
      .option('--name <name>', 'only events of this name')
      .option('--hook <id>', 'only events of this webhook')
      .option('--since <iso>', 'received at or after', parseTime)
      .option('--until <iso>', 'received before', parseTime)
      .option('--limit <n>', 'events per page, 1 to 500 (default 50)', parseLimit)
      .option('--cursor <cursor>', 'next_cursor of the previous page'),
  ).action(async (opts: ClientOptions & { name?: string; hook?: string; since?: string; until?: string; limit?: number; cursor?: string }) => {
    const page = await triggersOf(opts).listEvents({
      ...(opts.name === undefined ? {} : { name: opts.name }),
      ...(opts.hook === undefined ? {} : { source_id: opts.hook }),
      ...(opts.since === undefined ? {} : { created_after: opts.since }),
      ...(opts.until === undefined ? {} : { created_before: opts.until }),
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
    });
    out(opts, page, (p) => {
      if (p.data.length === 0) return print('No events.');
      print(
        table(
          ['id', 'name', 'source', 'received', 'runs', 'fires'],
          p.data.map((e) => [
            text(e.id),
            text(e.name, 40),
            text(e.source.type),
            time(e.created_at),
            text(e.run_ids.join(', ') || '-', 60),
            text(e.fires.map((f) => f.status).join(',') || '-'),
          ]),
        ),
      );
      if (p.next_cursor) print(`More: --cursor ${p.next_cursor}`);
    });
  });
  clientCommand(events.command('get').description('one event with its fires and runs').argument('<id>', 'event id (tev_…)')).action(
    async (id: string, opts: ClientOptions) => out(opts, await triggersOf(opts).getEvent(id), printEvent),
  );

  const rules = program.command('rules').description('rules: start runs of a target when a matching event arrives');
  clientCommand(
    targetOptions(
      rules
        .command('create')
        .description('create a rule (a CEL filter that does not compile, or an unknown target, is refused and nothing saved)')
        .requiredOption('--name <name>', 'rule name')
        .requiredOption('--on <event>', 'the event name it listens to')
        .option('--if <cel>', 'CEL filter over event, e.g. event.data.amount > 100')
        .option('--idempotency-key <cel>', 'CEL key: events with the same key start one run')
        .option('--concurrency-key <cel>', 'CEL key: at most --concurrency-limit running runs per key value; later events wait')
        .option('--concurrency-limit <n>', 'runs per concurrency key at a time (default 1)', (v) => Number(v)),
    ),
  ).action(async (o: TargetOpts & { name: string; on: string; if?: string; idempotencyKey?: string; concurrencyKey?: string; concurrencyLimit?: number }) => {
    const opts = o;
    const rule = await triggersOf(opts).createRule({
      name: o.name,
      on: o.on,
      ...(o.if === undefined ? {} : { if: o.if }),
      ...(o.idempotencyKey === undefined ? {} : { idempotency_key: o.idempotencyKey }),
      ...(o.concurrencyKey === undefined ? {} : { concurrency: { key: o.concurrencyKey, limit: o.concurrencyLimit ?? 1 } }),
      target: targetOf(o),
      ...runFields(o),
    });
    out(opts, rule, printRule);
  });
  clientCommand(rules.command('list').description('rules of the workspace')).action(async (opts: ClientOptions) =>
    out(opts, await triggersOf(opts).listRules(), (l) => {
      if (l.data.length === 0) return print('No rules. Create one with `runyard rules create`.');
      print(
        table(
          ['id', 'name', 'status', 'on', 'if', 'version'],
          l.data.map((r) => [text(r.id), text(r.name, 40), status(r.status), text(r.on, 40), text(r.if ?? '-', 40), String(r.version)]),
        ),
      );
    }),
  );
  clientCommand(rules.command('get').description('one rule with its recent fires').argument('<id>', 'rule id (rul_…)')).action(
    async (id: string, opts: ClientOptions) => out(opts, await triggersOf(opts).getRule(id), printRule),
  );
  for (const action of ['pause', 'resume'] as const) {
    clientCommand(
      rules
        .command(action)
        .description(action === 'pause' ? 'pause a rule (events still recorded, marked skipped: rule_paused)' : 'resume a rule')
        .argument('<id>', 'rule id'),
    ).action(async (id: string, opts: ClientOptions) => out(opts, await triggersOf(opts).setRuleStatus(id, action), printRule));
  }
  clientCommand(rules.command('delete').description('delete a rule (its runs stay)').argument('<id>', 'rule id')).action(
    async (id: string, opts: ClientOptions) => {
      await triggersOf(opts).deleteRule(id);
      out(opts, { deleted: id }, () => print(`Deleted ${id}`));
    },
  );
  clientCommand(
    rules
      .command('test')
      .description('test a rule against a sample event: match, and the run it would create (nothing is started)')
      .argument('<id>', 'rule id')
      .requiredOption('--event <name>', 'sample event name')
      .option('--data <json>', 'sample event data (JSON)')
      .option('--data-file <path>', 'sample event data from a JSON file'),
  ).action(async (id: string, opts: ClientOptions & { event: string; data?: string; dataFile?: string }) => {
    const data = await dataOf(opts);
    const res = await triggersOf(opts).testRule(id, { name: opts.event, ...(data === undefined ? {} : { data }) });
    out(opts, res, (r) =>
      print(
        details([
          ['match', r.match ? 'yes' : 'no'],
          ['reason', text(r.reason ?? '-', 300)],
          ['would start', r.run ? text(JSON.stringify(r.run), 600) : '-'],
        ]),
      ),
    );
  });

  const schedules = program.command('schedules').description('schedules: start runs of a target on a cron, one run per slot');
  clientCommand(
    targetOptions(
      schedules
        .command('create')
        .description('create a schedule (an invalid cron, unknown time zone or a cron that never fires is refused)')
        .requiredOption('--name <name>', 'schedule name')
        .requiredOption('--cron <expr>', 'cron: 5 fields, or 6 with seconds first')
        .option('--timezone <tz>', 'IANA time zone (default UTC)')
        .option(
          '--catch-up <policy>',
          'slots missed while no node ran: none, latest, all (default none)',
          oneOf('catch-up', ['none', 'latest', 'all'] as const),
        )
        .option('--end <iso>', 'no slot after this time', parseTime),
    ),
  ).action(async (o: TargetOpts & { name: string; cron: string; timezone?: string; catchUp?: string; end?: string }) => {
    const opts = o;
    const s = await triggersOf(opts).createSchedule({
      name: o.name,
      cron: o.cron,
      ...(o.timezone === undefined ? {} : { timezone: o.timezone }),
      ...(o.catchUp === undefined ? {} : { catch_up: o.catchUp }),
      ...(o.end === undefined ? {} : { end_at: o.end }),
      target: targetOf(o),
      ...runFields(o),
    });
    out(opts, s, printSchedule);
  });
  clientCommand(schedules.command('list').description('schedules of the workspace')).action(async (opts: ClientOptions) =>
    out(opts, await triggersOf(opts).listSchedules(), (l) => {
      if (l.data.length === 0) return print('No schedules. Create one with `runyard schedules create`.');
      print(
        table(
          ['id', 'name', 'status', 'cron', 'timezone', 'next'],
          l.data.map((s) => [text(s.id), text(s.name, 40), status(s.status), text(s.cron), text(s.timezone), time(s.next_fire_times[0] ?? null)]),
        ),
      );
    }),
  );
  clientCommand(schedules.command('get').description('one schedule: next 5 fire times and recent fires').argument('<id>', 'schedule id (sch_…)')).action(
    async (id: string, opts: ClientOptions) => out(opts, await triggersOf(opts).getSchedule(id), printSchedule),
  );
  for (const action of ['pause', 'resume'] as const) {
    clientCommand(
      schedules
        .command(action)
        .description(action === 'pause' ? 'pause a schedule' : 'resume a schedule (slots passed while paused do not fire)')
        .argument('<id>', 'schedule id'),
    ).action(async (id: string, opts: ClientOptions) => out(opts, await triggersOf(opts).setScheduleStatus(id, action), printSchedule));
  }
  clientCommand(schedules.command('delete').description('delete a schedule (its runs stay)').argument('<id>', 'schedule id')).action(
    async (id: string, opts: ClientOptions) => {
      await triggersOf(opts).deleteSchedule(id);
      out(opts, { deleted: id }, () => print(`Deleted ${id}`));
    },
  );

  const hooks = program.command('hooks').description('webhook endpoints (Standard Webhooks): a verified call becomes an event');
  clientCommand(
    hooks
      .command('create')
      .description('create a webhook endpoint; its secret is shown once')
      .requiredOption('--name <name>', 'hook name')
      .option('--event-name <name>', 'event a verified call becomes (default hook.<name>)')
      .option('--max-body-bytes <n>', 'largest body accepted (default 262144)', (v) => Number(v)),
  ).action(async (opts: ClientOptions & { name: string; eventName?: string; maxBodyBytes?: number }) => {
    const h = await triggersOf(opts).createHook({
      name: opts.name,
      ...(opts.eventName === undefined ? {} : { event_name: opts.eventName }),
      ...(opts.maxBodyBytes === undefined ? {} : { max_body_bytes: opts.maxBodyBytes }),
    });
    out(opts, h, printHook);
  });
  clientCommand(hooks.command('list').description('webhook endpoints of the workspace')).action(async (opts: ClientOptions) =>
    out(opts, await triggersOf(opts).listHooks(), (l) => {
      if (l.data.length === 0) return print('No hooks. Create one with `runyard hooks create`.');
      print(
        table(
          ['id', 'name', 'status', 'event name', 'url'],
          l.data.map((h) => [text(h.id), text(h.name, 40), status(h.status), text(h.event_name, 40), text(h.url, 80)]),
        ),
      );
    }),
  );
  clientCommand(hooks.command('get').description('one webhook endpoint').argument('<id>', 'hook id (hook_…)')).action(async (id: string, opts: ClientOptions) =>
    out(opts, await triggersOf(opts).getHook(id), printHook),
  );
  clientCommand(hooks.command('rotate-secret').description('new secret now; the previous one stays valid for 24 h').argument('<id>', 'hook id')).action(
    async (id: string, opts: ClientOptions) => out(opts, await triggersOf(opts).rotateHookSecret(id), printHook),
  );
  for (const action of ['pause', 'resume'] as const) {
    clientCommand(
      hooks
        .command(action)
        .description(action === 'pause' ? 'pause a hook (calls refused with 409)' : 'resume a hook')
        .argument('<id>', 'hook id'),
    ).action(async (id: string, opts: ClientOptions) => out(opts, await triggersOf(opts).setHookStatus(id, action), printHook));
  }
  clientCommand(
    hooks.command('rejections').description('refused calls: unsigned, stale, bad signature, replayed, too large').argument('<id>', 'hook id'),
  ).action(async (id: string, opts: ClientOptions) =>
    out(opts, await triggersOf(opts).hookRejections(id), (l) => {
      if (l.data.length === 0) return print('No rejections.');
      print(
        table(
          ['id', 'webhook-id', 'status', 'reason', 'at'],
          l.data.map((r) => [text(r.id), text(r.webhook_id ?? '-'), String(r.status), text(r.reason), time(r.created_at)]),
        ),
      );
    }),
  );
  clientCommand(hooks.command('delete').description('delete a webhook endpoint').argument('<id>', 'hook id')).action(
    async (id: string, opts: ClientOptions) => {
      await triggersOf(opts).deleteHook(id);
      out(opts, { deleted: id }, () => print(`Deleted ${id}`));
    },
  );
}
