/**
 * A 100,000-item run in the console: the Items tab is virtualized, so it scrolls from the
 * first item to the last while fetching only the slices in view — the test counts the item
 * rows the API returned and the rows in the DOM, and refuses any whole-list request. The
 * run waits on a server with no executor, so the Runs page shows its waiting reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoOverflow, openPage, screenshot } from '../helpers/browser.js';
import { startConsoleServer } from '../helpers/console.js';

const N = 100_000;

test('console: the Items tab of a 100,000-item run scrolls end to end without loading all items', { timeout: 300_000 }, async (t) => {
  const env = await startConsoleServer(['--no-executor']);
  t.after(() => env.close());
  const { client, browser, server } = env;

  let csv = 'n,label\n';
  for (let i = 0; i < N; i++) csv += `${i},row ${i}\n`;
  const setup = Date.now();
  const table = await client.importTable('hundred thousand', 'csv', csv);
  await client.addColumn(table.id, {
    name: 'size',
    producer: 'js',
    config: { module: 'examples/size-class.mjs', input: { name: '{{label}}', area_km2: '{{n}}' } },
  });
  const run = await client.startColumnRun(table.id, 'size', { name: 'one hundred thousand items' });
  assert.equal(run.items_total, N);
  t.diagnostic(`100,000-row import and run creation: ${Date.now() - setup} ms`);

  const { page, traps } = await openPage(browser);
  // Every item request the page makes, and how many items they returned.
  const itemRequests: string[] = [];
  let itemsReturned = 0;
  const pending: Promise<void>[] = [];
  page.on('response', (res) => {
    const url = new URL(res.url());
    if (!url.pathname.startsWith(`/v1/runs/${run.id}/items`)) return;
    itemRequests.push(url.pathname + url.search);
    if (url.pathname.endsWith('/items/slice'))
      pending.push(
        res.json().then(
          (body: { data: unknown[] }) => void (itemsReturned += body.data.length),
          () => undefined,
        ),
      );
  });

  // The Runs page says why it waits.
  await page.goto(`${server.url}/runs`);
  const row = page.locator(`tr[data-run-id="${run.id}"]`);
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /queued (just now|for .+): no executor node is running/);
  assert.match((await row.textContent()) ?? '', /0 \/ 100,000/);

  await row.getByRole('link').click();
  await page.getByTestId('item-count').getByText('100,000 items').waitFor();
  const list = page.getByTestId('items-list');
  await list.locator('button.vrow').first().waitFor();

  /** Scrolls the list to `fraction` of its height and waits for the item at that position. */
  const scrollTo = async (fraction: number) => {
    const target = await list.evaluate((el, f) => {
      el.scrollTop = (el.scrollHeight - el.clientHeight) * f;
      return Math.floor(el.scrollTop / 36);
    }, fraction);
    const ordinal = Math.min(N - 1, target + 2);
    await list.locator('button.vrow', { has: page.locator(`span.num.mono:text-is("${ordinal}")`) }).waitFor({ timeout: 30_000 });
  };
  for (const f of [0.001, 0.01, 0.1, 0.37, 0.5, 0.83, 1]) await scrollTo(f);
  await list.locator('button.vrow', { has: page.locator(`span.num.mono:text-is("${N - 1}")`) }).waitFor();
  // Keyboard: the list takes focus and scrolls with Home.
  await list.focus();
  await page.keyboard.press('Home');
  await list.locator('button.vrow', { has: page.locator('span.num.mono:text-is("0")') }).waitFor();
  await Promise.all(pending);

  const domRows = await list.locator('.vrow').count();
  t.diagnostic(`item requests: ${itemRequests.length}, items returned: ${itemsReturned}, rows in the DOM: ${domRows}`);
  assert.ok(
    itemRequests.every((u) => u.includes('/items/slice?')),
    `a non-slice item request: ${itemRequests.find((u) => !u.includes('/items/slice?'))}`,
  );
  assert.ok(itemsReturned <= 3000, `${itemsReturned} items loaded for 8 views of a 100,000-item run`);
  assert.ok(itemRequests.length <= 40, `${itemRequests.length} item requests`);
  assert.ok(domRows <= 60, `${domRows} rows in the DOM`);
  await assertNoOverflow(page, 'the 100,000-item run page');
  await screenshot(page, 'run-detail-100k-items');
  traps.assertClean();
});
