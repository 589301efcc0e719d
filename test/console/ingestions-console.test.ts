/**
 * The Ingestions page end to end in a real Chromium against a real `runyard up` (fresh SQLite
 * file, its own executor) and the ingestion example's API server (examples/ingestion/server.mjs,
 * a real process answering each page after 500 ms): the empty state; a bad definition refused
 * with the API's message naming the field; a cursor source over the example created through the
 * form; Run opens the run's pages, which arrive live (no reload) with their status and record
 * counts until the totals read 7 pages, 312 created; the source page lists the run. A source
 * over a provider whose page 2 keeps failing ends partial; Retry failed pages re-fetches it
 * and the page list follows it live to the end. Dry run on the source opens a preview of the
 * first page's 50 records, each "created", with nothing written; a live run shows its provider
 * summary (the API's host, 7 calls, 0 failures). Screenshots at 1280 and 390 px without sideways
 * overflow; dialog, page-error and CSP traps armed throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasHorizontalOverflow, openPage, screenshot } from '../helpers/browser.js';
import { startConsoleServer, waitForRun } from '../helpers/console.js';
import { startPagedApi } from '../helpers/paged-api.js';
import { startZonesExample } from '../helpers/zones-example.js';

test('console: ingestions — create a source, run it, pages arrive live, retry failed pages', { timeout: 300_000 }, async (t) => {
  const started = Date.now();
  const env = await startConsoleServer();
  t.after(() => env.close());
  const zones = await startZonesExample(500);
  t.after(() => zones.stop());
  const provider = await startPagedApi(30);
  t.after(() => provider.close());
  const { client, browser, server } = env;
  const { page, traps } = await openPage(browser);

  await page.goto(`${server.url}/ingestions`);
  await page.getByTestId('no-sources').waitFor();
  await page.getByTestId('no-tables').waitFor();
  const table = await client.importTable('zones', 'csv', 'zone,country_codes,coordinates,latitude,longitude,comments\n');
  await page.reload();
  await page.locator('select[aria-label=Table]:not([disabled])').waitFor();
  assert.equal(await page.getByLabel('Table', { exact: true }).inputValue(), table.id);

  // The form, field by field (each found by its label); first a records path the API refuses.
  await page.getByLabel('Name', { exact: true }).fill('tz zones');
  await page.getByLabel('API URL').fill(`${zones.url}/cursor/zones`);
  await page.getByLabel('Records path').fill('data..x');
  await page.getByLabel('Key field').fill('zone');
  assert.equal(await page.getByLabel('Pagination').inputValue(), 'cursor');
  await page.getByLabel('Cursor parameter').fill('cursor');
  await page.getByLabel('Next cursor path').fill('next_cursor');
  await page.getByLabel('Page size parameter').fill('limit');
  await page.getByLabel('Page size', { exact: true }).fill('50');
  await page.getByRole('button', { name: 'Create source' }).click();
  await page
    .locator('.ingest-form [role=alert]')
    .getByText(/records_path/)
    .waitFor();
  assert.equal((await client.listIngestions()).data.length, 0, 'nothing was created');
  await page.getByLabel('Records path').fill('data');
  await page.getByRole('button', { name: 'Create source' }).click();
  await page.getByTestId('source-created').waitFor();
  const [source] = (await client.listIngestions()).data;
  assert.ok(source);
  assert.deepEqual(source.definition.pagination, { type: 'cursor', param: 'cursor', cursor_path: 'next_cursor', size_param: 'limit' });
  const row = page.locator(`tr[data-source-id="${source.id}"]`);
  await row.waitFor();
  await screenshot(page, 'ingestions-1280');

  // Dry run: the first page only, its records with what writing each would do; nothing written.
  await row.getByRole('button', { name: 'Dry run tz zones' }).click();
  await page.waitForURL(/\/ingestions\/[^/]+\/runs\/[^/]+$/);
  const dryId = new URL(page.url()).pathname.split('/').pop()!;
  const preview = page.getByTestId('dry-run-preview');
  await preview.getByTestId('preview-counts').getByText('Would create 50, update 0, leave 0 unchanged. Nothing was written.').waitFor({ timeout: 60_000 });
  await page.getByTestId('run-mode').getByText('dry run').waitFor();
  await page
    .getByTestId('stopped')
    .getByText(/dry run: the first page fetched, nothing written/)
    .waitFor();
  const previewRows = preview.getByTestId('preview-records').locator('tbody tr');
  assert.equal(await previewRows.count(), 50);
  assert.deepEqual([await previewRows.first().getAttribute('data-key'), await previewRows.first().getAttribute('data-action')], ['Europe/Andorra', 'created']);
  assert.match((await previewRows.first().textContent()) ?? '', /"country_codes":"AD"/);
  assert.equal((await client.getRun(dryId)).mode, 'dry_run');
  assert.equal((await client.getTable(table.id)).row_count, 0, 'a dry run writes nothing');
  assert.deepEqual(
    (await client.listItems(dryId)).data.map((i) => i.key),
    ['page:1'],
    'one page fetched',
  );
  await screenshot(page, 'ingestion-dry-run-1280');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await hasHorizontalOverflow(page), false, 'dry run preview overflows at 390 px');
  await screenshot(page, 'ingestion-dry-run-390');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${server.url}/ingestions`);
  await row.waitFor();

  // Run: the run's pages open at once and fill in live.
  await row.getByRole('button', { name: 'Run tz zones', exact: true }).click();
  await page.waitForURL(/\/ingestions\/[^/]+\/runs\/[^/]+$/);
  const runId = new URL(page.url()).pathname.split('/').pop()!;
  await page.evaluate('window.__sameDocument = true');
  const pages = page.getByTestId('pages');
  const summary = page.getByTestId('summary-text');
  // A page done while the run still runs: the list is redrawn as pages arrive, not at the end.
  await pages.locator('tr[data-page="page:2"]').getByText('succeeded').waitFor();
  const midway = await client.getRun(runId);
  assert.ok(!['succeeded', 'partial', 'failed'].includes(midway.status), `page 2 shown only after the run ended (${midway.status})`);
  assert.match((await pages.locator('tr[data-page="page:1"]').textContent()) ?? '', /page:1succeeded150/);
  await summary.getByText('7 pages fetched, 0 failed · 312 created, 0 updated, 0 unchanged').waitFor({ timeout: 60_000 });
  await page.getByTestId('run-status').getByText('succeeded').waitFor();
  assert.equal(await pages.locator('tbody tr').count(), 7);
  assert.match((await pages.locator('tr[data-page="page:7"]').textContent()) ?? '', /page:7succeeded112/, 'the last page holds 12 records');
  assert.equal(await page.evaluate('window.__sameDocument'), true, 'the run page was reloaded');
  assert.equal((await client.getTable(table.id)).row_count, 312);
  // The provider summary: the example API's host, one call a page.
  const providerRow = page.getByTestId('providers').locator(`tr[data-provider="${new URL(zones.url).host}"]`);
  await providerRow.waitFor();
  assert.match((await providerRow.textContent()) ?? '', new RegExp(`^${new URL(zones.url).host}70`), 'calls 7, failures 0');
  assert.equal(await page.getByTestId('dry-run-preview').count(), 0, 'a live run has no preview');
  await screenshot(page, 'ingestion-run-1280');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await hasHorizontalOverflow(page), false, 'ingestion run page overflows at 390 px');
  await screenshot(page, 'ingestion-run-390');
  await page.setViewportSize({ width: 1280, height: 900 });

  // The source page lists the run with its totals.
  await page.getByRole('link', { name: 'Source' }).click();
  await page
    .getByTestId('source-runs')
    .locator(`li[data-run-id="${runId}"]`)
    .getByText(/7 pages fetched, 0 failed · 312 created/)
    .waitFor();
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await hasHorizontalOverflow(page), false, 'source page overflows at 390 px');
  await page.goto(`${server.url}/ingestions`);
  await row.waitFor();
  assert.equal(await hasHorizontalOverflow(page), false, 'ingestions page overflows at 390 px');
  await screenshot(page, 'ingestions-390');
  await page.setViewportSize({ width: 1280, height: 900 });

  // A page that keeps failing: the run ends partial; Retry failed pages fetches it again, live.
  const flaky = await client.importTable('flaky', 'csv', 'id\n');
  const failing = await client.createIngestion({
    name: 'flaky provider',
    table_id: flaky.id,
    request: { url: `${provider.url}/cursor` },
    records_path: 'items',
    key_field: 'id',
    pagination: { type: 'cursor', cursor_path: 'next', size_param: 'limit' },
    page_size: 10,
  });
  provider.failing.add(2);
  const partial = await client.runIngestion(failing.id, {});
  await waitForRun(client, partial.run.id, 120_000);
  await page.goto(`${server.url}/ingestions/${failing.id}/runs/${partial.run.id}`);
  await page.getByTestId('run-status').getByText('partial').waitFor();
  await summary.getByText(/^1 pages fetched, 1 failed/).waitFor();
  assert.match((await pages.locator('tr[data-page="page:2"]').textContent()) ?? '', /failed.*http_500/);
  provider.heal();
  await page.getByRole('button', { name: 'Retry failed pages' }).click();
  await summary.getByText('3 pages fetched, 0 failed · 30 created, 0 updated, 0 unchanged').waitFor({ timeout: 60_000 });
  await page.getByTestId('run-status').getByText('succeeded').waitFor();

  traps.assertClean();
  t.diagnostic(`ingestions flow took ${Date.now() - started} ms`);
});
