/**
 * Hostile text in the console (issue 6, "bad input"): a table name, a run name, item
 * outputs and an error message that carry markup and scripts, and 5,000-character values,
 * render as text — no script runs (a JS dialog, an uncaught error or a CSP violation fails
 * the test), no injected element appears, long text is cut with an ellipsis, and the page
 * never grows sideways at 390 px. An API error shows its message in place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { assertNoOverflow, openPage, screenshot, type Traps } from '../helpers/browser.js';
import { startConsoleServer, waitForRun } from '../helpers/console.js';
import { tempDir, writeModule } from '../helpers/fixtures.js';

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(2)</script>';
const LONG = 'W'.repeat(5000);
const LONG_ERROR = `<img src=x onerror=alert(3)> ${'L'.repeat(5000)}`;
const TABLE_NAME = `${IMG}<b>tbl</b>`;
const RUN_NAME = `${SCRIPT}${IMG}${'N'.repeat(140)}`;

/** No element the canaries could have injected exists; the only script is the console bundle. */
async function assertNoInjection(page: Page, traps: Traps): Promise<void> {
  assert.equal(await page.locator('img').count(), 0, 'an <img> was injected');
  assert.equal(await page.locator('b:has-text("tbl")').count(), 0, 'a <b> was injected');
  assert.equal(await page.locator('script:not([src])').count(), 0, 'an inline <script> was injected');
  traps.assertClean();
}

test('console: markup, scripts and 5,000-character values render as text without breaking the layout', { timeout: 240_000 }, async (t) => {
  const moduleDir = tempDir();
  const env = await startConsoleServer(['--js-dir', moduleDir]);
  t.after(() => env.close());
  const { client, browser, server } = env;
  const module = writeModule(
    moduleDir,
    'echo.mjs',
    `export default (input) => {
      if (input.kind === 'fail') throw Object.assign(new Error(input.text), { code: 'canary_failure', retryable: false });
      return input.text;
    };`,
  );
  const rows = [
    { kind: 'ok', text: IMG },
    { kind: 'ok', text: SCRIPT },
    { kind: 'ok', text: LONG },
    { kind: 'fail', text: LONG_ERROR },
  ];
  const table = await client.importTable(TABLE_NAME, 'json', JSON.stringify(rows));
  await client.addColumn(table.id, { name: 'echo', producer: 'js', config: { module, input: { kind: '{{kind}}', text: '{{text}}' } } });
  const run = await waitForRun(client, (await client.startColumnRun(table.id, 'echo', { name: RUN_NAME })).id);
  assert.equal(run.status, 'partial');
  // A second run named after the table (the default name carries the table's markup).
  await waitForRun(client, (await client.startColumnRun(table.id, 'echo')).id);

  for (const width of [1280, 390]) {
    const { page, traps } = await openPage(browser, { width, height: 900 });
    await page.goto(`${server.url}/runs`);
    await page.locator(`tr[data-run-id="${run.id}"]`).waitFor();
    // The names are shown as the literal text.
    await page.getByRole('link', { name: RUN_NAME }).waitFor();
    await page.getByRole('link', { name: `${TABLE_NAME} · echo` }).waitFor();
    await assertNoOverflow(page, `runs page overflows at ${width} px`);
    await assertNoInjection(page, traps);
    await screenshot(page, `markup-runs-${width}`);

    await page.getByRole('link', { name: RUN_NAME }).click();
    await page.getByTestId('run-error').waitFor();
    assert.equal(await page.locator('#run-title').textContent(), RUN_NAME);
    // Long text is cut: the title keeps to one line with an ellipsis, the whole name in its tooltip.
    const titleBox = await page.locator('#run-title').boundingBox();
    assert.ok(titleBox && titleBox.height < 60 && titleBox.width <= width, `run title box ${JSON.stringify(titleBox)}`);
    assert.equal(await page.locator('#run-title').getAttribute('title'), RUN_NAME);
    // The 5,000-character error is cut until asked for, then shown whole, wrapped.
    const errorBox = page.getByTestId('run-error');
    assert.match((await errorBox.textContent()) ?? '', /<img src=x onerror=alert\(3\)> L{100}/);
    assert.ok(((await errorBox.boundingBox())?.height ?? 1e9) < 260, 'the long error is not cut');
    await errorBox.getByRole('button', { name: /Show all/ }).click();
    const expanded = (await errorBox.textContent()) ?? '';
    // (The engine keeps an error message's first 4,000 or so characters.)
    assert.ok(expanded.includes('L'.repeat(3500)), `Show all shows the whole error: ${expanded.length} characters`);
    await assertNoOverflow(page, `expanded error overflows at ${width} px`);
    await errorBox.getByRole('button', { name: 'Show less' }).click();
    const rowsShown = page.locator('[data-testid=items-list] button.vrow');
    await rowsShown.nth(3).waitFor();
    assert.match((await rowsShown.nth(0).textContent()) ?? '', /<img src=x onerror=alert\(1\)>/);
    assert.match((await rowsShown.nth(1).textContent()) ?? '', /<script>alert\(2\)<\/script>/);
    for (let i = 0; i < 4; i++) {
      const box = await rowsShown.nth(i).boundingBox();
      assert.ok(box && box.height <= 40, `item row ${i} grew to ${JSON.stringify(box)}`);
    }
    await assertNoOverflow(page, `run detail overflows at ${width} px`);
    await assertNoInjection(page, traps);

    // The drawer of the 5,000-character output and of the failed item.
    await rowsShown.nth(2).click();
    await page.getByTestId('item-outputs').getByText(LONG.slice(0, 100), { exact: false }).waitFor();
    await assertNoOverflow(page, `item drawer overflows at ${width} px`);
    await page.getByRole('button', { name: 'Close' }).click();
    await rowsShown.nth(3).click();
    await page.getByTestId('item-error').waitFor();
    assert.match((await page.getByTestId('item-error').textContent()) ?? '', /<img src=x onerror=alert\(3\)>/);
    await assertNoOverflow(page, `failed item drawer overflows at ${width} px`);
    await screenshot(page, `markup-item-${width}`);
    await page.getByRole('button', { name: 'Close' }).click();

    // Events and timeline carry the same text.
    await page.getByRole('tab', { name: 'Events' }).click();
    await page.getByTestId('events').waitFor();
    await page.getByRole('tab', { name: 'Timeline' }).click();
    await page.getByTestId('timeline').waitFor();
    await assertNoOverflow(page, `timeline overflows at ${width} px`);
    await assertNoInjection(page, traps);
    await page.context().close();
  }

  // An API error shows its message in place.
  const { page, traps } = await openPage(browser);
  await page.goto(`${server.url}/runs/run_does_not_exist`);
  await page.getByRole('alert').getByText('run "run_does_not_exist" was not found').waitFor();
  await page.goto(`${server.url}/runs?status=${encodeURIComponent('<img src=x onerror=alert(9)>')}`);
  await page.getByRole('alert').getByText('status: unknown value', { exact: false }).waitFor();
  await assertNoInjection(page, traps);

  // The traps can fire: a dialog is caught, and the CSP refuses an inline script.
  await page.evaluate('setTimeout(() => alert("trap check"), 0)');
  await page.waitForTimeout(200);
  assert.deepEqual(traps.dialogs, ['alert: trap check']);
  await page.evaluate(`(() => { const s = document.createElement('script'); s.textContent = 'window.__ran = true'; document.body.append(s); })()`);
  await page.waitForTimeout(200);
  assert.equal(await page.evaluate('window.__ran === true'), false, 'the CSP let an inline script run');
  assert.equal(traps.cspViolations.length, 1, 'the CSP violation was reported');
  assert.throws(() => traps.assertClean(), /dialog: alert: trap check/);
});
