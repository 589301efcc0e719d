/**
 * The README's example end to end through the engine, offline: the countries dataset, the js
 * column (size class) over every row, and the shell column (dial prefixes) over every row. Also
 * with three CPU-bound processes beside it on this machine's cores (issue 12: under that load the
 * node's heartbeats and sweeps run late, and it used to fail its own items as `worker_crashed`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { testEngine, waitForRun } from '../helpers/fixtures.js';

function definition(file: string) {
  return JSON.parse(readFileSync(file, 'utf8')) as { name: string; producer: string; config: Record<string, unknown> };
}

async function countriesExample(): Promise<void> {
  const engine = await testEngine({ baseDir: process.cwd() });
  const ws = engine.workspaceId;
  const table = await engine.tables.importTable(ws, 'countries', 'csv', readFileSync('examples/countries.csv', 'utf8'));
  assert.equal(table.row_count, 250);
  await engine.tables.addColumn(ws, table.id, definition('examples/countries-size-class.column.json'));
  await engine.tables.addColumn(ws, table.id, definition('examples/countries-dial-prefixes.column.json'));
  const js = await engine.runs.startColumnRun(ws, table.id, 'size_class');
  const shell = await engine.runs.startColumnRun(ws, table.id, 'dial_prefixes');
  await engine.startExecutor();
  const a = await waitForRun(engine, js.run.id, 200_000);
  const b = await waitForRun(engine, shell.run.id, 250_000);
  await engine.stopExecutor();

  assert.equal(a.status, 'partial');
  assert.equal(a.items_succeeded, 249);
  assert.equal(a.items_failed, 1);
  const failedJs = (await engine.store.listItems(ws, a.id, { status: ['failed'] }, { limit: 10 })).data;
  assert.equal(failedJs[0]?.error?.code, 'missing_area');

  assert.equal(b.status, 'partial');
  assert.equal(b.items_succeeded, 248);
  assert.equal(b.items_failed, 2);

  const rows = await engine.store.allRows(ws, table.id);
  const byCode = new Map(rows.map((r) => [String(r.data.cca3), r.id]));
  const cols = await engine.store.listColumns(ws, table.id);
  const col = (name: string) => cols.find((c) => c.name === name)!.id;
  const cell = async (cca3: string, name: string) => (await engine.store.getCell(ws, table.id, byCode.get(cca3)!, col(name)))?.value;
  assert.equal(await cell('ABW', 'size_class'), 'micro');
  assert.equal(await cell('USA', 'size_class'), 'very_large');
  assert.equal(await cell('ABW', 'dial_prefixes'), '+297');
  assert.equal(await cell('DOM', 'dial_prefixes'), '+1809, +1829, +1849');
  await engine.store.close();
}

test('countries example: js and shell columns over all 250 rows', { timeout: 120_000 }, countriesExample);

test('countries example beside three busy-looping processes: no item fails worker_crashed', { timeout: 300_000 }, async () => {
  const hogs = Array.from({ length: 3 }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  try {
    await countriesExample();
  } finally {
    for (const h of hogs) h.kill('SIGKILL');
  }
});
