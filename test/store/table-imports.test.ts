/**
 * Batched table imports in the store, on both databases: an `importing` table is invisible to
 * reads until it is finished; discarding removes it with its rows and never a ready table;
 * imports left by a crashed node are discarded by age.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_WORKSPACE_ID } from '../../src/core/ids.js';
import { describeEachBackend } from '../helpers/backends.js';

describeEachBackend('batched table imports', (backend) => {
  test('invisible until finished; discard by id and by age removes only importing tables and their rows', async () => {
    const { store, exec } = await backend.open();
    try {
      const ws = DEFAULT_WORKSPACE_ID;
      const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: `row_${from + i}`, data: { n: from + i } }));
      await store.beginTableImport(ws, { id: 'tbl_a', name: 'a' }, 1000);
      await store.appendTableRows(ws, 'tbl_a', 0, rows(0, 3));
      assert.equal(await store.getTable(ws, 'tbl_a'), undefined);
      assert.deepEqual(await store.listTables(ws), []);
      const done = await store.finishTableImport(ws, 'tbl_a', ['n'], 3);
      assert.equal(done.row_count, 3);
      assert.deepEqual(
        (await store.allRows(ws, 'tbl_a')).map((r) => r.data),
        [{ n: 0 }, { n: 1 }, { n: 2 }],
      );

      await store.beginTableImport(ws, { id: 'tbl_old', name: 'old' }, 500);
      await store.appendTableRows(ws, 'tbl_old', 0, rows(10, 2));
      await store.beginTableImport(ws, { id: 'tbl_new', name: 'new' }, 5000);
      await store.appendTableRows(ws, 'tbl_new', 0, rows(20, 2));
      assert.equal(await store.discardTableImports({ before: 2000 }), 1, 'only the import older than the cut');
      assert.equal(await store.discardTableImports({ ws, tableId: 'tbl_a' }), 0, 'a ready table is never discarded');
      assert.equal(await store.discardTableImports({ ws, tableId: 'tbl_new' }), 1);
      const left = await exec<{ table_id: string }>('SELECT DISTINCT table_id FROM table_rows ORDER BY table_id');
      assert.deepEqual(
        left.map((r) => r.table_id),
        ['tbl_a'],
      );
      await assert.rejects(store.finishTableImport(ws, 'tbl_new', ['n'], 2), { code: 'conflict' });
    } finally {
      await store.close();
    }
  });
});
