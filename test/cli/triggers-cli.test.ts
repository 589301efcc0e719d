/**
 * `runyard events|rules|schedules|hooks` end to end: the real binary against a real server
 * (SQLite) started in-process; `--json` output parsed, readable output checked, usage errors exit 2.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/engine/logger.js';
import { startRunyard, type RunningRunyard } from '../../src/server/start.js';
import type { Table } from '../../src/sdk/client.js';
import type { Hook, Rule, RuleTestResult, Schedule, TriggerEvent } from '../../src/sdk/triggers.js';
import { until } from '../helpers/fixtures.js';
import { root, runCli, type Result, useToken } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'runyard-cli-triggers-'));
let server: RunningRunyard;
const cli = (args: string[]): Promise<Result> => runCli(args, { RUNYARD_URL: server.url });
async function json<T>(args: string[]): Promise<T> {
  const r = await cli([...args, '--json']);
  assert.equal(r.code, 0, `runyard ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

before(async () => {
  server = await startRunyard({ port: 0, dataDir: dir, databaseUrl: join(dir, 'r.db'), baseDir: root, logger: silentLogger, engine: { pollMs: 50 } });
  useToken(server.adminToken);
});
after(async () => {
  await server.close(2000);
  rmSync(dir, { recursive: true, force: true });
});

test('rules, events, schedules and hooks from the command line', async () => {
  const table = await json<Table>(['tables', 'import', 'examples/countries.csv']);
  await json(['columns', 'add', table.id, '--file', 'examples/countries-size-class.column.json']);
  const bad = await cli(['rules', 'create', '--name', 'r', '--on', 'x', '--if', 'event.data >', '--table', table.id, '--column', 'size_class', '--json']);
  assert.equal(bad.code, 1);
  assert.equal((JSON.parse(bad.stdout) as { error: { details: { field: string } } }).error.details.field, 'if');
  assert.equal((await cli(['rules', 'create', '--name', 'r', '--on', 'x'])).code, 2, 'no target is a usage error');

  const rule = await json<Rule>([
    'rules',
    'create',
    '--name',
    'big',
    '--on',
    'order.created',
    '--if',
    'event.data.amount > 100',
    '--table',
    table.id,
    '--column',
    'size_class',
    '--mode',
    'dry_run',
  ]);
  assert.match(rule.id, /^rul_/);
  const tested = await json<RuleTestResult>(['rules', 'test', rule.id, '--event', 'order.created', '--data', '{"amount": 500}']);
  assert.equal(tested.match, true);
  const sent = await json<TriggerEvent & { created: boolean }>(['events', 'send', 'order.created', '--data', '{"amount": 500}', '--id', 'o-1']);
  assert.equal(sent.created, true);
  const again = await json<TriggerEvent & { created: boolean }>(['events', 'send', 'order.created', '--data', '{"amount": 500}', '--id', 'o-1']);
  assert.equal(again.created, false);
  assert.equal(again.id, sent.id);
  const ev = await until('the event started its run', 10_000, async () => {
    const e = await json<TriggerEvent>(['events', 'get', sent.id]);
    return e.run_ids.length === 1 ? e : undefined;
  });
  const run = await json<{ trigger: unknown }>(['runs', 'get', ev.run_ids[0] ?? '']);
  assert.deepEqual(run.trigger, { type: 'rule', source_id: rule.id, actor: sent.id });
  const listed = await cli(['events', 'list', '--name', 'order.created']);
  assert.equal(listed.code, 0);
  assert.match(listed.stdout, new RegExp(sent.id));
  const byTrigger = await json<{ data: { id: string }[] }>(['runs', 'list', '--trigger', 'rule']);
  assert.deepEqual(
    byTrigger.data.map((r) => r.id),
    ev.run_ids,
  );
  assert.equal((await json<Rule>(['rules', 'pause', rule.id])).status, 'paused');

  const bad422 = await cli([
    'schedules',
    'create',
    '--name',
    's',
    '--cron',
    '* * * * *',
    '--timezone',
    'Mars/Olympus',
    '--table',
    table.id,
    '--column',
    'size_class',
    '--json',
  ]);
  assert.equal(bad422.code, 1);
  const s = await json<Schedule>([
    'schedules',
    'create',
    '--name',
    'nightly',
    '--cron',
    '0 2 * * *',
    '--timezone',
    'America/New_York',
    '--table',
    table.id,
    '--column',
    'size_class',
    '--mode',
    'dry_run',
  ]);
  assert.equal(s.next_fire_times.length, 5);
  const shown = await cli(['schedules', 'get', s.id]);
  assert.match(shown.stdout, /next fires/);
  assert.equal((await json<Schedule>(['schedules', 'pause', s.id])).status, 'paused');

  const hook = await json<Hook>(['hooks', 'create', '--name', 'github']);
  assert.match(hook.secret ?? '', /^whsec_/);
  assert.equal(hook.event_name, 'hook.github');
  const rotated = await json<Hook>(['hooks', 'rotate-secret', hook.id]);
  assert.notEqual(rotated.secret, hook.secret);
  assert.equal((await json<{ data: Hook[] }>(['hooks', 'list'])).data[0]?.secret, undefined);
  assert.equal((await json<{ data: unknown[] }>(['hooks', 'rejections', hook.id])).data.length, 0);
});
