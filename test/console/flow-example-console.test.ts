/**
 * The incident-triage example (examples/flows, README "Flows") in the console, in a real Chromium
 * against a real `runyard up` (fresh SQLite file): the example service runs as a real process on
 * 127.0.0.1 (degraded until restarted); the flow is created from
 * examples/flows/incident-triage.flow.yaml, unchanged, through the API; it is started from the
 * Flows page's Run form with the service's URL; the run waits for the approval, which a person
 * answers in the console (the ticket field; a short ticket is refused by name first). Then
 * Progress shows every step checked and none current; Results show the restart step's output and
 * the final summary; Timeline shows the wait opened and answered by whom and a duration breakdown
 * whose parts add up to the total; the service says it was restarted exactly once (GET /stats).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hasHorizontalOverflow, openPage, screenshot } from '../helpers/browser.js';
import { startConsoleServer, waitForRun } from '../helpers/console.js';
import { until } from '../helpers/fixtures.js';
import { startExampleServer } from '../helpers/zones-example.js';

/** Every step of the example, in order; an approved restart runs them all. */
const STEPS = ['health', 'disk', 'triage', 'pick', 'approve', 'restart', 'verify', 'summary'];

test(
  'console: the examples/flows incident triage — run from the Flows page, approve in the console, Progress, Results, Timeline',
  { timeout: 240_000 },
  async (t) => {
    const started = Date.now();
    const service = await startExampleServer('examples/flows/service.mjs');
    t.after(() => service.stop());
    const stats = async () => (await (await fetch(`${service.url}/stats`)).json()) as { health: string; restarts: number; health_checks: number };
    const env = await startConsoleServer();
    t.after(() => env.close());
    const { client, browser, server } = env;
    const { page, traps } = await openPage(browser);

    const flow = await client.createFlow(readFileSync('examples/flows/incident-triage.flow.yaml', 'utf8'));
    const flowId = flow.id as string;

    // Flows page → the example's page → its Run form (defaults from `inputs`), pointed at the service.
    await page.goto(`${server.url}/flows`);
    await page.locator(`tr[data-flow-id="${flowId}"]`).getByRole('link', { name: 'incident triage' }).click();
    await page.getByTestId('flow-source').getByText('restart').first().waitFor();
    assert.equal(await page.locator('#flow-input-service').inputValue(), 'checkout');
    assert.equal(await page.locator('#flow-input-disk_threshold_pct').inputValue(), '90');
    await page.locator('#flow-input-service_url').fill(service.url);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForURL(/\/runs\/run_[^/?]+$/);
    const runId = new URL(page.url()).pathname.split('/').pop()!;

    // The approval wait opens inline: the checks are done, the input step waits, nothing restarted yet.
    const progress = page.getByTestId('flow-progress');
    const panel = page.getByTestId('open-wait');
    await panel.getByText('Restart checkout?').waitFor({ timeout: 60_000 });
    assert.match((await panel.locator('.wait-prompt').textContent()) ?? '', /checkout\W+reports\W+degraded\W+at http:\/\/127\.0\.0\.1:\d+\/health/);
    await progress.locator('li[data-step="approve"][data-state="waiting"]').waitFor();
    for (const s of ['health', 'disk', 'triage', 'pick']) assert.equal(await progress.locator(`li[data-step="${s}"]`).getAttribute('data-state'), 'done', s);
    for (const s of ['restart', 'verify', 'summary']) assert.equal(await progress.locator(`li[data-step="${s}"]`).getAttribute('data-state'), 'not_reached', s);
    await page.getByTestId('run-phase').getByText('remediation').waitFor();
    assert.deepEqual(await stats(), { health: 'degraded', restarts: 0, health_checks: 1 }, 'nothing restarted before the approval');
    await screenshot(page, 'flow-example-waiting-1280');

    // The person answers in the console: a too-short ticket is refused by name; then "Restart it".
    const wait = (await client.listWaits({ status: 'open', run_id: runId })).data[0]!;
    const ticket = panel.locator(`#wait-${wait.id as string}-ticket`);
    await ticket.fill('x');
    await panel.getByRole('button', { name: 'Restart it' }).click();
    await panel.locator(`#wait-${wait.id as string}-ticket[aria-invalid=true]`).waitFor();
    assert.match((await panel.locator('.field-error').textContent()) ?? '', /values\.ticket/);
    assert.equal((await client.getWait(wait.id as string)).status, 'open');
    assert.equal((await stats()).restarts, 0);
    await ticket.fill('OPS-42');
    await panel.getByRole('button', { name: 'Restart it' }).click();
    await page.getByTestId('wait-answered').waitFor();
    await page.getByTestId('run-status').getByText('succeeded').waitFor({ timeout: 60_000 });
    const answered = await client.getWait(wait.id as string);
    assert.equal(answered.status, 'answered');
    assert.deepEqual((answered.response as Record<string, unknown>).values, { ticket: 'OPS-42' });
    const who = answered.responded_by as string;
    const run = await waitForRun(client, runId);
    const summary = new RegExp(`^checkout: health degraded, disk \\d+% used; restarted after approval by ${who} \\(OPS-42\\); health now ok$`);
    assert.match(run.result_summary ?? '', summary);

    // Progress: every step checked, none current or waiting.
    await progress.locator('li[data-step="summary"][data-state="done"]').waitFor();
    const states = await progress.locator('li[data-step]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-step'), e.getAttribute('data-state')]));
    assert.deepEqual(
      states,
      STEPS.map((s) => [s, 'done']),
    );
    assert.equal(await progress.locator('[aria-current]').count(), 0, 'no step is current');

    // Results: each step, the restart's output (the service's answer) and the summary.
    await page.getByRole('tab', { name: 'Results' }).click();
    const results = page.getByTestId('flow-results');
    await results.getByTestId('flow-outcome').getByText(summary).waitFor();
    const keys = await results.locator('li[data-step]').evaluateAll((els) => els.map((e) => e.getAttribute('data-step')));
    assert.deepEqual(keys, STEPS);
    const restartOut = (await results.locator('li[data-step="restart"] [data-testid=step-outputs]').textContent()) ?? '';
    assert.match(restartOut, /"status": 200/);
    assert.match(restartOut, /restarted\\?":\s*true/);
    assert.match(restartOut, /restarts\\?":\s*1/);
    assert.match((await results.locator('li[data-step="verify"] [data-testid=step-outputs]').textContent()) ?? '', /"body": "ok\\n"/);
    assert.match((await results.locator('li[data-step="approve"] [data-testid=step-wait]').textContent()) ?? '', new RegExp(`answered by ${who}: approve`));
    assert.match((await results.textContent()) ?? '', /"outcome": "restarted after approval by/);

    // Timeline: the wait opened and answered by whom; the breakdown's parts add up to the total.
    await page.getByRole('tab', { name: 'Timeline' }).click();
    const tl = page.getByTestId('flow-timeline');
    await tl.getByText('wait opened: Restart checkout?').waitFor();
    await tl.getByText(`answered by ${who}: approve`, { exact: false }).waitFor();
    await tl.getByText(/step restart started/).waitFor();
    await tl.getByTestId('breakdown').waitFor();
    const ms = async (k: string) => Number(await tl.getByTestId(`breakdown-${k}`).getAttribute('data-ms'));
    const values = await Promise.all(['queued_ms', 'running_ms', 'waiting_for_input_ms', 'paused_ms', 'backing_off_ms'].map(ms));
    const total = await ms('total_ms');
    assert.ok(
      values.every((v) => Number.isFinite(v) && v >= 0),
      `breakdown ${values.join(', ')}`,
    );
    assert.equal(
      values.reduce((a, b) => a + b, 0),
      total,
      `parts ${values.join('+')} add up to the total`,
    );
    const duration = Date.parse(run.finished_at!) - Date.parse(run.created_at);
    assert.ok(Math.abs(total - duration) <= 1, `total ${total} vs duration ${duration}`);
    assert.ok(values[2]! > 0, 'the wait for input is counted');
    assert.ok(values[1]! > 0, 'running is counted');
    await screenshot(page, 'flow-example-timeline-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    assert.equal(await hasHorizontalOverflow(page), false, 'the timeline overflows at 390 px');

    // The service was restarted exactly once, and checked before and after.
    const s = await until('the service restarted', 10_000, async () => {
      const now = await stats();
      return now.restarts > 0 ? now : undefined;
    });
    assert.deepEqual(s, { health: 'ok', restarts: 1, health_checks: 2 });

    traps.assertClean();
    t.diagnostic(`flow example console took ${Date.now() - started} ms`);
  },
);
