/**
 * The ticket-triage AI worker example end to end (examples/workers, README "AI workers"): the
 * example provider (`provider.mjs`, a real process speaking OpenAI chat completions on
 * 127.0.0.1) answers a real `runyard up` through the real `runyard` binary, on SQLite and on
 * PostgreSQL, with the README's commands: `tables import`, `tables rows`, `workers create`,
 * `workers run`, `runs items`, `tables comments`, `workers run` again, `workers runs`,
 * `runs compare`. The definition is the README's file with only `model.base_url` pointed at the
 * provider's free port.
 * - a run on ticket T-101: items llm:1 (a streamed `get_row` tool call) → tool:1:1 (the row read)
 *   → llm:2 (the triage text) → output; the row then holds exactly one comment, the triage;
 * - the same row again (`replace`): the notice says so first, and the row still holds one
 *   comment, the same one, updated by the second run;
 * - T-105, then `runs compare` of the first run with it: other subject, other output, the
 *   tool calls aligned by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, until } from '../helpers/fixtures.js';
import { postgresForFile } from '../helpers/postgres.js';
import { spawnRunyard } from '../helpers/proc.js';
import { startExampleServer } from '../helpers/zones-example.js';
import { root, runCli, useToken } from './helpers.js';

type Json = Record<string, unknown>;
const postgres = postgresForFile();
const DEFINITION = join(root, 'examples/workers/triage.worker.json');
const TICKETS = join(root, 'examples/workers/tickets.csv');
const T101 = 'P1 · owner: platform — T-101 "Checkout is down": customers are blocked or data is at risk. Next step: page the on-call engineer.';
const T105 = 'P3 · owner: data — T-105 "How do I export to CSV?": a question, nothing is broken. Next step: answer with the how-to.';

async function example(database: string, dir: string): Promise<void> {
  const provider = await startExampleServer('examples/workers/provider.mjs');
  const ry = await spawnRunyard(['--database', database], { RUNYARD_DATA_DIR: join(dir, 'data') }, 60_000).catch(async (err: unknown) => {
    await provider.stop();
    throw err;
  });
  try {
    useToken(ry.token);
    const cli = async (args: string[]): Promise<Json> => {
      const r = await runCli([...args, '--json', '--url', ry.url]);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
      return JSON.parse(r.stdout) as Json;
    };
    const finished = (runId: string) =>
      until(`${runId} to finish`, 60_000, async () => {
        const run = await cli(['runs', 'get', runId]);
        return ['succeeded', 'partial', 'failed', 'canceled'].includes(String(run.status)) ? run : undefined;
      });
    const items = async (runId: string) => (await cli(['runs', 'items', runId, '--limit', '100'])).data as Json[];
    const comments = async (tableId: string, rowId: string) => (await cli(['tables', 'comments', tableId, rowId])).data as Json[];

    // The README's definition; only base_url moves to the provider's free port.
    const original = JSON.parse(readFileSync(DEFINITION, 'utf8')) as Json & { model: Json };
    assert.equal(original.model.base_url, 'http://127.0.0.1:4620/v1');
    const file = join(dir, 'triage.worker.json');
    writeFileSync(file, JSON.stringify({ ...original, model: { ...original.model, base_url: `${provider.url}/v1` } }));

    // tables import, tables rows
    const table = await cli(['tables', 'import', TICKETS]);
    const tableId = String(table.id);
    assert.equal(table.name, 'tickets');
    assert.equal(table.row_count, 8);
    const rows = (await cli(['tables', 'rows', tableId])).data as { id: string; data: Json }[];
    const rowOf = (ticket: string) => rows.find((r) => r.data.ticket === ticket)!.id;

    // workers create
    const worker = await cli(['workers', 'create', file]);
    const workerId = String(worker.id);
    assert.equal(worker.template_key, 'triage_ticket');
    assert.deepEqual(worker.tool_categories, ['read_records', 'write_comments']);
    assert.equal(worker.output_mode, 'task_comment');

    // workers run on T-101: no earlier output; a tool call, then the comment.
    const r101 = rowOf('T-101');
    const first = await cli(['workers', 'run', workerId, '--table', tableId, '--row', r101]);
    assert.equal((first.output_notice as Json).exists, false);
    const runA = String((first.run as Json).id);
    const a = await finished(runA);
    assert.equal(a.status, 'succeeded', JSON.stringify(a.error));
    assert.deepEqual((a.subject as Json).id, r101);
    const itemsA = await items(runA);
    assert.deepEqual(
      itemsA.map((i) => i.key),
      ['llm:1', 'tool:1:1', 'llm:2', 'output'],
    );
    const [llm1, tool, llm2, output] = itemsA.map((i) => i.outputs as Json);
    assert.deepEqual(
      (llm1!.tool_calls as Json[]).map((c) => [c.name, c.input]),
      [['get_row', { table_id: tableId, row_id: r101 }]],
    );
    assert.equal(llm1!.finish_reason, 'tool_calls');
    assert.ok(Number((llm1!.usage as Json).input_tokens) > 0, 'the usage chunk was read');
    assert.equal(tool!.tool, 'get_row');
    assert.equal(tool!.decision, 'allowed');
    assert.equal(((tool!.result as Json).data as Json).ticket, 'T-101');
    assert.equal(llm2!.text, T101);
    assert.equal(llm2!.finish_reason, 'stop');
    assert.equal(output!.action, 'created');

    // tables comments: exactly one, the triage, written by run A.
    const c1 = await comments(tableId, r101);
    assert.equal(c1.length, 1, JSON.stringify(c1));
    assert.equal(c1[0]!.body, T101);
    assert.equal(c1[0]!.slot, `${workerId}:triage`);
    assert.equal(c1[0]!.created_by_run, runA);

    // workers run again (replace): said before it starts, still one comment, updated.
    const again = await cli(['workers', 'run', workerId, '--table', tableId, '--row', r101]);
    assert.equal((again.output_notice as Json).exists, true);
    assert.match(String((again.output_notice as Json).message), /replaced/);
    const runB = String((again.run as Json).id);
    assert.equal((await finished(runB)).status, 'succeeded');
    assert.equal(((await items(runB)).find((i) => i.key === 'output')!.outputs as Json).action, 'updated');
    const c2 = await comments(tableId, r101);
    assert.equal(c2.length, 1, JSON.stringify(c2));
    assert.equal(c2[0]!.id, c1[0]!.id);
    assert.equal(c2[0]!.body, T101);
    assert.equal(c2[0]!.created_by_run, runA);
    assert.equal(c2[0]!.updated_by_run, runB);

    // Another ticket, then runs compare.
    const r105 = rowOf('T-105');
    const third = await cli(['workers', 'run', workerId, '--table', tableId, '--row', r105]);
    const runC = String((third.run as Json).id);
    assert.equal((await finished(runC)).status, 'succeeded');
    assert.deepEqual(
      (await comments(tableId, r105)).map((c) => c.body),
      [T105],
    );
    const cards = (await cli(['workers', 'runs', workerId])).data as Json[];
    assert.deepEqual(cards.map((r) => r.id).sort(), [runA, runB, runC].sort());
    const cmp = (await cli(['runs', 'compare', runA, runC])).worker as Json;
    assert.equal((cmp.subject as Json).same, false);
    assert.equal(((cmp.subject as Json).b as Json).row_id, r105);
    const calls = cmp.tool_calls as Json[];
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.same_name, true);
    assert.equal(calls[0]!.same_arguments, false);
    const out = cmp.output as { a: Json; b: Json; same: boolean };
    assert.equal(out.same, false);
    assert.equal(out.a.preview, T101);
    assert.equal(out.b.preview, T105);
    const same = (await cli(['runs', 'compare', runA, runB])).worker as Json;
    assert.equal((same.subject as Json).same, true);
  } finally {
    await provider.stop();
    await ry.kill('SIGTERM');
  }
}

test('examples/workers ticket triage through the CLI on SQLite', { timeout: 180_000 }, async () => {
  const dir = tempDir();
  await example(join(dir, 'runyard.db'), dir);
});

test('examples/workers ticket triage through the CLI on PostgreSQL', { timeout: 180_000 }, async () => {
  const server = await postgres();
  await example(await server.createDatabase(), tempDir());
});
