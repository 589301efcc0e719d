/**
 * A rule starts a worker run, end to end over HTTP on 127.0.0.1, on both databases, against the
 * local OpenAI-compatible fake (issue 15): the rule's target is a worker whose subject row is
 * taken from the event (`row_id: '{{event.data.row_id}}'`); the run is labelled
 * `trigger {type: rule, source_id: rul_…, actor: tev_…}`, its subject is that row, the event lists
 * the run and the row gets the worker's comment. An event naming a row that does not exist starts
 * no run and its fire records why; a worker that does not exist is a 422 naming `target`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiApp, type ApiApp, type Json } from '../helpers/api-app.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { until } from '../helpers/fixtures.js';

describeEachBackend('a rule starts a worker run', (backend) => {
  let app: ApiApp;
  let fake: FakeLlm;
  const call: ApiApp['call'] = (...args) => app.call(...args);

  before(async () => {
    fake = await startFakeLlm({ respond: () => ({ text: 'P1 · owner: billing team', usage: { prompt_tokens: 40, completion_tokens: 8 } }) });
    app = await startApiApp(backend, { triggers: { sweepMs: 100, fireLeaseMs: 2000 } });
  });

  after(async () => {
    await app.close();
    await fake.close();
  });

  test('the worker run acts on the event row and links back to the event; a missing row starts nothing', async () => {
    const t = await call('POST', '/v1/tables', { name: 'tickets', format: 'csv', data: 'ticket,title\nT1,Invoice wrong\nT2,Login fails\n' });
    assert.equal(t.status, 201, t.text);
    const tableId = String(t.json.id);
    const rowIds = ((await call('GET', `/v1/tables/${tableId}/rows?limit=10`)).json.data as Json[]).map((r) => String(r.id));
    assert.equal(rowIds.length, 2);
    const rowId = rowIds[1] ?? '';
    const w = await call('POST', '/v1/workers', {
      name: 'ticket triage',
      template_key: 'triage_ticket',
      model: { model: 'fake-model', base_url: fake.baseUrl, max_output_tokens: 256, max_input_tokens: 4000 },
    });
    assert.equal(w.status, 201, w.text);
    const workerId = String(w.json.id);
    const subject = { table_id: tableId, row_id: '{{event.data.row_id}}' };

    const missing = await call('POST', '/v1/rules', { name: 'r', on: 'ticket.opened', target: { type: 'worker', worker_id: 'wkr_missing', subject } });
    assert.equal(missing.status, 422, missing.text);
    assert.equal(missing.json.error?.details.field, 'target');
    assert.equal(((await call('GET', '/v1/rules')).json.data as Json[]).length, 0);

    const rule = await call('POST', '/v1/rules', {
      name: 'triage opened tickets',
      on: 'ticket.opened',
      target: { type: 'worker', worker_id: workerId, subject },
    });
    assert.equal(rule.status, 201, rule.text);
    const ruleId = String(rule.json.id);
    const tested = await call('POST', `/v1/rules/${ruleId}/test`, { name: 'ticket.opened', data: { row_id: rowId } });
    assert.equal(tested.json.match, true, tested.text);
    assert.deepEqual((tested.json.run as Json).target, { type: 'worker', worker_id: workerId, subject: { table_id: tableId, row_id: rowId } });

    const sent = await call('POST', '/v1/events', { name: 'ticket.opened', data: { row_id: rowId } });
    assert.equal(sent.status, 201, sent.text);
    const eventId = String(sent.json.id);
    const ev = await until('the event to list its run', 15_000, async () => {
      const e = await call('GET', `/v1/trigger-events/${eventId}`);
      return (e.json.run_ids as string[]).length > 0 ? e.json : undefined;
    });
    const runIds = ev.run_ids as string[];
    assert.equal(runIds.length, 1);
    const runId = runIds[0] ?? '';
    const run = await until('the worker run to finish', 30_000, async () => {
      const r = await call('GET', `/v1/runs/${runId}`);
      return ['succeeded', 'partial', 'failed', 'canceled'].includes(String(r.json.status)) ? r.json : undefined;
    });
    assert.equal(run.kind, 'worker');
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(run.target_id, workerId);
    assert.deepEqual(run.trigger, { type: 'rule', source_id: ruleId, actor: eventId });
    assert.equal((run.subject as Json).id, rowId);
    assert.equal((run.subject as Json).table_id, tableId);
    assert.equal((ev.fires as Json[])[0]?.source_id, ruleId);
    const comments = (await call('GET', `/v1/tables/${tableId}/rows/${rowId}/comments?limit=10`)).json.data as Json[];
    assert.equal(comments.length, 1);
    assert.match(String(comments[0]?.body), /billing team/);
    assert.equal(((await call('GET', `/v1/tables/${tableId}/rows/${rowIds[0] ?? ''}/comments?limit=10`)).json.data as Json[]).length, 0);
    const ruleView = await call('GET', `/v1/rules/${ruleId}`);
    assert.ok((ruleView.json.recent_fires as Json[]).some((f) => f.run_id === runId && f.event_id === eventId));

    // An event naming a row that does not exist: the fire fails with the reason, no run starts.
    const workerRuns = async () => ((await call('GET', '/v1/runs?trigger=rule')).json.data as Json[]).length;
    const before = await workerRuns();
    const bad = await call('POST', '/v1/events', { name: 'ticket.opened', data: { row_id: 'row_nowhere' } });
    const fire = await until('the failed fire', 15_000, async () => {
      const f = ((await call('GET', `/v1/trigger-events/${String(bad.json.id)}`)).json.fires as Json[])[0];
      return f && f.status !== 'pending' ? f : undefined;
    });
    assert.equal(fire.status, 'failed');
    assert.match(String(fire.reason), /row_nowhere/);
    assert.deepEqual((await call('GET', `/v1/trigger-events/${String(bad.json.id)}`)).json.run_ids, []);
    assert.equal(await workerRuns(), before);
  });
});
