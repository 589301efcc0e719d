/**
 * Price versions in the engine, on both databases: a run records the version current when it
 * was created and is priced by it to the end (bound, captures, dry-run estimate), even when
 * prices change before it runs and when another engine (another node, its own cache) executes
 * it; a rerun takes the current version; the RUNYARD_PRICES bootstrap writes a version only when
 * the prices differ, and says so in the log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunyardError } from '../../src/core/errors.js';
import { createEngine } from '../../src/engine/engine.js';
import type { Logger } from '../../src/engine/logger.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { applyBootstrapPrices } from '../../src/server/node-setup.js';
import { describeEachBackend } from '../helpers/backends.js';
import { FAST, tempDir, testEngine, waitForRun, writeModule } from '../helpers/fixtures.js';

const CSV = 'n\n1\n2\n3\n';

describeEachBackend('engine: price versions', (backend) => {
  test('a run is priced by the version it was created with, on whichever engine executes it', async () => {
    const dir = tempDir();
    writeModule(dir, 'one.mjs', 'export default (input) => Number(input.n);');
    const creator = await testEngine({ baseDir: dir, backend });
    const ws = creator.workspaceId;
    await creator.credits.grant(ws, 1_000_000, null);
    const table = await creator.tables.importTable(ws, 't', 'csv', CSV);
    await creator.tables.addColumn(ws, table.id, { name: 'one', producer: 'js', config: { module: 'one.mjs', input: { n: '{{n}}' } } });

    const free = (await creator.runs.startColumnRun(ws, table.id, 'one')).run;
    assert.deepEqual([free.price_version, free.item_cost_bound], [null, 0], 'no prices set: free');
    assert.deepEqual((await creator.prices.set(ws, { js_call: 100 }, 'api')).version.version, 1);
    const atV1 = (await creator.runs.startColumnRun(ws, table.id, 'one')).run;
    const dryV1 = (await creator.runs.startColumnRun(ws, table.id, 'one', { mode: 'dry_run' })).run;
    assert.deepEqual((await creator.prices.set(ws, { js_call: 250 }, 'api')).version.version, 2);
    const atV2 = (await creator.runs.startColumnRun(ws, table.id, 'one')).run;
    assert.deepEqual([atV1.price_version, atV1.item_cost_bound], [1, 100]);
    assert.deepEqual([dryV1.price_version, dryV1.item_cost_bound], [1, 0], 'a dry run reserves nothing but knows its version');
    assert.deepEqual([atV2.price_version, atV2.item_cost_bound], [2, 250]);

    // Another engine on the same database executes: it has never seen a version.
    const executor = createEngine({ store: creator.store, producers: createProducerRegistry({ baseDir: dir }), options: FAST });
    await executor.startExecutor();
    try {
      const [f, a, d, b] = await Promise.all([free, atV1, dryV1, atV2].map((r) => waitForRun(executor, r.id)));
      assert.deepEqual([f?.credits_used, a?.credits_used, d?.credits_used, b?.credits_used], [0, 300, 0, 750]);
      const dryItems = await executor.store.listItems(ws, dryV1.id, {}, { limit: 10 });
      assert.ok(
        dryItems.data.every((i) => i.outputs?.estimated_credits_micro === 100),
        'the dry-run estimate uses its version',
      );
      const rerun = await executor.control.rerun(ws, atV1.id, 'version');
      assert.deepEqual([rerun.run.price_version, rerun.run.item_cost_bound], [2, 250], 'a rerun is a new run: the current prices');
      assert.equal((await waitForRun(executor, rerun.run.id)).credits_used, 750);
    } finally {
      await executor.stopExecutor();
    }
    assert.equal((await creator.store.replayLedger(ws)).captured, 300 + 750 + 750);
    await creator.store.close();
  });

  test('bad prices are refused naming the key, writing nothing; an unknown version is not_found', async () => {
    const engine = await testEngine({ backend });
    const ws = engine.workspaceId;
    for (const [raw, field] of [
      [{ pizza: 1 }, 'prices.pizza'],
      [{ js_call: -1 }, 'prices.js_call'],
      [{ js_call: 0.5 }, 'prices.js_call'],
      [[1], 'prices'],
    ] as const) {
      await assert.rejects(engine.prices.set(ws, raw, 'api'), (err: Error) => err instanceof RunyardError && err.details?.field === field);
    }
    assert.equal(await engine.prices.get(ws), undefined);
    await assert.rejects(engine.prices.get(ws, 1), (err: Error) => err instanceof RunyardError && err.code === 'not_found');
    await engine.store.close();
  });

  test('the RUNYARD_PRICES bootstrap: a new version only when the prices differ, said in the log', async () => {
    const engine = await testEngine({ backend });
    const lines: [string, Record<string, unknown> | undefined][] = [];
    const log = (msg: string, fields?: Record<string, unknown>) => lines.push([msg, fields]);
    const logger: Logger = { debug: log, info: log, warn: log, error: log };
    await applyBootstrapPrices(engine, { js_call: 5 }, logger);
    await applyBootstrapPrices(engine, { js_call: 5 }, logger);
    await engine.prices.set(engine.workspaceId, { js_call: 7 }, 'api');
    await applyBootstrapPrices(engine, { js_call: 5 }, logger);
    await applyBootstrapPrices(engine, undefined, logger);
    assert.deepEqual(lines, [
      ['prices from RUNYARD_PRICES are now the current version', { price_version: 1, previous_version: null }],
      ['RUNYARD_PRICES equals the current prices; nothing changed', { price_version: 1 }],
      ['prices from RUNYARD_PRICES are now the current version', { price_version: 3, previous_version: 2 }],
    ]);
    const current = await engine.prices.get(engine.workspaceId);
    assert.deepEqual([current?.version, current?.source, current?.prices], [3, 'env', { js_call: 5 }]);
    await engine.store.close();
  });
});
