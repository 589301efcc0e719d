import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countsConsistent } from '../../src/core/counts.js';
import { describeEachBackend } from '../helpers/backends.js';
import { tempDir, testEngine, waitForRun, writeModule } from '../helpers/fixtures.js';

const CSV = 'name,n\nada,1\nbob,2\ncy,3\ndee,4\n';

describeEachBackend('engine: column runs', (backend) => {
  test('runs a js column over every row; cells carry value and provenance', async () => {
    const dir = tempDir();
    writeModule(dir, 'double.mjs', 'export default (input) => ({ who: input.who, twice: Number(input.n) * 2 });');
    const engine = await testEngine({ baseDir: dir, backend });
    const ws = engine.workspaceId;
    const table = await engine.tables.importTable(ws, 'people', 'csv', CSV);
    const col = await engine.tables.addColumn(ws, table.id, {
      name: 'double',
      producer: 'js',
      config: { module: 'double.mjs', input: { who: '{{name}}', n: '{{n}}' } },
    });
    const { run } = await engine.runs.startColumnRun(ws, table.id, 'double');
    assert.equal(run.status, 'queued');
    assert.equal(run.items_total, 4);
    await engine.startExecutor();
    const done = await waitForRun(engine, run.id);
    await engine.stopExecutor();
    assert.equal(done.status, 'succeeded');
    assert.equal(done.items_succeeded, 4);
    assert.ok(countsConsistent(done));
    const rows = await engine.store.allRows(ws, table.id);
    const cell = await engine.store.getCell(ws, table.id, rows[2]!.id, col.id);
    assert.deepEqual(cell?.value, { who: 'cy', twice: 6 });
    assert.equal(cell?.run_id, run.id);
    assert.equal(cell?.attempt, 1);
    const events = await engine.store.listEvents(ws, run.id, 0, 100);
    assert.equal(events[0]?.type, 'run.queued');
    assert.equal(events.at(-1)?.type, 'run.succeeded');
    assert.equal(events.filter((e) => e.type === 'item.succeeded').length, 4);
    await engine.store.close();
  });

  test('transient failures retry with backoff; permanent ones fail their item only → partial', async () => {
    const dir = tempDir();
    writeModule(
      dir,
      'flaky.mjs',
      `const seen = new Map();
       export default (input, ctx) => {
         if (input.name === 'bob') { const e = new Error('bad row'); e.retryable = false; throw Object.assign(new (class PermanentError extends Error {})('bad row')); }
         if (input.name === 'cy' && ctx.attempt < 2) throw new Error('flaky once');
         return input.name.toUpperCase();
       };`,
    );
    const engine = await testEngine({ baseDir: dir, backend });
    const ws = engine.workspaceId;
    const table = await engine.tables.importTable(ws, 't', 'csv', CSV);
    await engine.tables.addColumn(ws, table.id, { name: 'up', producer: 'js', config: { module: 'flaky.mjs', input: { name: '{{name}}' } }, profile: 'small' });
    const { run } = await engine.runs.startColumnRun(ws, table.id, 'up');
    await engine.startExecutor();
    const done = await waitForRun(engine, run.id, 30_000);
    await engine.stopExecutor();
    // bob's plain Error is retryable: it uses all 3 attempts, then fails.
    assert.equal(done.status, 'partial');
    assert.equal(done.items_failed, 1);
    assert.equal(done.items_succeeded, 3);
    const items = (await engine.store.listItems(ws, run.id, {}, { limit: 10 })).data;
    const bob = items.find((i) => i.status === 'failed');
    assert.equal(bob?.attempt_count, 3);
    assert.match(bob?.error?.message ?? '', /bad row/);
    const cy = items[2];
    assert.equal(cy?.status, 'succeeded');
    assert.equal(cy?.attempt_count, 2);
    assert.equal(done.error?.item_id, bob?.id);
    await engine.store.close();
  });

  test('a column naming a missing field is refused and nothing is written', async () => {
    const engine = await testEngine({ backend });
    const ws = engine.workspaceId;
    const table = await engine.tables.importTable(ws, 't', 'csv', CSV);
    await assert.rejects(
      engine.tables.addColumn(ws, table.id, { name: 'x', producer: 'shell', config: { command: 'echo', args: ['{{nope}}'] } }),
      (e: Error & { code?: string; details?: { field?: string } }) =>
        e.code === 'validation_failed' && e.details?.field === 'config.args[0]' && /nope/.test(e.message),
    );
    await assert.rejects(
      engine.tables.addColumn(ws, table.id, { name: 'x', producer: 'python', config: {} }),
      (e: Error & { code?: string }) => e.code === 'unknown_producer',
    );
    assert.equal((await engine.store.listColumns(ws, table.id)).length, 0);
    await engine.store.close();
  });

  test('an empty table gives a run that succeeds with no items', async () => {
    const engine = await testEngine({ backend });
    const ws = engine.workspaceId;
    const table = await engine.tables.importTable(ws, 'empty', 'csv', 'name,n\n');
    await engine.tables.addColumn(ws, table.id, { name: 'e', producer: 'shell', config: { command: 'echo', args: ['{{name}}'] } });
    const { run } = await engine.runs.startColumnRun(ws, table.id, 'e');
    await engine.startExecutor();
    const done = await waitForRun(engine, run.id);
    await engine.stopExecutor();
    assert.equal(done.status, 'succeeded');
    assert.equal(done.items_total, 0);
    assert.equal(done.result_summary, 'no items');
    await engine.store.close();
  });
});
