/**
 * Seed 004's `runyard workflows call|runs|run|failures|cancel|retry-failed` over flow runs, with
 * the real binary against a real `runyard up`, on SQLite and on PostgreSQL; and what flow runs
 * share with column runs: the run list filters (status, kind, time range, name, target),
 * export to JSON and CSV, and retry-failed — which re-runs the failed step, in a new attempt,
 * and what follows it, never a step that had succeeded (checked by a marker file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { tempDir, until } from '../helpers/fixtures.js';
import { postgresForFile } from '../helpers/postgres.js';
import { spawnRunyard } from '../helpers/proc.js';
import { runCli, useToken } from './helpers.js';

type Json = Record<string, unknown>;
const postgres = postgresForFile();

/** A shell step appending its name to the marker file. */
const mark = (id: string, marker: string) => ({ id, type: 'tool', producer: 'shell', config: { command: 'sh', args: ['-c', `echo ${id} >> "$0"`, marker] } });

async function workflows(database: string, dir: string): Promise<void> {
  const ry = await spawnRunyard(['--database', database], { RUNYARD_DATA_DIR: join(dir, 'data') }, 60_000);
  try {
    useToken(ry.token);
    const url = ['--url', ry.url];
    const cli = async (args: string[]): Promise<Json> => {
      const r = await runCli([...args, '--json', ...url]);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
      return JSON.parse(r.stdout) as Json;
    };
    const ids = async (args: string[]) => ((await cli(args)).data as Json[]).map((r) => String(r.id));
    const settled = (runId: string, statuses: string[]) =>
      until(`${runId} to be ${statuses.join('|')}`, 60_000, async () => {
        const run = await cli(['workflows', 'run', runId]);
        return statuses.includes(String(run.status)) ? run : undefined;
      });

    const marker = join(dir, 'calls.log');
    const gate = join(dir, 'gate');
    const file = join(dir, 'flow.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'gated',
        steps: [
          mark('first', marker),
          // Fails (exit 1, permanent) until the gate file exists.
          { id: 'gate', type: 'tool', producer: 'shell', config: { command: 'sh', args: ['-c', `test -e "$0" && echo gate >> "$1"`, gate, marker] } },
          mark('after', marker),
          { id: 'done', type: 'summarize', text: 'gated: {{steps.gate.status}}' },
        ],
      }),
    );
    const flow = await cli(['flows', 'create', file]);
    const since = new Date(Date.now() - 1000).toISOString();

    // workflows call → a flow run; it fails at the gate.
    const call = await cli(['workflows', 'call', String(flow.id), '--name', 'gated-call-1']);
    assert.equal(call.kind, 'flow');
    const runId = String(call.id);
    const failed = await settled(runId, ['failed', 'succeeded', 'partial']);
    assert.equal(failed.status, 'failed');
    assert.equal((failed.error as Json).code, 'step_failed');

    // workflows runs / failures, and the run list filters, select flow runs.
    assert.ok((await ids(['workflows', 'runs', '--workflow', String(flow.id)])).includes(runId));
    assert.deepEqual(await ids(['workflows', 'runs', '--workflow', 'flw_none']), []);
    assert.ok((await ids(['workflows', 'failures'])).includes(runId));
    assert.ok((await ids(['runs', 'list', '--kind', 'flow', '--status', 'failed', '--name', 'gated-call', '--since', since])).includes(runId));
    assert.deepEqual(await ids(['runs', 'list', '--kind', 'column']), []);
    assert.deepEqual(await ids(['runs', 'list', '--kind', 'flow', '--until', since]), []);
    assert.deepEqual(await ids(['runs', 'list', '--kind', 'flow', '--name', 'no-such-name']), []);

    // Export: JSON (the run and its items) and CSV (a row per item).
    const exported = await runCli(['runs', 'export', runId, '--format', 'json', ...url]);
    assert.equal(exported.code, 0, exported.stderr);
    const doc = JSON.parse(exported.stdout) as { run: Json; items: Json[] };
    assert.equal(doc.run.kind, 'flow');
    assert.deepEqual(
      doc.items.map((i) => [i.key, i.status]),
      [
        ['first', 'succeeded'],
        ['gate', 'failed'],
      ],
    );
    const csv = await runCli(['runs', 'export', runId, '--format', 'csv', ...url]);
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    assert.deepEqual(
      rows.map((r) => [r.key, r.status]),
      [
        ['first', 'succeeded'],
        ['gate', 'failed'],
      ],
    );
    assert.match(rows[0]!.outputs!, /exit_code/);

    // retry-failed: the failed step again (a new attempt) and what follows; `first` never again.
    assert.equal(existsSync(gate), false);
    writeFileSync(gate, '');
    const retried = await cli(['workflows', 'retry-failed', runId]);
    assert.equal(retried.retried, 1);
    const done = await settled(runId, ['succeeded', 'failed', 'partial']);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.result_summary, 'gated: succeeded');
    assert.deepEqual(readFileSync(marker, 'utf8').trim().split('\n'), ['first', 'gate', 'after']);
    const items = (await cli(['runs', 'items', runId])).data as Json[];
    assert.deepEqual(
      items.map((i) => [i.key, i.status, i.attempt_count]),
      [
        ['first', 'succeeded', 1],
        ['gate', 'succeeded', 2],
        ['after', 'succeeded', 1],
        ['done', 'succeeded', 1],
      ],
    );
    assert.equal((await ids(['workflows', 'failures'])).includes(runId), false);

    // workflows cancel: a run waiting for a person is canceled and its wait closed.
    writeFileSync(join(dir, 'ask.json'), JSON.stringify({ name: 'ask', steps: [{ id: 'ask', type: 'input', prompt: 'go?', decisions: [{ id: 'yes' }] }] }));
    const ask = await cli(['flows', 'create', join(dir, 'ask.json')]);
    const asking = await cli(['workflows', 'call', String(ask.id)]);
    await settled(String(asking.id), ['waiting_for_input']);
    const canceled = await cli(['workflows', 'cancel', String(asking.id)]);
    assert.equal(canceled.status, 'canceled');
    const waits = (await cli(['waits', 'list', '--status', 'canceled', '--run', String(asking.id)])).data as Json[];
    assert.equal(waits.length, 1);
  } finally {
    await ry.kill('SIGTERM');
  }
}

test('runyard workflows … over flow runs on SQLite', { timeout: 180_000 }, async () => {
  const dir = tempDir();
  await workflows(join(dir, 'runyard.db'), dir);
});

test('runyard workflows … over flow runs on PostgreSQL', { timeout: 180_000 }, async () => {
  const server = await postgres();
  await workflows(await server.createDatabase(), tempDir());
});
