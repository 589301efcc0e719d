/**
 * A producer that crashes, hangs or prints megabytes fails only its own item; the rest of the
 * run completes, and the engine stays within bounded memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countsConsistent } from '../../src/core/counts.js';
import { testEngine, waitForRun } from '../helpers/fixtures.js';

test('crash, hang and flood fail only their own items', { timeout: 60_000 }, async () => {
  const engine = await testEngine();
  const ws = engine.workspaceId;
  const script = [
    'const m = process.argv[1];',
    "if (m === 'crash') { process.stderr.write('segfault-ish'); process.exit(139); }",
    "if (m === 'hang') { setInterval(() => {}, 1000); }",
    "else if (m === 'flood') { const chunk = 'x'.repeat(1 << 20); let n = 0; const go = () => { while (n++ < 64) { if (!process.stdout.write(chunk)) return process.stdout.once('drain', go); } }; go(); }",
    "else process.stdout.write('ok:' + m);",
  ].join('\n');
  const modes = ['a', 'crash', 'b', 'hang', 'c', 'flood', 'd'];
  const table = await engine.tables.importTable(ws, 'modes', 'ndjson', modes.map((m) => JSON.stringify({ m })).join('\n'));
  await engine.tables.addColumn(ws, table.id, {
    name: 'probe',
    producer: 'shell',
    config: { command: process.execPath, args: ['-e', script, '{{m}}'], timeout_ms: 1500, max_output_bytes: 256 * 1024 },
    profile: 'small',
  });
  const { run } = await engine.runs.startColumnRun(ws, table.id, 'probe');
  await engine.startExecutor();
  const done = await waitForRun(engine, run.id, 50_000);
  await engine.stopExecutor();
  assert.equal(done.status, 'partial');
  assert.ok(countsConsistent(done));
  const items = (await engine.store.listItems(ws, run.id, {}, { limit: 20 })).data;
  const byMode = new Map(items.map((i) => [String((i.inputs?.args as string[])[2]), i]));
  for (const m of ['a', 'b', 'c', 'd']) {
    assert.equal(byMode.get(m)?.status, 'succeeded', m);
    assert.equal(byMode.get(m)?.outputs?.stdout, `ok:${m}`);
  }
  assert.equal(byMode.get('crash')?.status, 'failed');
  assert.equal(byMode.get('crash')?.error?.code, 'command_failed');
  assert.equal(byMode.get('crash')?.attempt_count, 1, 'a non-zero exit is permanent');
  assert.equal(byMode.get('hang')?.status, 'failed');
  assert.equal(byMode.get('hang')?.error?.code, 'producer_timeout');
  assert.equal(byMode.get('hang')?.attempt_count, 3, 'a timeout is retried up to max attempts');
  assert.equal(byMode.get('flood')?.status, 'failed');
  assert.equal(byMode.get('flood')?.error?.code, 'output_too_large');
  assert.ok(process.memoryUsage().rss < 1024 * 1024 * 1024, 'the flood did not land in memory');
  await engine.store.close();
});
