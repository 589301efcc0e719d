/**
 * Fencing: when another node takes over an item's lease, the first node's heartbeat finds the
 * lease lost, aborts its producer, and its late result is never written. On both backends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeModule } from '../helpers/fixtures.js';
import { describeEachBackend } from '../helpers/backends.js';
import { createEngine } from '../../src/engine/engine.js';
import { createProducerRegistry } from '../../src/producers/index.js';

describeEachBackend('lease fencing', (backend) => {
  test('a lost lease aborts the producer and rejects its late write', { timeout: 30_000 }, async (t) => {
    const dir = tempDir();
    const marker = join(dir, 'aborted');
    const started = join(dir, 'started');
    writeModule(
      dir,
      'slow.mjs',
      `import { writeFileSync } from 'node:fs';
       export default (input, ctx) => new Promise((resolve) => {
         ctx.signal.addEventListener('abort', () => { writeFileSync(${JSON.stringify(marker)}, 'yes'); resolve('late result'); });
         writeFileSync(${JSON.stringify(started)}, 'yes');
       });`,
    );
    const { store, exec } = await backend.open();
    const engine = createEngine({
      store,
      producers: createProducerRegistry({ baseDir: dir }),
      options: { leaseMs: 60_000, heartbeatMs: 200, sweepMs: 60_000, pollMs: 50 },
    });
    // A failed assertion must not leave the executor's timers keeping this test process alive.
    t.after(async () => {
      await engine.stopExecutor(100);
      await store.close();
    });
    const ws = engine.workspaceId;
    const table = await engine.tables.importTable(ws, 't', 'csv', 'n\n1\n');
    await engine.tables.addColumn(ws, table.id, { name: 'slow', producer: 'js', config: { module: 'slow.mjs', input: { n: '{{n}}' } } });
    const { run } = await engine.runs.startColumnRun(ws, table.id, 'slow');
    await engine.startExecutor();
    type Row = { id: string; status: string; lease_token: string | null };
    let item: Row | undefined;
    // Wait for the function itself (not only the claim): an abort that fires while the module is
    // still being imported never reaches the function's listener.
    for (let i = 0; i < 400 && (item?.status !== 'running' || !existsSync(started)); i++) {
      await new Promise((r) => setTimeout(r, 25));
      [item] = await exec<Row>('SELECT id, status, lease_token FROM items WHERE run_id = ?', [run.id]);
    }
    assert.equal(item?.status, 'running');
    // Another node re-claims the item: its lease token changes under the first node.
    await exec("UPDATE items SET lease_token = 'lse_other_node', lease_owner = 'nod_other' WHERE id = ?", [item!.id]);
    for (let i = 0; i < 400 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(readFileSync(marker, 'utf8'), 'yes', 'the producer was aborted');
    await new Promise((r) => setTimeout(r, 300));
    const [after] = await exec('SELECT status, lease_token, outputs FROM items WHERE id = ?', [item!.id]);
    assert.deepEqual({ ...after }, { status: 'running', lease_token: 'lse_other_node', outputs: null }, 'the stale attempt wrote nothing');
  });
});
