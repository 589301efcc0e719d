/**
 * Flows in the console end to end, in a real Chromium against a real `runyard up` (fresh SQLite
 * file, its own executor, js modules in a temp dir): a triage flow (js and shell tool steps, a
 * decide, an input step whose form uses every field type, a remediation, a summary) created
 * through the API; the Flows page lists it; its Run form (generated from `inputs`) first shows
 * the 422 naming `inputs.service`, then starts the run and opens its page. Progress shows the
 * first tool live (it holds until the test releases it), then the steps checked off, the input
 * step current and the variables with the secret masked; the open wait's form refuses a short
 * reason by name and then takes the answer; Results list each step's outputs and the summary;
 * Timeline shows the wait opened and answered by whom and a duration breakdown whose numbers
 * add up to the run's duration. A second run waits in the Inbox (age, time left, SLA colour),
 * appears under the Runs filter "Waiting on people", and is answered there in place.
 * Screenshots at 1280 and 390 px without sideways overflow; dialog, page-error and CSP traps armed.
 *
 * FLOW is the definition under test: it covers what the example cannot (a tool held live, every
 * form field type, a secret var, the Inbox); examples/flows itself runs in Chromium in
 * flow-example-console.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { hasHorizontalOverflow, openPage, screenshot } from '../helpers/browser.js';
import { startConsoleServer, waitForRun } from '../helpers/console.js';
import { tempDir, until, writeModule } from '../helpers/fixtures.js';

/** The flow under test (YAML). Steps: check_http (js, waits for the release file), check_disk (shell), pick (decide), approve (input), clean (js), summary. */
const FLOW = `
name: console triage
description: check a service, decide, ask a person, remediate, summarize
inputs:
  type: object
  properties:
    service: { type: string, title: Service, description: the service to check }
    threshold: { type: integer, default: 90 }
  required: [service]
vars:
  checks: 0
  api_token: "tok-never-shown-1234"
steps:
  - id: check_http
    type: tool
    phase: identifying_tools
    producer: js
    config: { module: check.mjs, input: { service: "{{input.service}}" } }
    assign: { checks: "vars.checks + 1", status: "output.value.status" }
  - id: check_disk
    type: tool
    phase: triage
    producer: shell
    config: { command: node, args: ["-e", "process.stdout.write('91')"] }
    assign: { disk: "int(output.stdout)" }
  - id: pick
    type: decide
    phase: deciding_remediation
    options:
      - { id: clean_disk }
      - { id: restart }
      - { id: nothing, next: summary }
    rule: "vars.disk > input.threshold ? 'clean_disk' : (vars.status >= 500 ? 'restart' : 'nothing')"
    rationale: "'disk at ' + string(vars.disk) + '%'"
  - id: approve
    type: input
    phase: remediation
    title: "Approve {{steps.pick.output.option}} on {{input.service}}"
    prompt: "Disk on **{{input.service}}** is at {{vars.disk}}%."
    form:
      type: object
      properties:
        reason: { type: string, minLength: 3 }
        level: { type: integer, minimum: 1, maximum: 5, default: 3 }
        notify: { type: boolean }
        channel: { type: string, enum: [email, chat] }
        targets: { type: array, items: { enum: [disk, logs, cache] } }
        when: { type: string, format: date }
      required: [reason]
    decisions:
      - { id: approve }
      - { id: reject, next: summary }
  - id: clean
    type: tool
    phase: remediation
    producer: js
    config: { module: act.mjs, input: { action: clean } }
  - id: summary
    type: summarize
    phase: summarizing
    text: "{{input.service}}: {{steps.pick.output.option}} ({{steps.pick.output.rationale}})"
`;

const TERMINAL = ['succeeded', 'partial', 'failed', 'canceled'];

async function noOverflowAt390(page: Page, what: string, shot?: string): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await hasHorizontalOverflow(page), false, `${what} overflows at 390 px`);
  if (shot) await screenshot(page, shot);
  await page.setViewportSize({ width: 1280, height: 900 });
}

test('console: flows — run from the Flows page, watch Progress, answer the wait, Results and Timeline, the Inbox', { timeout: 300_000 }, async (t) => {
  const started = Date.now();
  const jsDir = tempDir('runyard-flow-js-');
  const release = join(jsDir, 'release');
  writeModule(
    jsDir,
    'check.mjs',
    `import { existsSync } from 'node:fs';
     export default async (input) => {
       const until = Date.now() + 60000;
       while (!existsSync(new URL('./release', import.meta.url)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
       return { service: input.service, status: 503 };
     };`,
  );
  writeModule(jsDir, 'act.mjs', 'export default (input) => ({ done: input.action });');
  const env = await startConsoleServer([], { RUNYARD_JS_DIR: jsDir });
  t.after(() => env.close());
  const { client, browser, server } = env;
  const { page, traps } = await openPage(browser);

  const flow = await client.createFlow(FLOW);
  const flowId = flow.id as string;

  // Flows page → the flow's page → Run: the form comes from `inputs` (threshold's default filled in).
  await page.goto(`${server.url}/flows`);
  await page.locator(`tr[data-flow-id="${flowId}"]`).getByRole('link', { name: 'console triage' }).click();
  await page.getByTestId('flow-source').getByText('check_http').first().waitFor();
  assert.equal(await page.getByLabel('threshold').inputValue(), '90');
  // Seed 000: "Rules" beside the manual Run, pointing at the rules that target this flow.
  const rules = decodeURIComponent((await page.getByRole('link', { name: 'Rules', exact: true }).getAttribute('href')) ?? '');
  assert.ok(rules.startsWith('/triggers?target=') && rules.includes(`"flow_id":"${flowId}"`), rules);
  await noOverflowAt390(page, 'flow page', 'flow-390');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.locator('#flow-input-service[aria-invalid=true]').waitFor();
  assert.match((await page.locator('.run-flow').textContent()) ?? '', /inputs\.service/);
  assert.equal((await client.listRuns({})).data.length, 0, 'a refused run starts nothing');
  await page.getByLabel('Service *').fill('api');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.waitForURL(/\/runs\/run_[^/?]+$/);
  const runId = new URL(page.url()).pathname.split('/').pop()!;
  await page.evaluate('window.__sameDocument = true');

  // Progress, live: the first tool runs (held by the test) and is shown with its inputs.
  const progress = page.getByTestId('flow-progress');
  await progress.locator('li[data-step="check_http"][data-state="current"][aria-current="step"]').waitFor();
  await progress
    .getByTestId('live-tool')
    .getByText(/"service":"api"/)
    .waitFor();
  assert.equal(await progress.locator('li[data-step="approve"]').getAttribute('data-state'), 'not_reached');
  assert.ok(!TERMINAL.includes((await client.getRun(runId)).status));
  writeFileSync(release, 'go');

  // The wait opens inline; earlier steps are checked, the input step is current; vars are shown, the secret masked.
  const panel = page.getByTestId('open-wait');
  await panel.getByText('Approve clean_disk on api').waitFor();
  await progress.locator('li[data-step="approve"][data-state="waiting"]').waitFor();
  for (const s of ['check_http', 'check_disk', 'pick']) assert.equal(await progress.locator(`li[data-step="${s}"]`).getAttribute('data-state'), 'done', s);
  assert.equal(await progress.locator('li[data-step="clean"]').getAttribute('data-state'), 'not_reached');
  await page.getByTestId('run-phase').getByText('remediation').waitFor();
  const vars = page.getByTestId('flow-vars');
  await vars.locator('[data-var="disk"]').getByText('91').waitFor();
  assert.equal((await vars.locator('[data-var="api_token"] dd').textContent())?.trim(), '••••••');
  assert.doesNotMatch((await page.content()) ?? '', /tok-never-shown/, 'the secret var never reaches the page');
  await screenshot(page, 'flow-run-waiting-1280');
  await noOverflowAt390(page, 'flow run page (waiting)', 'flow-run-waiting-390');

  // The form: a short reason is refused by name and the wait stays open; then every field type.
  const wait = (await client.listWaits({ status: 'open', run_id: runId })).data[0]!;
  const id = (f: string) => `#wait-${wait.id as string}-${f}`;
  assert.equal(await panel.locator(id('level')).inputValue(), '3', 'defaults fill the form');
  await panel.locator(id('reason')).fill('x');
  await panel.getByRole('button', { name: 'approve' }).click();
  await panel.locator(`${id('reason')}[aria-invalid=true]`).waitFor();
  assert.match((await panel.locator('.field-error').textContent()) ?? '', /values\.reason/);
  assert.equal((await client.getWait(wait.id as string)).status, 'open');
  await panel.locator(id('reason')).fill('disk full');
  await panel.locator(id('notify')).check();
  await panel.locator(id('channel')).selectOption('chat');
  await panel.locator('fieldset[data-field="targets"]').getByLabel('logs').check();
  await panel.locator(id('when')).fill('2026-12-04');
  await panel.getByLabel('Comment').fill('go ahead');
  await panel.getByRole('button', { name: 'approve' }).click();
  await page.getByTestId('wait-answered').waitFor();
  await page.getByTestId('run-status').getByText('succeeded').waitFor({ timeout: 60_000 });
  assert.equal(await page.evaluate('window.__sameDocument'), true, 'the run page was reloaded');
  const answered = await client.getWait(wait.id as string);
  assert.equal(answered.status, 'answered');
  assert.deepEqual((answered.response as Record<string, unknown>).values, {
    reason: 'disk full',
    level: 3,
    notify: true,
    channel: 'chat',
    targets: ['logs'],
    when: '2026-12-04',
  });
  const who = answered.responded_by as string;
  await progress.locator('li[data-step="clean"][data-state="done"]').waitFor();
  const run = await waitForRun(client, runId);
  assert.equal(run.result_summary, 'api: clean_disk (disk at 91%)');

  // Results: each executed step with its outputs; the outcome and summary.
  await page.getByRole('tab', { name: 'Results' }).click();
  const results = page.getByTestId('flow-results');
  await results.getByTestId('flow-outcome').getByText('api: clean_disk (disk at 91%)').waitFor();
  const keys = await results.locator('li[data-step]').evaluateAll((els) => els.map((e) => e.getAttribute('data-step')));
  assert.deepEqual(keys, ['check_http', 'check_disk', 'pick', 'approve', 'clean', 'summary']);
  assert.match((await results.locator('li[data-step="pick"] [data-testid=step-outputs]').textContent()) ?? '', /"option": "clean_disk"/);
  assert.match((await results.locator('li[data-step="check_disk"]').textContent()) ?? '', /succeeded.*1 attempt/);
  assert.match((await results.locator('li[data-step="approve"] [data-testid=step-wait]').textContent()) ?? '', new RegExp(`answered by ${who}: approve`));
  await noOverflowAt390(page, 'flow results', 'flow-results-390');

  // Timeline: the wait opened and answered by whom; the breakdown adds up to the run's duration.
  await page.getByRole('tab', { name: 'Timeline' }).click();
  const tl = page.getByTestId('flow-timeline');
  await tl.getByText(`answered by ${who}: approve`, { exact: false }).waitFor();
  await tl.getByText('wait opened: Approve clean_disk on api').waitFor();
  await tl.getByText(/step check_http started/).waitFor();
  await tl.getByTestId('breakdown').waitFor();
  const ms = async (k: string) => Number(await tl.getByTestId(`breakdown-${k}`).getAttribute('data-ms'));
  const parts = ['queued_ms', 'running_ms', 'waiting_for_input_ms', 'paused_ms', 'backing_off_ms'];
  const values = await Promise.all(parts.map(ms));
  const total = await ms('total_ms');
  const duration = Date.parse(run.finished_at!) - Date.parse(run.created_at);
  assert.equal(
    values.reduce((a, b) => a + b, 0),
    total,
    `parts ${values.join('+')} add up to the total`,
  );
  assert.ok(Math.abs(total - duration) <= 1, `total ${total} vs duration ${duration}`);
  assert.ok(values[2]! > 0, 'the wait for input is counted');
  assert.ok(values[1]! > 0, 'running is counted');
  await screenshot(page, 'flow-timeline-1280');
  await noOverflowAt390(page, 'flow timeline', 'flow-timeline-390');

  // A second run waits: it shows under "Waiting on people" and in the Inbox, answered there in place.
  const second = await client.runFlow(flowId, { inputs: { service: 'web', threshold: 90 } });
  const w2 = await until('the second wait', 30_000, async () => (await client.listWaits({ status: 'open', run_id: second.id })).data[0]);
  await page.goto(`${server.url}/runs`);
  await page.getByRole('button', { name: 'Waiting on people' }).click();
  await page.waitForURL(/status=waiting_for_input/);
  await page.locator(`tr[data-run-id="${second.id}"]`).waitFor();
  await until('only the waiting run listed', 10_000, async () => ((await page.locator('tr[data-run-id]').count()) === 1 ? true : undefined));

  await page.getByRole('link', { name: 'Inbox' }).click();
  const row = page.locator(`li[data-wait-id="${w2.id as string}"]`);
  await row.waitFor();
  assert.match((await row.getAttribute('class')) ?? '', /sla-ok/, 'a fresh 72 h wait is on time');
  assert.match((await row.getByTestId('wait-left').textContent()) ?? '', /^(71|72) h \d+ min left$/);
  assert.match((await row.getByTestId('wait-age').textContent()) ?? '', /^waiting \d/);
  assert.match((await row.textContent()) ?? '', /Approve clean_disk on web/);
  await noOverflowAt390(page, 'inbox', 'inbox-390');
  await row.getByRole('button', { name: 'Answer' }).click();
  await row.locator(`#wait-${w2.id as string}-reason`).fill('not now');
  await row.getByRole('button', { name: 'reject' }).click();
  await page
    .getByTestId('inbox-answered')
    .getByText(/answered by/)
    .waitFor();
  await page.getByTestId('inbox-empty').waitFor();
  const done2 = await waitForRun(client, second.id);
  assert.equal(done2.status, 'succeeded');
  const keys2 = (await client.listItems(second.id, {})).data.map((i) => i.key);
  assert.deepEqual(keys2, ['check_http', 'check_disk', 'pick', 'approve', 'summary'], 'reject jumped to the summary');
  assert.ok(existsSync(release));

  traps.assertClean();
  t.diagnostic(`flows console took ${Date.now() - started} ms`);
});
