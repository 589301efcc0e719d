/**
 * The manual run form end to end in a real Chromium against a real `runyard up` (fresh SQLite
 * file, its own executor): every control labelled and reachable by keyboard; a refused env name
 * (PATH) is shown in place next to the overrides and the typed secret is already gone from the
 * form; then a run with a prompt, a workload profile, an env value and a canary secret is
 * queued and its run detail opens at once. The canary is never seen again: not in the form, not
 * in the run detail's DOM, not in any API response the pages fetched (only in the one request
 * that sent it, which proves the scan can find it), and not in the API's run, item, event and
 * cell answers. The run name holds markup that must render as text. Screenshots at 1280 and
 * 390 px without sideways overflow; dialog, page-error and CSP traps armed throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page, Response } from 'playwright-core';
import { hasHorizontalOverflow, openPage, screenshot } from '../helpers/browser.js';
import { findCanaries, scanPaths } from '../helpers/canary.js';
import { loadCountries, startConsoleServer, tabTo, waitForRun } from '../helpers/console.js';

const CANARY = 'canary-console-7f3a9c2e51d4';
const MARKUP_NAME = '<img src=x onerror=alert(1)><script>alert(2)</script> manual';

/** Collects the text of every API response a page reads (streams are skipped: they never end). */
function recordResponses(page: Page): { bodies: { url: string; text: string }[]; pending: Promise<void>[] } {
  const rec = { bodies: [] as { url: string; text: string }[], pending: [] as Promise<void>[] };
  page.on('response', (res: Response) => {
    const url = res.url();
    if (url.includes('follow=true')) return;
    rec.pending.push(
      res.text().then(
        (text) => void rec.bodies.push({ url, text }),
        () => undefined,
      ),
    );
  });
  return rec;
}

test('console: manual run form — prompt, profile, overrides; the secret is never shown again', { timeout: 240_000 }, async (t) => {
  const started = Date.now();
  const env = await startConsoleServer();
  t.after(() => env.close());
  const { client, browser, server } = env;
  const { page, traps } = await openPage(browser);
  // No tables yet: the form says what to do first, and Queue run is off.
  await page.goto(`${server.url}/runs/new`);
  await page.getByTestId('no-tables').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Queue run' }).isDisabled(), true);
  const tableId = await loadCountries(client);

  const responses = recordResponses(page);
  const sent: string[] = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/v1/runs') sent.push(req.postData() ?? '');
  });
  await page.goto(`${server.url}/runs/new`);
  await page.getByRole('heading', { name: 'New run' }).waitFor();

  // Labelled controls: each is found by its label.
  await page.getByLabel('Table', { exact: true }).waitFor();
  assert.equal(await page.getByLabel('Table', { exact: true }).inputValue(), tableId);
  await page.getByLabel('Column', { exact: true }).locator('option', { hasText: 'size_class' }).waitFor({ state: 'attached' });
  assert.equal(await page.getByLabel('Column', { exact: true }).inputValue(), 'size_class');
  const profiles = await page.getByLabel('Workload profile (optional)').locator('option').allTextContents();
  assert.match(profiles[0] ?? '', /^Default \(column's: standard\)/);
  assert.deepEqual(
    profiles.slice(1).map((p) => p.split(' ')[0]),
    ['small', 'standard', 'large'],
  );

  // Keyboard: Tab into the prompt and type; choose the profile; open the overrides with Enter.
  await page.locator('body').focus();
  await tabTo(page, 'textarea');
  await page.keyboard.type('Classify every country by area.');
  await page.getByLabel('Run name (optional)').fill(MARKUP_NAME);
  await page.getByLabel('Workload profile (optional)').selectOption('small');
  await tabTo(page, 'summary');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Add env value' }).click();
  await page.getByLabel('Env 1 name').fill('PATH');
  await page.getByLabel('Env 1 value').fill('/tmp/evil');
  await tabTo(page, 'button:has-text("Add secret")');
  await page.keyboard.press('Enter');
  const secretName = page.getByLabel('Secret 1 name');
  const secretValue = page.getByLabel('Secret 1 value');
  await secretName.fill('API_TOKEN');
  await secretValue.fill(CANARY);
  assert.equal(await secretValue.getAttribute('type'), 'password');
  assert.equal(await secretValue.getAttribute('autocomplete'), 'off');

  // Screenshots of the filled form (the secret shows as dots) at 1280 and 390 px.
  await screenshot(page, 'manual-run-1280');
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await hasHorizontalOverflow(page), false, 'manual run form overflows at 390 px');
  await screenshot(page, 'manual-run-390');
  await page.setViewportSize({ width: 1280, height: 900 });

  // A refused env name: the API's message in place next to the env overrides; still on the form,
  // and the secret value has already left the form.
  await page.getByRole('button', { name: 'Queue run' }).click();
  const envError = page.getByTestId('env-overrides').locator('xpath=following-sibling::*[1][@role="alert"]');
  await envError.waitFor();
  assert.match((await envError.textContent()) ?? '', /overrides\.env\.PATH/);
  assert.match(page.url(), /\/runs\/new$/);
  assert.equal(await secretValue.inputValue(), '', 'the secret is still in the form after submit');
  assert.equal(await secretName.inputValue(), 'API_TOKEN', 'the secret name stays');
  assert.equal(findCanaries('form after a refused submit', await page.content(), [CANARY]).length, 0);

  // Fix the env name, type the secret again, queue: the run detail opens at once.
  await page.getByLabel('Env 1 name').fill('MODE');
  await page.getByLabel('Env 1 value').fill('fast');
  await secretValue.fill(CANARY);
  const submitted = Date.now();
  await page.getByRole('button', { name: 'Queue run' }).click();
  await page.waitForURL(/\/runs\/(?!new$)[^/?]+$/);
  const runId = new URL(page.url()).pathname.split('/').pop()!;
  await page.locator('[data-testid=run-status]').waitFor();
  t.diagnostic(`queue → run detail shown in ${Date.now() - submitted} ms`);

  // The run carries what the form sent; secrets by name only.
  const run = await client.getRun(runId);
  assert.equal(run.trigger.type, 'manual');
  assert.equal(run.prompt, 'Classify every country by area.');
  assert.equal(run.name, MARKUP_NAME);
  assert.equal(run.profile, 'small');
  assert.deepEqual(run.overrides, { env: { MODE: 'fast' }, secret_names: ['API_TOKEN'] });
  await waitForRun(client, runId, 120_000);
  await page.locator('[data-testid=run-status]').getByText('partial').waitFor({ timeout: 60_000 });

  // Markup in the run name is text, not elements.
  await page.getByText(MARKUP_NAME).first().waitFor();
  assert.equal(await page.locator('main img').count(), 0);

  // The canary: never in the run detail, nor in any response the page read, nor in the API.
  assert.equal(sent.length, 2, 'two POST /v1/runs were sent');
  assert.ok(findCanaries('request', sent[1]!, [CANARY]).length > 0, 'the scan finds the canary where it was sent');
  assert.deepEqual(findCanaries('run detail DOM', await page.content(), [CANARY]), []);
  await Promise.all(responses.pending);
  assert.ok(
    responses.bodies.some((b) => b.url.includes(`/v1/runs/${runId}`)),
    'the run detail responses were recorded',
  );
  const leaks = responses.bodies.flatMap((b) => findCanaries(b.url, b.text, [CANARY]));
  assert.deepEqual(leaks, []);
  const rows = await client.listRows(tableId, { limit: 5 });
  for (const path of scanPaths({ runIds: [runId], tableId, rowIds: rows.data.map((r) => r.id), columns: ['size_class'] })) {
    const res = await server.fetch(`${server.url}${path}`);
    assert.equal(res.status, 200, path);
    assert.deepEqual(findCanaries(path, await res.text(), [CANARY]), []);
  }

  // Back to the form: the secret is not there either.
  await page.goBack();
  await page.getByRole('heading', { name: 'New run' }).waitFor();
  assert.deepEqual(findCanaries('form after submit', await page.content(), [CANARY]), []);

  traps.assertClean();
  t.diagnostic(`manual run flow took ${Date.now() - started} ms`);
});
