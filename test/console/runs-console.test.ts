/**
 * The console end to end in a real Chromium against a real `runyard up` (fresh SQLite file,
 * no executor of its own, so a run first waits and a `runyard worker` then runs it):
 * "no runs yet", the waiting reason of a queued run, watching the run finish live (SSE, no
 * reload), filtering failed items and opening one, retry failed from the run (keyboard only)
 * and in bulk from the Runs page (with confirmation), filters kept in the URL across a
 * reload, the CSV and JSON export of the filtered view, tabs by keyboard, and screenshots at
 * 1280 and 390 px without sideways overflow. Every page fails the test on a JS dialog, an
 * uncaught error or a CSP violation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoOverflow, layoutShift, openPage, screenshot, watchLayoutShift } from '../helpers/browser.js';
import { root, spawnWorker, type WorkerProcess } from '../helpers/cluster.js';
import { download, loadCountries, startConsoleServer, tabTo, waitForRun } from '../helpers/console.js';

test('console: a column run from queued to finished, live; failed items; retry; filters; export', { timeout: 300_000 }, async (t) => {
  const started = Date.now();
  const env = await startConsoleServer(['--no-executor']);
  const spawned: { worker?: WorkerProcess } = {};
  t.after(async () => {
    await spawned.worker?.kill();
    await env.close();
  });
  const { client, browser, server } = env;

  // Runs page before anything: the empty state in words.
  const list = await openPage(browser);
  await list.page.goto(`${server.url}/runs`);
  await list.page.getByText('No runs yet.').waitFor();
  assert.match((await list.page.textContent('[data-testid=empty]')) ?? '', /Import a table and run a column/);

  // A column run with no node alive: queued, and the page says why.
  const tableId = await loadCountries(client);
  const run = await client.startColumnRun(tableId, 'size_class', { name: 'countries size class' });
  const detail = await openPage(browser);
  await detail.page.goto(`${server.url}/runs/${run.id}`);
  await detail.page.locator('[data-testid=waiting]').getByText('no executor node is running').waitFor();
  assert.match((await detail.page.textContent('[data-testid=waiting]')) ?? '', /^queued (just now|for .+): no executor node is running/);
  // The Runs page shows the new run live (SSE), with the same reason, without a reload.
  const row = list.page.locator(`tr[data-run-id="${run.id}"]`);
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /queued.*no executor node is running/);
  await detail.page.evaluate('window.__sameDocument = true');
  await list.page.evaluate('window.__sameDocument = true');
  // While rows update live, nothing in the runs table or the items list may jump.
  await watchLayoutShift(list.page, 'table.runs-table');
  await watchLayoutShift(detail.page, '[data-testid=items-list], .head-progress');

  // A worker on the same database runs it; both pages follow to the end without reloading.
  // Relative module paths (examples/…) resolve against the js directory, as on `up`.
  spawned.worker = await spawnWorker(env.database, [], { RUNYARD_JS_DIR: root });
  await detail.page.locator('[data-testid=run-status]').getByText('partial').waitFor({ timeout: 60_000 });
  await detail.page.getByText('250 / 250 (1 failed)').first().waitFor();
  await detail.page.getByTestId('live-state').filter({ hasText: 'Finished' }).waitFor();
  await row.getByText('partial').waitFor({ timeout: 30_000 });
  assert.equal(await detail.page.evaluate('window.__sameDocument'), true, 'the run page was reloaded');
  assert.equal(await list.page.evaluate('window.__sameDocument'), true, 'the runs page was reloaded');
  for (const [name, p] of [
    ['runs table', list.page],
    ['run items', detail.page],
  ] as const) {
    const shift = await layoutShift(p);
    t.diagnostic(`layout shift in the ${name} while live: ${shift.score.toFixed(4)}`);
    assert.ok(shift.score < 0.01, `the ${name} jumped while live (shift ${shift.score}): ${shift.moved.join('; ')}`);
  }
  assert.match((await detail.page.textContent('[data-testid=run-error]')) ?? '', /missing_area.*Svalbard and Jan Mayen/);
  assert.match((await detail.page.textContent('[data-testid=run-summary]')) ?? '', /249 succeeded, 1 failed/);

  // Items tab: filter failed items (kept in the URL), open the one failed item.
  await detail.page.selectOption('select[aria-label="Item status filter"]', 'failed');
  await detail.page.getByTestId('item-count').getByText('1 item failed').waitFor();
  assert.match(detail.page.url(), /[?&]items=failed/);
  const failedRow = detail.page.locator('[data-testid=items-list] button.vrow');
  assert.equal(await failedRow.count(), 1);
  assert.match((await failedRow.textContent()) ?? '', /Svalbard and Jan Mayen/);
  await failedRow.click();
  const drawer = detail.page.getByTestId('item-drawer');
  await drawer.getByTestId('item-error').waitFor();
  assert.match((await drawer.getByTestId('item-error').textContent()) ?? '', /missing_area \(not retryable\)/);
  assert.match((await drawer.getByTestId('item-inputs').textContent()) ?? '', /"name": "Svalbard and Jan Mayen"/);
  await drawer.locator('tbody tr').first().waitFor();
  assert.match((await drawer.locator('tbody tr').first().textContent()) ?? '', /^1failed/);
  await detail.page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'detached' });

  // Screenshots of the run detail at 1280 and 390 px; nothing spills sideways.
  await screenshot(detail.page, 'run-detail-1280');
  await detail.page.setViewportSize({ width: 390, height: 844 });
  await assertNoOverflow(detail.page, 'run detail overflows at 390 px');
  await screenshot(detail.page, 'run-detail-390');
  await detail.page.setViewportSize({ width: 1280, height: 900 });

  // Retry failed from the run page with the keyboard only: Tab to the button, Enter, Enter.
  await detail.page.locator('body').focus();
  await tabTo(detail.page, 'button:has-text("Retry failed")');
  await detail.page.keyboard.press('Enter');
  const dialog = detail.page.locator('dialog.confirm[open]');
  await dialog.waitFor();
  assert.match((await dialog.textContent()) ?? '', /1 failed item will run again/);
  await detail.page.keyboard.press('Enter');
  await detail.page.getByText('1 failed item queued again').waitFor();
  await dialog.waitFor({ state: 'detached' });
  await waitForRun(client, run.id, 60_000, (r) => r.status === 'partial' && r.items_failed === 1);
  // The drawer shows the second attempt once the live stream reports it.
  await detail.page.locator('[data-testid=items-list] button.vrow').click();
  await drawer.locator('tbody tr').nth(1).waitFor({ timeout: 30_000 });
  assert.match((await drawer.locator('tbody tr').nth(1).textContent()) ?? '', /^2failed/);
  await detail.page.getByRole('button', { name: 'Close' }).click();

  // Tabs by keyboard: Items → Timeline → Events with the arrow keys.
  await tabTo(detail.page, '#tab-items');
  await detail.page.keyboard.press('ArrowRight');
  await detail.page.getByTestId('timeline').waitFor();
  await detail.page.getByTestId('timeline').getByText('250 of 250', { exact: true }).waitFor();
  await detail.page.keyboard.press('ArrowRight');
  // The newest events arrived live (the first page holds the oldest 200).
  await detail.page.getByTestId('events').getByText('run.retry_failed', { exact: true }).waitFor();

  // A second, different run so that filters have something to exclude.
  const other = await client.startColumnRun(tableId, 'size_class', { name: 'dry run of size class', mode: 'dry_run' });
  await waitForRun(client, other.id);
  await list.page.locator(`tr[data-run-id="${other.id}"]`).waitFor({ timeout: 30_000 });

  // Filters live in the URL and survive a reload.
  await list.page.selectOption('select >> nth=0', 'partial');
  await list.page.getByLabel('Name').fill('size class');
  await list.page.locator(`tr[data-run-id="${other.id}"]`).waitFor({ state: 'detached' });
  assert.match(list.page.url(), /[?&]status=partial/);
  assert.match(list.page.url(), /[?&]q=size\+class/);
  await list.page.reload();
  await list.page.locator(`tr[data-run-id="${run.id}"]`).waitFor();
  assert.equal(await list.page.locator(`tr[data-run-id="${other.id}"]`).count(), 0);
  assert.equal(await list.page.locator('select >> nth=0').inputValue(), 'partial');
  assert.equal(await list.page.getByLabel('Name').inputValue(), 'size class');
  await list.page.getByTestId('run-count').getByText('1 run match').waitFor();

  // Export of the filtered view: CSV and JSON hold exactly the run shown.
  const csv = await download(list.page, () => list.page.getByRole('link', { name: 'Export CSV' }).click());
  const lines = csv.text.trim().split(/\r?\n/);
  assert.match(lines[0] ?? '', /^id,name,kind,status,mode/);
  assert.equal(lines.length, 2, csv.text);
  assert.ok(lines[1]?.startsWith(`${run.id},countries size class,column,partial,live`), lines[1]);
  assert.match(csv.filename, /^runs_.*\.csv$/);
  const json = await download(list.page, () => list.page.getByRole('link', { name: 'Export JSON' }).click());
  const exported = JSON.parse(json.text) as { runs: { id: string }[] };
  assert.deepEqual(
    exported.runs.map((r) => r.id),
    [run.id],
  );

  // Bulk retry failed from the Runs page, after a confirmation naming the run.
  await list.page.getByLabel('Select run countries size class').check();
  await list.page.getByRole('button', { name: 'Retry failed', exact: true }).click();
  const bulk = list.page.locator('dialog.confirm[open]');
  await bulk.waitFor();
  assert.match((await bulk.textContent()) ?? '', /retry the failed items of 1 selected run/);
  assert.match((await bulk.textContent()) ?? '', /countries size class/);
  await bulk.getByRole('button', { name: 'Retry failed 1' }).click();
  await list.page.getByText('1 run retried').waitFor();
  await waitForRun(client, run.id, 60_000, (r) => r.status === 'partial');
  const retries = (await client.listEvents(run.id)).data.filter((e) => e.type === 'run.retry_failed');
  assert.equal(retries.length, 2, 'one retry from the run page, one in bulk');

  // Screenshots of the Runs page at 1280 and 390 px; nothing spills sideways.
  await screenshot(list.page, 'runs-1280');
  await list.page.setViewportSize({ width: 390, height: 844 });
  await assertNoOverflow(list.page, 'runs page overflows at 390 px');
  await screenshot(list.page, 'runs-390');

  await list.page.setViewportSize({ width: 1280, height: 900 });

  // Run controls on the run page, with no node running: pause, resume, cancel, rerun, delete.
  await spawned.worker?.kill();
  const third = await client.startColumnRun(tableId, 'size_class', { name: 'controls' });
  const status = detail.page.getByTestId('run-status');
  await detail.page.goto(`${server.url}/runs/${third.id}`);
  await status.getByText('queued').waitFor();
  await detail.page.getByRole('button', { name: 'Pause', exact: true }).click();
  await status.getByText('paused').waitFor();
  await detail.page.getByRole('button', { name: 'Resume', exact: true }).click();
  await status.getByText('queued').waitFor();
  await detail.page.getByRole('button', { name: 'Cancel run' }).click();
  await detail.page.locator('dialog.confirm[open]').getByRole('button', { name: 'Cancel run' }).click();
  await status.getByText('canceled').waitFor();
  await detail.page.getByRole('button', { name: 'Rerun' }).click();
  await detail.page.waitForURL((u) => /^\/runs\/run_/.test(u.pathname) && !u.pathname.endsWith(third.id));
  const rerun = await client.getRun(detail.page.url().split('/runs/')[1]!.split('?')[0]!);
  assert.equal(rerun.retry_of, third.id);
  await status.getByText('queued').waitFor();
  await detail.page.goto(`${server.url}/runs/${third.id}`);
  await detail.page.getByRole('button', { name: 'Delete', exact: true }).click();
  const del = detail.page.locator('dialog.confirm[open]');
  // A destructive confirmation starts on Cancel: Enter does not delete.
  assert.equal(await del.locator('button:focus').textContent(), 'Cancel');
  await del.getByRole('button', { name: 'Delete run' }).click();
  await detail.page.waitForURL((u) => u.pathname === '/runs');
  await assert.rejects(client.getRun(third.id), /not found/);

  // Bulk cancel and bulk delete from the Runs page (the rerun is still queued).
  await list.page.getByRole('button', { name: 'Clear filters' }).click();
  await list.page.locator(`tr[data-run-id="${rerun.id}"]`).waitFor();
  await list.page.locator(`tr[data-run-id="${rerun.id}"] input[type=checkbox]`).check();
  await list.page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await list.page.locator('dialog.confirm[open]').getByRole('button', { name: 'Cancel 1' }).click();
  await list.page.getByText('1 run canceled').waitFor();
  assert.equal((await client.getRun(rerun.id)).status, 'canceled');
  for (const id of [rerun.id, other.id]) await list.page.locator(`tr[data-run-id="${id}"] input[type=checkbox]`).check();
  await list.page.getByRole('button', { name: 'Delete', exact: true }).click();
  await list.page.locator('dialog.confirm[open]').getByRole('button', { name: 'Delete 2' }).click();
  await list.page.getByText('2 runs deleted').waitFor();
  await list.page.locator(`tr[data-run-id="${other.id}"]`).waitFor({ state: 'detached' });
  assert.deepEqual(
    (await client.listRuns()).data.map((r) => r.id),
    [run.id],
  );

  list.traps.assertClean();
  detail.traps.assertClean();
  t.diagnostic(`console flow took ${Date.now() - started} ms`);
});
