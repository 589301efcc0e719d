/**
 * The Triggers console end to end in a real Chromium against a real `runyard up` (fresh SQLite
 * file, its own executor): a rule targeting a flow is created in the console form (its target's
 * inputs a template over the event) and tested against a sample event (matches, the rendered
 * target shown, nothing started); an event sent through the API starts a flow run; the links are
 * followed event → run → back to the event (the run's trigger label) and run → rule, whose last
 * fires link the run. A table page's "Rules" link (beside its manual run) lists the rules that
 * target it. Pause/resume from the list. A schedule is edited on its page (a bad time zone
 * refused naming the field, a new cron saved as v2 with its next fire times). A rule targeting an AI worker (subject row taken from
 * the event, model served by the local OpenAI-compatible fake) is triggered by an event and
 * followed the same way: event → worker run → back to the event. Dialog, page-error and CSP traps
 * armed throughout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from '../helpers/browser.js';
import { loadCountries, startConsoleServer } from '../helpers/console.js';
import { startFakeLlm } from '../helpers/fake-llm.js';
import { until } from '../helpers/fixtures.js';

const FLOW = `
name: order check
inputs:
  type: object
  properties:
    order: { type: string }
  required: [order]
steps:
  - id: summary
    type: summarize
    text: "order {{input.order}}"
`;

/** `fetch` of the console server's API with its token; asserts a 2xx. */
function apiOf(server: { url: string; token?: string | undefined }) {
  return async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...(server.token ? { authorization: `Bearer ${server.token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as Record<string, unknown>;
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

test('console: a rule targeting a flow — create, test, an event starts a run, links event → run → event', { timeout: 240_000 }, async (t) => {
  const env = await startConsoleServer();
  t.after(() => env.close());
  const { browser, server } = env;
  const apiCall = apiOf(server);
  const flowId = String((await apiCall('POST', '/v1/flows', { definition: FLOW })).id);
  const tableId = await loadCountries(env.client);

  const { page, traps } = await openPage(browser);
  await page.goto(`${server.url}/triggers`);
  await page.getByRole('heading', { name: 'Triggers' }).waitFor();
  await page.getByTestId('no-rules').waitFor();

  // A bad target is refused in place, naming the field; nothing is saved.
  const form = page.getByRole('form', { name: 'New rule' });
  await form.getByLabel('Name').fill('check orders');
  await form.getByLabel('On event').fill('order.created');
  await form.getByLabel(/^Target/).fill(JSON.stringify({ type: 'flow', flow_id: 'flw_missing' }));
  await form.getByRole('button', { name: 'Create rule' }).click();
  await form.getByRole('alert').filter({ hasText: 'target' }).waitFor();
  assert.equal(((await apiCall('GET', '/v1/rules')).data as unknown[]).length, 0);

  await form.getByLabel(/^Target/).fill(JSON.stringify({ type: 'flow', flow_id: flowId, inputs: { order: '{{event.data.order}}' } }));
  await form.getByLabel('If (CEL, optional)').fill('event.data.amount > 100');
  await form.getByRole('button', { name: 'Create rule' }).click();
  await page.waitForURL(/\/triggers\/rules\/rul_/);
  const ruleId = new URL(page.url()).pathname.split('/').pop() ?? '';
  await page.getByRole('heading', { name: 'check orders' }).waitFor();

  // Test against a sample event: matches, shows the rendered target, starts nothing.
  const testForm = page.getByRole('form', { name: 'Test rule' });
  await testForm.getByLabel('Event data (JSON)').fill(JSON.stringify({ order: 'o-9', amount: 900 }));
  await testForm.getByRole('button', { name: 'Test' }).click();
  const result = page.getByTestId('rule-test-result');
  await result.filter({ hasText: 'Matches' }).waitFor();
  assert.match(await result.innerText(), /"order": "o-9"/);
  assert.equal(((await apiCall('GET', '/v1/runs?trigger=rule')).data as unknown[]).length, 0);

  // An event through the API starts a flow run; the event page lists it.
  const event = await apiCall('POST', '/v1/events', { name: 'order.created', data: { order: 'o-1', amount: 250 } });
  const eventId = String(event.id);
  await page.goto(`${server.url}/triggers/events/${eventId}`);
  const runLink = await until('the event page to list its run', 30_000, async () => {
    const links = page.getByTestId('event-runs').getByRole('link');
    if ((await links.count()) > 0) return links.first();
    await page.reload();
    await page.getByRole('heading', { name: 'Event order.created' }).waitFor();
    return undefined;
  });
  const runId = (await runLink.innerText()).trim();
  assert.match(runId, /^run_/);
  await runLink.click();
  await page.waitForURL(new RegExp(`/runs/${runId}$`));
  const label = page.getByTestId('run-trigger');
  await label.waitFor();
  assert.match(await label.innerText(), /rule/);
  // … and back to the event from the run's trigger label.
  await label.getByRole('link', { name: `event ${eventId}` }).click();
  await page.waitForURL(new RegExp(`/triggers/events/${eventId}$`));
  await page.getByRole('heading', { name: 'Event order.created' }).waitFor();
  assert.equal((await page.getByTestId('event-runs').getByRole('link').first().innerText()).trim(), runId);
  const run = await apiCall('GET', `/v1/runs/${runId}`);
  assert.equal(run.kind, 'flow');
  assert.deepEqual(run.trigger, { type: 'rule', source_id: ruleId, actor: eventId });

  // Run → rule: the rule's last fires link the event and the run.
  await page.goto(`${server.url}/runs/${runId}`);
  await page
    .getByTestId('run-trigger')
    .getByRole('link', { name: `rule ${ruleId}` })
    .click();
  await page.waitForURL(new RegExp(`/triggers/rules/${ruleId}$`));
  const fires = page.getByTestId('fires');
  await fires.getByRole('link', { name: runId }).waitFor();
  await fires.getByRole('link', { name: eventId }).waitFor();

  // Pause and resume from the rule's page.
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('button', { name: 'Resume' }).waitFor();
  assert.equal((await apiCall('GET', `/v1/rules/${ruleId}`)).status, 'paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByRole('button', { name: 'Pause' }).waitFor();

  // A schedule edited on its page (PATCH): a bad time zone is refused naming the field, nothing
  // saved; a new cron is saved as v2 and its next fire times follow it.
  const sched = await apiCall('POST', '/v1/schedules', {
    name: 'yearly check',
    cron: '0 0 1 1 *',
    timezone: 'Europe/Berlin',
    target: { type: 'flow', flow_id: flowId, inputs: { order: 'nightly' } },
  });
  const schedId = String(sched.id);
  await page.goto(`${server.url}/triggers/schedules/${schedId}`);
  await page.getByRole('heading', { name: 'yearly check' }).waitFor();
  await page.getByRole('button', { name: 'Edit' }).click();
  const editForm = page.getByRole('form', { name: 'Edit schedule' });
  await editForm.getByLabel('Time zone').fill('Mars/Olympus');
  await editForm.getByRole('button', { name: 'Save schedule' }).click();
  await editForm.getByRole('alert').filter({ hasText: 'timezone' }).waitFor();
  assert.equal((await apiCall('GET', `/v1/schedules/${schedId}`)).version, 1);
  await editForm.getByLabel('Time zone').fill('Europe/Berlin');
  await editForm.getByLabel(/^Cron/).fill('0 30 6 * * *');
  await editForm.getByLabel('Name').fill('morning check');
  await editForm.getByRole('button', { name: 'Save schedule' }).click();
  await page.getByRole('heading', { name: 'morning check' }).waitFor();
  await page.locator('dl.facts').filter({ hasText: 'v2' }).waitFor();
  const nextTimes = await page.getByTestId('next-fire-times').locator('li').allInnerTexts();
  assert.equal(nextTimes.length, 5);
  for (const t of nextTimes) assert.equal(new Date(t).toLocaleTimeString('en-GB', { timeZone: 'Europe/Berlin' }), '06:30:00', t);
  assert.equal(new Set(nextTimes.map((t) => new Date(t).toLocaleDateString('en-GB', { timeZone: 'Europe/Berlin' }))).size, 5);
  const edited = await apiCall('GET', `/v1/schedules/${schedId}`);
  assert.equal(edited.version, 2);
  assert.equal(edited.cron, '0 30 6 * * *');
  assert.equal(edited.timezone, 'Europe/Berlin');

  // A table's page: "Rules" beside its manual run lists the rules that target it (none yet).
  await page.goto(`${server.url}/tables/${tableId}`);
  await page.getByRole('link', { name: 'Rules', exact: true }).click();
  await page.waitForURL(/\/triggers\?target=/);
  await page.getByRole('heading', { name: `Rules of column · table_id=${tableId}` }).waitFor();
  await page.getByTestId('no-rules').waitFor();
  assert.match(
    await page
      .getByLabel(/^Target/)
      .first()
      .inputValue(),
    new RegExp(tableId),
  );
  traps.assertClean();
});

test('console: a rule targeting a worker — an event starts a worker run on its row, links event → run → event', { timeout: 240_000 }, async (t) => {
  const fake = await startFakeLlm({ respond: () => ({ text: 'P1 · owner: billing team' }) });
  t.after(() => fake.close());
  const env = await startConsoleServer();
  t.after(() => env.close());
  const { browser, server } = env;
  const apiCall = apiOf(server);
  const tableId = await loadCountries(env.client);
  const rowId = String((((await apiCall('GET', `/v1/tables/${tableId}/rows?limit=3`)).data as Record<string, unknown>[])[2] ?? {}).id);
  const worker = await apiCall('POST', '/v1/workers', {
    name: 'country notes',
    instructions: 'Comment on the country.',
    model: { model: 'fake-model', base_url: fake.baseUrl, max_output_tokens: 128, max_input_tokens: 4000 },
    tool_categories: ['read_records', 'write_comments'],
    output: { mode: 'task_comment' },
  });
  const rule = await apiCall('POST', '/v1/rules', {
    name: 'note new countries',
    on: 'country.added',
    target: { type: 'worker', worker_id: String(worker.id), subject: { table_id: tableId, row_id: '{{event.data.row_id}}' } },
  });
  const ruleId = String(rule.id);
  const eventId = String((await apiCall('POST', '/v1/events', { name: 'country.added', data: { row_id: rowId } })).id);

  const { page, traps } = await openPage(browser);
  await page.goto(`${server.url}/triggers/events/${eventId}`);
  const runLink = await until('the event page to list its worker run', 30_000, async () => {
    const links = page.getByTestId('event-runs').getByRole('link');
    if ((await links.count()) > 0) return links.first();
    await page.reload();
    await page.getByRole('heading', { name: 'Event country.added' }).waitFor();
    return undefined;
  });
  const runId = (await runLink.innerText()).trim();
  assert.match(runId, /^run_/);
  await runLink.click();
  await page.waitForURL(new RegExp(`/runs/${runId}$`));
  const label = page.getByTestId('run-trigger');
  await label.waitFor();
  assert.match(await label.innerText(), /rule/);
  await label.getByRole('link', { name: `rule ${ruleId}` }).waitFor();
  await label.getByRole('link', { name: `event ${eventId}` }).click();
  await page.waitForURL(new RegExp(`/triggers/events/${eventId}$`));
  await page.getByRole('heading', { name: 'Event country.added' }).waitFor();
  assert.equal((await page.getByTestId('event-runs').getByRole('link').first().innerText()).trim(), runId);

  const run = await until('the worker run to finish', 60_000, async () => {
    const r = await apiCall('GET', `/v1/runs/${runId}`);
    return ['succeeded', 'partial', 'failed', 'canceled'].includes(String(r.status)) ? r : undefined;
  });
  assert.equal(run.kind, 'worker');
  assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
  assert.deepEqual(run.trigger, { type: 'rule', source_id: ruleId, actor: eventId });
  assert.equal((run.subject as Record<string, unknown>).id, rowId);
  const comments = (await apiCall('GET', `/v1/tables/${tableId}/rows/${rowId}/comments?limit=10`)).data as Record<string, unknown>[];
  assert.equal(comments.length, 1);
  assert.match(String(comments[0]?.body), /billing team/);
  traps.assertClean();
});
