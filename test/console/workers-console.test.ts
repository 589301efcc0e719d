/**
 * AI workers in the console end to end (issue 14 items 2, 6, 7 and 8), in a real Chromium
 * against a real `runyard up` (fresh SQLite file, its own executor) and the local
 * OpenAI-compatible server (test/helpers/fake-llm.ts): a triage worker created through the API
 * is listed on the Workers page and opens its overview (status, output mode and policy,
 * template, context sources, tool categories, read-only instructions). Paused from its page, a
 * run started from the Run form waits queued (worker paused) on its card; Resume releases it and
 * the card goes running → succeeded live, in the same document (the model's first answer is
 * held 3 s by the provider, so the end can only arrive through the live stream), with its linked
 * row (labelled by its first text field), output preview, tokens and cost. The linked row opens
 * on the table page with the worker's comment; the table's label field is set to `title` there,
 * and run cards, the run form and the run page's item list then name the row by its title.
 * **Edit** in the console: a refused limit is shown at its field and saves nothing; fixed, it
 * saves version 2 (shown), and version 1 still reads its own instructions. An API edit drops the
 * `policy` context source (v3); a second run's card and the first are compared side by side:
 * definition v1 / v3, the instructions diff, `policy` present in A and missing in B. A run the
 * provider refuses (401) shows the provider hint. Rerun and Retry failed ask first with the
 * output notice ("An earlier output exists: it will be replaced."): a canceled rerun starts
 * nothing, a confirmed retry turns the failed card succeeded live with its comment updated; the
 * run page's Rerun asks the same way. The Usage page draws recharts bars: the three runs in each
 * of the four windows, by target (named), by model and by provider. Screenshots at 1280 and 390
 * px without sideways overflow; dialog, page-error and CSP traps armed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { hasHorizontalOverflow, openPage, screenshot } from '../helpers/browser.js';
import { startConsoleServer, waitForRun } from '../helpers/console.js';
import { startFakeLlm, type ChatRequest } from '../helpers/fake-llm.js';

type Json = Record<string, unknown>;

async function noOverflowAt390(page: Page, what: string, shot?: string): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await hasHorizontalOverflow(page), false, `${what} overflows at 390 px`);
  if (shot) await screenshot(page, shot);
  await page.setViewportSize({ width: 1280, height: 900 });
}

const lastRole = (req: ChatRequest) => req.messages[req.messages.length - 1]?.role;

test(
  'console: workers — overview, a run card live from queued to succeeded, the linked row and its comment, compare two runs, usage',
  { timeout: 300_000 },
  async (t) => {
    const started = Date.now();
    // The model reads the subject row (a tool call), then answers with a triage comment that
    // quotes the policy when the policy source was in its context. Its first answer is held 3 s.
    const fake = await startFakeLlm({
      respond: (req, n) =>
        lastRole(req) === 'tool'
          ? { text: `Triage: P2 · owner identity team${/refund policy/.test(JSON.stringify(req.messages)) ? ' · refunds within 30 days' : ''}` }
          : { toolCalls: [{ id: `c${n}`, name: 'get_row', arguments: '{}' }], ...(n === 1 ? { delayMs: 3000 } : {}) },
    });
    t.after(() => fake.close());
    const env = await startConsoleServer();
    t.after(() => env.close());
    const { client, browser, server } = env;
    const { page, traps } = await openPage(browser);

    const table = await client.importTable('tickets', 'csv', 'ticket,title\nT1,Login fails for Ada\nT2,Refund for Bob\n');
    const rows = (await client.listRows(table.id, {})).data;
    const row1 = rows[0]!.id;
    const def: Json = {
      name: 'ticket triage',
      template_key: 'triage_ticket',
      instructions: 'Triage the ticket into a comment.\nQuote the refund policy when it applies.',
      model: { model: 'fake-model', base_url: fake.baseUrl, max_output_tokens: 256, max_input_tokens: 4000 },
      context_sources: [
        { type: 'subject_record', max_chars: 4000 },
        { type: 'static_text', name: 'policy', text: 'refund policy: refunds within 30 days' },
      ],
    };
    const worker = await client.createWorker(def);
    const wid = worker.id as string;

    // Usage before any run: the empty states, no chart.
    await page.goto(`${server.url}/usage`);
    await page.getByTestId('usage-empty').getByText('No runs in the last 30 days.', { exact: false }).waitFor();
    await page.getByTestId('usage-window-empty').waitFor();
    assert.equal(await page.locator('.recharts-surface').count(), 0);

    // Workers page → the worker's overview.
    await page.goto(`${server.url}/workers`);
    const listed = page.locator(`tr[data-worker-id="${wid}"]`);
    await listed.getByTestId('last-run').getByText('none').waitFor();
    assert.match((await listed.textContent()) ?? '', /ticket triage.*active.*task comment.*triage_ticket/);
    await noOverflowAt390(page, 'workers list', 'workers-390');
    await listed.getByRole('link', { name: 'ticket triage' }).click();
    await page.waitForURL(new RegExp(`/workers/${wid}$`));
    const overview = page.getByTestId('worker-overview');
    await overview.getByText('task comment · replace').waitFor();
    assert.match((await overview.textContent()) ?? '', /triage_ticket/);
    assert.equal(await page.getByTestId('tool-categories').textContent(), 'read records, write comments');
    assert.match((await page.getByTestId('context-sources').textContent()) ?? '', /subject_record.*policy.*static text.*refund policy/s);
    assert.equal(await page.getByTestId('instructions').textContent(), def.instructions);
    await page.getByTestId('no-runs').waitFor();
    await page.evaluate('window.__sameDocument = true');

    // Pause, then run from the form: the card waits queued (worker paused).
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByTestId('paused-note').waitFor();
    assert.equal((await client.getWorker(wid)).status, 'paused');
    const form = page.getByRole('form', { name: 'Run this worker' });
    await form.getByLabel('Subject row').selectOption(row1);
    assert.match((await form.getByLabel('Subject row').locator('option:checked').textContent()) ?? '', /^T1 \(/, 'rows are labelled by their first text field');
    await form.getByRole('button', { name: 'Run' }).click();
    await form.getByTestId('output-notice').waitFor();
    const queued = page.locator('li.run-card[data-status="queued"]');
    await queued.waitFor();
    const runA = (await queued.getAttribute('data-run-id'))!;
    assert.equal((await client.getRun(runA)).status, 'queued', 'a paused worker holds its new run');
    await queued.getByText(`worker ${wid} is paused`, { exact: false }).waitFor();
    await screenshot(page, 'worker-card-queued-1280');

    // Resume: the card goes running, then succeeded, live.
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator(`li.run-card[data-run-id="${runA}"][data-status="running"]`).waitFor({ timeout: 30_000 });
    assert.notEqual((await client.getRun(runA)).status, 'succeeded', 'the end has not happened yet');
    await page.locator(`li.run-card[data-run-id="${runA}"][data-status="succeeded"]`).waitFor({ timeout: 60_000 });
    assert.equal(await page.evaluate('window.__sameDocument'), true, 'the worker page was not reloaded');
    const done = page.locator(`li.run-card[data-run-id="${runA}"]`);
    await done.getByTestId('output-preview').getByText('Triage: P2 · owner identity team · refunds within 30 days').waitFor();
    const runADone = await waitForRun(client, runA);
    const tokens = (runADone.output as { tokens: { input: number; output: number } }).tokens;
    assert.ok(tokens.input > 0 && tokens.output > 0);
    assert.match((await done.textContent()) ?? '', new RegExp(`${tokens.input.toLocaleString('en-US')} in · ${tokens.output} out`));
    assert.match((await done.textContent()) ?? '', /Cost0 credits/);
    await noOverflowAt390(page, 'worker page', 'worker-390');

    // The linked row, labelled by its first text field, opens on the table page with the worker's comment.
    assert.equal(await done.getByTestId('linked-row').textContent(), 'T1');
    await done.getByTestId('linked-row').click();
    await page.waitForURL(new RegExp(`/tables/${table.id}\\?row=${row1}$`));
    const drawer = page.getByTestId('row-drawer');
    const comment = drawer.getByTestId('row-comments').locator('li.comment');
    await comment.getByText('Triage: P2 · owner identity team · refunds within 30 days').waitFor();
    assert.equal(await comment.count(), 1);
    assert.match((await comment.textContent()) ?? '', new RegExp(`written by ${runA}`));
    assert.match((await drawer.getByTestId('row-fields').textContent()) ?? '', /Login fails for Ada/);
    assert.equal(await page.locator(`tr[data-row-id="${row1}"]`).getAttribute('class'), 'selected');
    await noOverflowAt390(page, 'table row with comments', 'row-comments-390');
    await drawer.getByRole('button', { name: 'Close' }).click();
    await page.waitForURL(new RegExp(`/tables/${table.id}$`));
    // Label the rows by their title instead (PATCH /v1/tables/{id}): run cards and item lists follow.
    await page.getByLabel('Label field').selectOption('title');
    await page.getByTestId('label-field').getByText('Saved', { exact: false }).waitFor();
    assert.equal((await client.getTable(table.id)).label_column, 'title');

    // Edit in the console: a refused limit is shown at its field and nothing is saved; fixed, the edit saves version 2.
    await page.goto(`${server.url}/workers/${wid}`);
    assert.equal(await page.locator(`li.run-card[data-run-id="${runA}"]`).getByTestId('linked-row').textContent(), 'Login fails for Ada');
    await form
      .getByLabel('Subject row')
      .locator('option', { hasText: /^Login fails for Ada \(/ })
      .waitFor({ state: 'attached' });
    await page.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit this worker' });
    await edit.getByLabel('Instructions').fill('Triage the ticket into a comment.');
    await edit.getByLabel('Max LLM calls').fill('0');
    await edit.getByRole('button', { name: 'Save as v2' }).click();
    const limitError = edit.locator('[data-field="limits.max_steps"]').getByTestId('field-error');
    await limitError.waitFor();
    assert.match((await limitError.textContent()) ?? '', /limits\.max_steps: expected an integer from 1 to 100/);
    assert.equal(await edit.getByTestId('field-error').count(), 1, 'only the named field is marked');
    assert.equal((await client.getWorker(wid)).version, 1, 'a refused edit saves nothing');
    await screenshot(page, 'worker-edit-1280');
    await noOverflowAt390(page, 'worker edit form', 'worker-edit-390');
    await edit.getByLabel('Max LLM calls').fill('6');
    await edit.getByRole('button', { name: 'Save as v2' }).click();
    await page.getByTestId('saved-version').getByText('Saved as version 2').waitFor();
    assert.equal(await page.getByTestId('worker-version').textContent(), 'v2');
    assert.equal(await page.getByTestId('instructions').textContent(), 'Triage the ticket into a comment.');
    assert.match((await page.getByTestId('worker-overview').textContent()) ?? '', /steps 6/);
    const v2 = await client.getWorker(wid);
    assert.equal(v2.version, 2);
    assert.deepEqual((v2.definition as { context_sources: unknown }).context_sources, (worker.definition as { context_sources: unknown }).context_sources);
    // Each version keeps its own read-only instructions.
    await page.getByLabel('Version').selectOption('1');
    await page.waitForURL(/\?version=1$/);
    await page.getByTestId('worker-version').getByText('v1').waitFor();
    assert.equal(await page.getByTestId('instructions').textContent(), def.instructions);

    // Drop the policy source (version 3, through the API), run again, and compare the two runs.
    await client.editWorker(wid, { ...def, instructions: 'Triage the ticket into a comment.', context_sources: [{ type: 'subject_record', max_chars: 4000 }] });
    const runB = (await client.runWorker(wid, { subject: { table_id: table.id, row_id: row1 } })).run.id;
    assert.equal((await waitForRun(client, runB)).status, 'succeeded');
    await page.goto(`${server.url}/workers/${wid}`);
    await page.locator(`li.run-card[data-run-id="${runB}"][data-status="succeeded"]`).waitFor();
    await page.getByLabel(`Compare run ${runA}`).check();
    await page.getByLabel(`Compare run ${runB}`).check();
    await page.getByRole('link', { name: 'Compare the two picked runs' }).click();
    await page.waitForURL(new RegExp(`/runs/compare\\?a=${runA}&b=${runB}$`));
    const policy = page.getByTestId('cmp-source-policy');
    await policy.waitFor();
    const [pa, pb] = await policy.locator('td').allTextContents();
    assert.match(pa ?? '', /^present · \d+ chars/);
    assert.match(pb ?? '', /^missing/);
    assert.match((await policy.textContent()) ?? '', /differs/);
    assert.deepEqual(await page.getByTestId('cmp-version').locator('td').allTextContents(), ['v1', 'v3']);
    assert.match((await page.getByTestId('cmp-instructions').textContent()) ?? '', /- Quote the refund policy when it applies\./);
    assert.deepEqual(await page.getByTestId('cmp-status').locator('td').allTextContents(), ['succeeded', 'succeeded']);
    assert.match((await page.getByTestId('cmp-output').textContent()) ?? '', /refunds within 30 days.*Triage: P2 · owner identity team/s);
    await screenshot(page, 'compare-1280');
    await noOverflowAt390(page, 'compare', 'compare-390');

    // A run the provider refuses: its card shows the error and the provider hint.
    fake.enqueue({ status: 401, error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
    const runC = (await client.runWorker(wid, { subject: { table_id: table.id, row_id: row1 } })).run.id;
    await page.goto(`${server.url}/workers/${wid}`);
    const failed = page.locator(`li.run-card[data-run-id="${runC}"][data-status="failed"]`);
    await failed.waitFor({ timeout: 60_000 });
    const code = (await waitForRun(client, runC)).error?.code ?? '';
    assert.match((await failed.getByTestId('run-error').textContent()) ?? '', new RegExp(code));
    assert.match((await failed.getByTestId('run-hint').textContent()) ?? '', /provider is unavailable/);

    // Rerun asks first and says what happens to the comment the earlier runs left; Cancel starts nothing.
    assert.equal((await client.outputNotice(runA)).output_notice?.exists, true);
    await page.locator(`li.run-card[data-run-id="${runA}"]`).getByRole('button', { name: 'Rerun' }).click();
    const ask = page.locator('dialog.confirm[open]');
    await ask.getByTestId('confirm-output-notice').getByText('An earlier output exists: it will be replaced.').waitFor();
    assert.match((await ask.textContent()) ?? '', /Rerun this run\?.*starts on the same row/s);
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'detached' });
    assert.equal((await client.listWorkerRuns(wid)).data.length, 3, 'a canceled rerun starts nothing');
    // Retry failed on the refused run: the same notice first, then the card goes to succeeded live and its output updated the comment.
    await failed.getByRole('button', { name: 'Retry failed' }).click();
    await ask.getByTestId('confirm-output-notice').getByText('An earlier output exists: it will be replaced.').waitFor();
    await ask.getByRole('button', { name: 'Retry failed' }).click();
    await page.getByTestId('rerun-started').getByText(`1 failed item of ${runC} queued again.`).waitFor();
    const retried = page.locator(`li.run-card[data-run-id="${runC}"][data-status="succeeded"]`);
    await retried.waitFor({ timeout: 60_000 });
    assert.match((await retried.getByTestId('output-preview').textContent()) ?? '', /^Output \(updated\): Triage: P2/);
    assert.equal((await client.listWorkerRuns(wid)).data.length, 3);
    // The Runs page's bulk Retry failed tells a worker run's output notice in its confirmation.
    await page.goto(`${server.url}/runs`);
    await page.locator(`tr[data-run-id="${runA}"] input[type="checkbox"]`).check();
    await page.getByRole('button', { name: 'Retry failed', exact: true }).click();
    await ask.getByTestId('confirm-output-notice').getByText('An earlier output exists: it will be replaced.').waitFor();
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'detached' });

    // The run page names its items by their record; its Rerun of a worker run asks the same way.
    await page.goto(`${server.url}/runs/${runA}`);
    const names = page.getByTestId('items-list').getByTestId('item-name');
    await names.first().waitFor();
    const named = await names.allTextContents();
    assert.ok(named.length >= 3, `the run's items: ${named.join(' | ')}`);
    for (const n of named) assert.match(n, /^Login fails for Ada \S+$/, 'every item of the run stands for its subject row');
    await screenshot(page, 'worker-run-items-1280');
    await page.locator('.run-actions').getByRole('button', { name: 'Rerun' }).click();
    await ask.getByTestId('confirm-output-notice').getByText('An earlier output exists: it will be replaced.').waitFor();
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('dialog.confirm[open]').waitFor({ state: 'detached' });
    assert.equal((await client.listWorkerRuns(wid)).data.length, 3);

    // Usage: the worker's three runs in every window, drawn by recharts, then by target in the last hour.
    await page.getByRole('link', { name: 'Usage' }).click();
    const windowBars = page.getByTestId('usage-window-runs').locator('.recharts-bar-rectangle');
    await windowBars.nth(3).waitFor();
    assert.deepEqual(await page.getByTestId('usage-window-runs').locator('.recharts-label-list text').allTextContents(), ['3', '3', '3', '3']);
    await page.getByRole('button', { name: '1h' }).click();
    await page.waitForURL(/window=1h/);
    const target = page.getByTestId('usage-targets').locator(`tr[data-target-id="${wid}"]`);
    await target.getByText('ticket triage').waitFor();
    assert.equal(await target.getByTestId('target-runs').textContent(), '3');
    const targetChart = page.getByTestId('usage-target-runs');
    await targetChart.locator('.recharts-bar-rectangle').first().waitFor();
    assert.equal(await targetChart.locator('.recharts-bar-rectangle').count(), 1);
    assert.deepEqual(await targetChart.locator('.recharts-label-list text').allTextContents(), ['3']);
    assert.match((await targetChart.locator('.recharts-yAxis-tick-labels').textContent()) ?? '', /ticket triage/);
    assert.ok((await page.getByTestId('usage-provider-tokens').locator('.recharts-bar-rectangle').count()) > 0, 'provider tokens drawn');
    const modelChart = page.getByTestId('usage-model-tokens');
    assert.match((await modelChart.locator('.recharts-yAxis-tick-labels').textContent()) ?? '', /^fake-model$/);
    assert.equal(await modelChart.locator('.recharts-bar-rectangle').count(), 2, 'input and output stacked');
    assert.match((await page.getByTestId('usage-model').locator('tbody tr').first().textContent()) ?? '', /^fake-model\d/);
    await screenshot(page, 'usage-1280');
    await noOverflowAt390(page, 'usage', 'usage-390');

    traps.assertClean();
    t.diagnostic(`workers console took ${Date.now() - started} ms`);
  },
);
