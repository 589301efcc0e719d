/**
 * A rule starts a flow run, end to end over HTTP on 127.0.0.1, on both databases (issue 15): the
 * rule's target is a flow whose inputs are templates over the event (a lone placeholder keeps
 * the event value's type, so the flow's integer input gets a number); the run is labelled
 * `trigger {type: rule, source_id: rul_…, actor: tev_…}` and the event lists the run; an event the
 * inputs cannot be rendered from fails its fire with the reason and starts nothing; a flow that
 * does not exist is a 422 naming `target`. A schedule targeting the flow is edited (`PATCH`: a
 * new version, a bad time zone refused with nothing saved) and its new cron starts flow runs
 * labelled with the schedule.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiApp, type ApiApp, type Json } from '../helpers/api-app.js';
import { describeEachBackend } from '../helpers/backends.js';
import { tempDir, until, writeModule } from '../helpers/fixtures.js';

const FLOW = `
name: order check
inputs:
  type: object
  properties:
    order: { type: string }
    amount: { type: integer }
  required: [order, amount]
steps:
  - id: check
    type: tool
    producer: js
    config: { module: check.mjs, input: { order: "{{input.order}}", amount: "{{input.amount}}" } }
  - id: summary
    type: summarize
    text: "{{input.order}} for {{input.amount}}"
`;

describeEachBackend('a rule starts a flow run', (backend) => {
  let app: ApiApp;
  const call: ApiApp['call'] = (...args) => app.call(...args);

  before(async () => {
    const dir = tempDir();
    writeModule(dir, 'check.mjs', 'export default (input) => ({ checked: input.order, amount: input.amount });');
    app = await startApiApp(backend, { dir, triggers: { sweepMs: 100, fireLeaseMs: 2000 } });
  });

  after(() => app.close());

  test('the run links back to the event, the event lists the run; bad events and targets refused', async () => {
    const flow = await call('POST', '/v1/flows', { definition: FLOW });
    assert.equal(flow.status, 201, flow.text);
    const flowId = String(flow.json.id);

    const missing = await call('POST', '/v1/rules', { name: 'r', on: 'order.created', target: { type: 'flow', flow_id: 'flw_missing' } });
    assert.equal(missing.status, 422, missing.text);
    assert.equal(missing.json.error?.details.field, 'target');
    const badTemplate = await call('POST', '/v1/rules', {
      name: 'r',
      on: 'order.created',
      target: { type: 'flow', flow_id: flowId, inputs: { order: '{{#if}}' } },
    });
    assert.equal(badTemplate.status, 422, badTemplate.text);
    assert.match(String(badTemplate.json.error?.details.field), /^target\.inputs/);
    assert.equal(((await call('GET', '/v1/rules')).json.data as Json[]).length, 0);

    const rule = await call('POST', '/v1/rules', {
      name: 'check big orders',
      on: 'order.created',
      if: 'event.data.amount > 100',
      target: { type: 'flow', flow_id: flowId, inputs: { order: '{{event.data.order}}', amount: '{{event.data.amount}}' } },
    });
    assert.equal(rule.status, 201, rule.text);
    const ruleId = String(rule.json.id);

    const tested = await call('POST', `/v1/rules/${ruleId}/test`, { name: 'order.created', data: { order: 'o-7', amount: 700 } });
    assert.equal(tested.json.match, true, tested.text);
    assert.deepEqual((tested.json.run as Json).target, { type: 'flow', flow_id: flowId, inputs: { order: 'o-7', amount: 700 } });

    const runsBefore = ((await call('GET', '/v1/runs?trigger=rule')).json.data as Json[]).length;
    const small = await call('POST', '/v1/events', { name: 'order.created', data: { order: 'o-1', amount: 5 } });
    const big = await call('POST', '/v1/events', { name: 'order.created', data: { order: 'o-2', amount: 250 } });
    assert.equal(big.status, 201, big.text);
    const eventId = String(big.json.id);
    const ev = await until('the event to list its run', 15_000, async () => {
      const e = await call('GET', `/v1/trigger-events/${eventId}`);
      return (e.json.run_ids as string[]).length > 0 ? e.json : undefined;
    });
    const runIds = ev.run_ids as string[];
    assert.equal(runIds.length, 1);
    const runId = runIds[0] ?? '';
    const run = await until('the flow run to finish', 20_000, async () => {
      const r = await call('GET', `/v1/runs/${runId}`);
      return ['succeeded', 'partial', 'failed', 'canceled'].includes(String(r.json.status)) ? r.json : undefined;
    });
    assert.equal(run.kind, 'flow');
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.deepEqual(run.trigger, { type: 'rule', source_id: ruleId, actor: eventId });
    assert.equal((ev.fires as Json[])[0]?.source_id, ruleId);
    assert.deepEqual((await call('GET', `/v1/trigger-events/${String(small.json.id)}`)).json.run_ids, []);
    const byRule = (await call('GET', '/v1/runs?trigger=rule')).json.data as Json[];
    assert.equal(byRule.length, runsBefore + 1);
    assert.ok(byRule.some((r) => r.id === runId));
    const ruleView = await call('GET', `/v1/rules/${ruleId}`);
    assert.ok((ruleView.json.recent_fires as Json[]).some((f) => f.run_id === runId && f.event_id === eventId));

    // An event the inputs cannot be rendered from: the fire fails with the reason, no run starts.
    const bad = await call('POST', '/v1/events', { name: 'order.created', data: { amount: 900 } });
    const fire = await until('the failed fire', 15_000, async () => {
      const f = ((await call('GET', `/v1/trigger-events/${String(bad.json.id)}`)).json.fires as Json[])[0];
      return f && f.status !== 'pending' ? f : undefined;
    });
    assert.equal(fire.status, 'failed');
    assert.match(String(fire.reason), /order/);
    assert.equal(((await call('GET', '/v1/runs?trigger=rule')).json.data as Json[]).length, runsBefore + 1);
  });

  test('a schedule edit (PATCH) saves a new version; the new cron starts flow runs labelled with the schedule', async () => {
    const flow = await call('POST', '/v1/flows', { definition: FLOW });
    const target = { type: 'flow', flow_id: String(flow.json.id), inputs: { order: 'nightly', amount: 1 } };
    const created = await call('POST', '/v1/schedules', { name: 'yearly', cron: '0 0 1 1 *', timezone: 'Europe/Berlin', target });
    assert.equal(created.status, 201, created.text);
    const id = String(created.json.id);
    const bad = await call('PATCH', `/v1/schedules/${id}`, { timezone: 'Mars/Olympus' });
    assert.equal(bad.status, 422, bad.text);
    assert.equal(bad.json.error?.details.field, 'timezone');
    assert.equal((await call('GET', `/v1/schedules/${id}`)).json.version, 1);
    assert.equal((await call('PATCH', '/v1/schedules/sch_missing', { cron: '* * * * *' })).status, 404);

    const edited = await call('PATCH', `/v1/schedules/${id}`, { cron: '*/2 * * * * *', name: 'every 2 s' });
    assert.equal(edited.status, 200, edited.text);
    assert.equal(edited.json.version, 2);
    assert.equal(edited.json.name, 'every 2 s');
    assert.equal(edited.json.timezone, 'Europe/Berlin');
    const next = (edited.json.next_fire_times as string[]).map((t) => Date.parse(t));
    assert.equal(next.length, 5);
    for (let i = 1; i < next.length; i++) assert.equal((next[i] ?? 0) - (next[i - 1] ?? 0), 2000);
    const fire = await until('a slot of the new cron to start a run', 20_000, async () => {
      const f = ((await call('GET', `/v1/schedules/${id}`)).json.recent_fires as Json[]).find((x) => x.run_id);
      return f;
    });
    const run = await call('GET', `/v1/runs/${String(fire.run_id)}`);
    assert.equal(run.json.kind, 'flow');
    assert.deepEqual(run.json.trigger, { type: 'schedule', source_id: id, actor: null });
    assert.equal((await call('PATCH', `/v1/schedules/${id}`, { status: 'paused' })).json.status, 'paused');
  });
});
