/**
 * The Tables page end to end in a real Chromium against a real `runyard up` (fresh SQLite file,
 * its own executor): the empty state; a bad CSV refused with the API's own message in place;
 * examples/countries.csv imported through the file input (the new table opens at once); rows
 * paged 50 at a time; the example column added through the add-column form; cells updated
 * live (no reload) by a run started elsewhere without moving the rows; a cell opened (value,
 * inputs, provenance, attempts) and the failed cell (error); "Run column" reached by keyboard
 * opens the new run. A second table whose name, fields and outputs hold markup and very long
 * text renders them as text, cut cleanly, without sideways overflow. Screenshots at 1280 and
 * 390 px; dialog, page-error and CSP traps armed throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hasHorizontalOverflow, openPage, screenshot } from '../helpers/browser.js';
import { startConsoleServer, tabTo, waitForRun } from '../helpers/console.js';

const BAD_CSV = 'name,name\nx,y\n';
const MARKUP = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(2)</script>';

test('console: tables — import, rows with per-cell status, cell drawer, run column, markup as text', { timeout: 300_000 }, async (t) => {
  const started = Date.now();
  const env = await startConsoleServer();
  t.after(() => env.close());
  const { client, browser, server } = env;
  const { page, traps } = await openPage(browser);

  // Empty state, then a bad CSV: the API's message in place, nothing created.
  await page.goto(`${server.url}/tables`);
  await page.getByTestId('no-tables').waitFor();
  // An unknown table: the API's not-found message in place.
  await page.goto(`${server.url}/tables/tbl_missing`);
  assert.match((await page.getByRole('alert').textContent()) ?? '', /Could not load the table: .*tbl_missing.*\(not_found\)/);
  await page.getByRole('link', { name: 'All tables' }).click();
  await page.getByTestId('no-tables').waitFor();
  await page.getByLabel('File (CSV, JSON or NDJSON)').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(BAD_CSV) });
  await page.getByRole('button', { name: 'Import' }).click();
  const importError = page.locator('.import-form [role=alert]');
  await importError.waitFor();
  const direct = await server.fetch(`${server.url}/v1/tables`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bad', format: 'csv', data: BAD_CSV }),
  });
  const apiMessage = ((await direct.json()) as { error: { message: string } }).error.message;
  assert.match(apiMessage, /duplicate header/);
  assert.ok(((await importError.textContent()) ?? '').includes(apiMessage), `the import error shows the API's message: ${apiMessage}`);
  assert.equal((await client.listTables()).data.length, 0);

  // Import examples/countries.csv through the file input: the table opens at once.
  await page.getByLabel('File (CSV, JSON or NDJSON)').setInputFiles('examples/countries.csv');
  await page.getByRole('button', { name: 'Import' }).click();
  await page.waitForURL(/\/tables\/[^/]+$/);
  const tableId = new URL(page.url()).pathname.split('/').pop()!;
  await page
    .getByTestId('table-summary')
    .getByText(/^250 rows · 13 fields/)
    .waitFor();
  await page.getByTestId('row-range').getByText('Rows 1–50').waitFor();
  assert.equal(await page.locator('[data-testid=table-grid] tbody tr').count(), 50);
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByTestId('row-range').getByText('Rows 51–100').waitFor();
  await page.getByRole('button', { name: 'Previous page' }).click();
  await page.getByTestId('row-range').getByText('Rows 1–50').waitFor();
  await page.getByTestId('no-columns').waitFor();

  // Add the example column through the form (its config is the example's).
  const example = JSON.parse(readFileSync('examples/countries-size-class.column.json', 'utf8')) as { name: string; config: unknown };
  await page.getByText('Add a column').click();
  await page.getByLabel('Column name').fill(example.name);
  await page.getByLabel(/^Producer config/).fill(JSON.stringify(example.config, null, 2));
  await page.getByRole('button', { name: 'Add column' }).click();
  await page.locator('.column-list li[data-column=size_class]').waitFor();
  const aruba = page.locator('[data-testid=table-grid] tbody tr').first();
  await aruba.getByText('not run').waitFor();
  // A JSON mistake in the config is named in place.
  await page.getByLabel('Column name').fill('broken');
  await page.getByLabel(/^Producer config/).fill('{ nope');
  await page.getByRole('button', { name: 'Add column' }).click();
  await page.getByText(/config: not valid JSON/).waitFor();

  // Live: a run started elsewhere fills the cells without a reload and without moving rows.
  await page.evaluate('window.__sameDocument = true');
  const rowBox = await aruba.boundingBox();
  const first = await client.startColumnRun(tableId, 'size_class', { name: 'from the API' });
  await aruba.locator('button.cell-button').getByText('succeeded').waitFor({ timeout: 60_000 });
  await waitForRun(client, first.id, 120_000);
  assert.equal(await page.evaluate('window.__sameDocument'), true, 'the table page was reloaded');
  assert.deepEqual(await aruba.boundingBox(), rowBox, 'the row moved while cells updated');
  assert.match((await aruba.textContent()) ?? '', /succeededmicro/);

  // Open a cell: value, inputs, provenance, attempts.
  await aruba.getByRole('button', { name: /^size_class, row 1: succeeded/ }).click();
  const drawer = page.getByTestId('cell-drawer');
  await drawer.getByTestId('cell-attempts').waitFor();
  assert.equal((await drawer.getByTestId('cell-value').textContent())?.trim(), 'micro');
  assert.match((await drawer.getByTestId('cell-inputs').textContent()) ?? '', /"name": "Aruba"/);
  assert.match((await drawer.getByTestId('cell-provenance').textContent()) ?? '', new RegExp(`Written by run${first.id}`));
  assert.match((await drawer.getByTestId('cell-attempts').locator('tbody tr').first().textContent()) ?? '', /^1succeeded/);
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'detached' });

  // The failed cell (Svalbard and Jan Mayen, row 199): its error.
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByTestId('row-range').getByText('Rows 151–200').waitFor();
  const svalbard = page.locator('[data-testid=table-grid] tbody tr', { hasText: 'Svalbard and Jan Mayen' });
  await svalbard.getByRole('button', { name: /size_class, row 199: failed/ }).click();
  await drawer.getByTestId('cell-error').waitFor();
  assert.match((await drawer.getByTestId('cell-error').textContent()) ?? '', /missing_area \(not retryable\): area_km2 is "-1"/);
  await drawer.getByRole('button', { name: 'Close' }).click();
  await drawer.waitFor({ state: 'detached' });

  // Screenshots of the table page at 1280 and 390 px; nothing spills sideways.
  await screenshot(page, 'table-1280');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await hasHorizontalOverflow(page), false, 'table page overflows at 390 px');
  await screenshot(page, 'table-390');
  await page.setViewportSize({ width: 1280, height: 900 });

  // Run column by keyboard: the new run opens at once.
  await page.locator('body').focus();
  await tabTo(page, 'button[aria-label="Run column size_class"]');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => /\/runs\/[^/]+$/.test(u.pathname) && !u.pathname.includes(first.id));
  const secondId = new URL(page.url()).pathname.split('/').pop()!;
  await page.locator('[data-testid=run-status]').waitFor();
  const second = await client.getRun(secondId);
  assert.equal(second.trigger.type, 'manual');
  await waitForRun(client, secondId, 120_000);

  // Markup and very long text: as text, cut cleanly, no overflow, no script run.
  const long = 'L'.repeat(5000);
  const csv = `name,area_km2,${MARKUP}\n"${SCRIPT}",500,${MARKUP}\n"${MARKUP}",-1,x\n${long},7,${long}\n`;
  const tableName = `${SCRIPT}${MARKUP}${'N'.repeat(140)}`;
  const nasty = await client.importTable(tableName, 'csv', csv);
  await client.addColumn(nasty.id, example as Parameters<typeof client.addColumn>[1]);
  const run = await client.startColumnRun(nasty.id, 'size_class');
  await waitForRun(client, run.id, 60_000);
  await page.goto(`${server.url}/tables`);
  const link = page.locator(`tr[data-table-id="${nasty.id}"] a`);
  assert.equal(await link.textContent(), tableName);
  await screenshot(page, 'tables-1280');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await hasHorizontalOverflow(page), false, 'tables list overflows at 390 px');
  await screenshot(page, 'tables-390');
  await link.click();
  await page.getByTestId('row-range').getByText('Rows 1–3').waitFor();
  assert.equal(await hasHorizontalOverflow(page), false, 'markup table overflows at 390 px');
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.equal(await hasHorizontalOverflow(page), false, 'markup table overflows at 1280 px');
  const rows = page.locator('[data-testid=table-grid] tbody tr');
  assert.match((await rows.nth(0).textContent()) ?? '', /<script>alert\(2\)<\/script>/);
  assert.match((await rows.nth(2).textContent()) ?? '', /L{100}…/);
  await rows
    .nth(1)
    .getByRole('button', { name: /failed/ })
    .click();
  await drawer.getByTestId('cell-error').waitFor();
  assert.ok(((await drawer.getByTestId('cell-error').textContent()) ?? '').includes(MARKUP), 'the error names the markup as text');
  assert.ok(((await drawer.getByTestId('cell-inputs').textContent()) ?? '').includes(MARKUP));
  assert.equal(await page.locator('main img, aside img').count(), 0, 'markup became an element');
  assert.equal(await page.locator('body script').count(), await page.locator('body > script').count());
  await screenshot(page, 'table-markup-1280');

  traps.assertClean();
  t.diagnostic(`tables flow took ${Date.now() - started} ms`);
});
