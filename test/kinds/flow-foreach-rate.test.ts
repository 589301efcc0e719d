/**
 * The rate of a 1,000-step `for_each` of no-op `js` steps, on both databases (issue 13's note):
 * steps/s from the run's creation to its end, with concurrency 1 (one iteration after
 * another: every step is a claim, a completion and a plan) and 50. Logged as `# flow-foreach`
 * lines; the assertion is only that every step ran once and the loop joined once.
 *
 * Command: `npx tsc -p . && node --test dist/test/kinds/flow-foreach-rate.test.js`
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { FAST, tempDir, until, writeModule } from '../helpers/fixtures.js';

const N = 1000;

describeEachBackend('for_each of 1,000 no-op js steps', (backend) => {
  let engine: Engine;
  before(async () => {
    const dir = tempDir();
    writeModule(dir, 'noop.mjs', 'export default (input) => input;');
    const { store } = await backend.open();
    engine = createEngine({ store, producers: createProducerRegistry({ baseDir: dir }), options: FAST });
    await engine.startExecutor();
  });
  after(async () => {
    await engine.stopExecutor();
    await engine.store.close();
  });

  for (const concurrency of [1, 50]) {
    test(`concurrency ${concurrency}`, { timeout: 600_000 }, async () => {
      const ws = engine.workspaceId;
      const flow = await engine.flows.create(ws, {
        name: `loop ${concurrency}`,
        steps: [
          {
            id: 'each',
            type: 'for_each',
            items: `[${Array.from({ length: N }, (_, i) => i).join(',')}]`,
            concurrency,
            step: { producer: 'js', config: { module: 'noop.mjs', input: { i: '{{index}}' } } },
            assign: { n: 'size(output.outputs)' },
          },
        ],
      });
      const t0 = Date.now();
      const { run } = await engine.flows.run(ws, flow.id, {});
      const done = await until('the loop to finish', 590_000, async () => {
        const r = await engine.store.getRun(ws, run.id);
        return r && ['succeeded', 'failed', 'partial'].includes(r.status) ? r : undefined;
      });
      const ms = (done.finished_at ?? Date.now()) - t0;
      assert.equal(done.status, 'succeeded');
      assert.equal(done.items_succeeded, N);
      assert.deepEqual((done.output as { vars: { n: number } }).vars, { n: N });
      console.log(`# flow-foreach ${backend.name} concurrency=${concurrency}: ${N} steps in ${ms} ms = ${((N * 1000) / ms).toFixed(0)} steps/s`);
    });
  }
});
