/**
 * A run created next to a running executor starts in its creation transaction and leases its
 * first items to that node (issue 7, latency): same statuses, events and counts as the
 * queued → started → claimed path, the run's concurrency and the node's capacity hold, and
 * the rest of its items are claimed by the usual loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countsConsistent } from '../../src/core/counts.js';
import { describeEachBackend } from '../helpers/backends.js';
import { tempDir, testEngine, waitForRun, writeModule } from '../helpers/fixtures.js';

describeEachBackend('engine: start on create', (backend) => {
  test('with a local executor a new run comes back running with its first items leased; events in order; the rest claimed later', async (t) => {
    const dir = tempDir();
    writeModule(dir, 'slow.mjs', 'export default async (input) => { await new Promise((r) => setTimeout(r, 50)); return input; };');
    const engine = await testEngine({ baseDir: dir, backend, options: { capacity: 3, claimBatch: 3 } });
    t.after(() => engine.stopExecutor(0));
    const ws = engine.workspaceId;
    const table = await engine.tables.importTable(ws, 'nums', 'csv', 'n\n1\n2\n3\n4\n5\n6\n7\n');
    await engine.tables.addColumn(ws, table.id, { name: 'slow', producer: 'js', config: { module: 'slow.mjs', input: { n: '{{n}}' } }, profile: 'small' });
    const executor = await engine.startExecutor();
    const concurrency = engine.profiles.resolve('small').concurrency;
    const { run } = await engine.runs.startColumnRun(ws, table.id, 'slow');
    const leased = Math.min(3, concurrency, 7);
    assert.equal(run.status, 'running');
    assert.equal(run.items_running, leased, 'the node capacity (3) and the run concurrency bound the items leased at creation');
    assert.equal(run.items_pending, 7 - leased);
    assert.ok(countsConsistent(run));
    assert.equal(executor.inFlightCount, leased, 'the executor runs them at once');
    const events = await engine.store.listEvents(ws, run.id, 0, 100);
    assert.deepEqual(
      events.slice(0, 2 + leased).map((e) => e.type),
      ['run.queued', 'run.started', ...Array<string>(leased).fill('item.started')],
    );
    assert.equal(events[1]?.data['node_id'], executor.nodeId);
    const items = (await engine.store.listItems(ws, run.id, {}, { limit: 10 })).data;
    assert.deepEqual(
      items.filter((i) => i.status === 'running').map((i) => [i.ordinal, i.attempt_count]),
      Array.from({ length: leased }, (_, k) => [k, 1]),
      'the first items in ordinal order, attempt 1',
    );
    const done = await waitForRun(engine, run.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.items_succeeded, 7);
    assert.ok(countsConsistent(done));
    const after = await engine.store.listEvents(ws, run.id, 0, 100);
    assert.equal(after.filter((e) => e.type === 'item.started').length, 7, 'one item.started per item');
    assert.equal(after.filter((e) => e.type === 'run.started').length, 1);
  });

  test('without an executor in the process the run stays queued, as before', async () => {
    const dir = tempDir();
    writeModule(dir, 'id.mjs', 'export default (input) => input;');
    const engine = await testEngine({ baseDir: dir, backend });
    const ws = engine.workspaceId;
    const table = await engine.tables.importTable(ws, 'nums', 'csv', 'n\n1\n');
    await engine.tables.addColumn(ws, table.id, { name: 'id', producer: 'js', config: { module: 'id.mjs', input: { n: '{{n}}' } } });
    const { run } = await engine.runs.startColumnRun(ws, table.id, 'id');
    assert.equal(run.status, 'queued');
    assert.equal(run.items_running, 0);
    assert.deepEqual(
      (await engine.store.listEvents(ws, run.id, 0, 10)).map((e) => e.type),
      ['run.queued'],
    );
  });
});
