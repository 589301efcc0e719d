/**
 * Answering waiting items over HTTP and with `runyard items respond`, against a real `runyard up`:
 * a column of the built-in `input` producer makes every row's item wait (no slot held, the run
 * `waiting_for_input` with the prompt in its waiting reason); answers fill the cells, the
 * attempts view shows `answered`, a second answer is 409 `item_not_waiting`, a bad body is 422
 * naming `answer`, an unknown item is 404, and the last answer finishes the run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, type Harness, type Json } from '../control/harness.js';
import { runCli, useToken } from './helpers.js';
import { until } from '../helpers/fixtures.js';

describe('respond to a waiting item: POST /v1/runs/{run_id}/items/{item_id}/respond and runyard items respond', () => {
  let h: Harness;
  let url: string[];
  before(async () => {
    h = await harness();
    useToken(h.ry.token);
    url = ['--url', h.ry.url];
  });
  after(async () => h.close());

  test('input items wait; answers fill the cells; one answer per item; the last answer finishes the run', { timeout: 90_000 }, async () => {
    const t = await h.call('POST', '/v1/tables', { name: 'ask', format: 'json', data: JSON.stringify([{ n: '1' }, { n: '2' }]) });
    assert.equal(t.status, 201, JSON.stringify(t.json));
    const tableId = String(t.json.id);
    const col = await h.call('POST', `/v1/tables/${tableId}/columns`, { name: 'approve', producer: 'input', config: { prompt: 'Approve row {{n}}?' } });
    assert.equal(col.status, 201, JSON.stringify(col.json));
    const started = await h.call('POST', `/v1/tables/${tableId}/columns/approve/runs`, {});
    assert.equal(started.status, 201, JSON.stringify(started.json));
    const runId = String(started.json.id);

    const waiting = await until('both items waiting', 30_000, async () => {
      const r = await h.call('GET', `/v1/runs/${runId}`);
      return r.json.status === 'waiting_for_input' && r.json.items_waiting === 2 ? r.json : undefined;
    });
    assert.equal(waiting.items_running, 0);
    assert.match(String((waiting.waiting_reason as Json).message), /waits for an answer \(and 1 more\): Approve row 1\?/);
    const [first, second] = await h.items(runId);
    assert.ok(first && second);
    assert.deepEqual(first.waiting, { prompt: 'Approve row 1?', form: null });

    // Refusals change nothing.
    const bad = await h.call('POST', `/v1/runs/${runId}/items/${String(first.id)}/respond`, { answer: [1] });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.error?.details.field, 'answer');
    const unknown = await h.call('POST', `/v1/runs/${runId}/items/itm_unknown/respond`, { answer: {} });
    assert.equal(unknown.status, 404);

    // The CLI answers the first item.
    const cli = await runCli(['items', 'respond', runId, String(first.id), '--answer', '{"approved": true}', '--json', ...url]);
    assert.equal(cli.code, 0, cli.stderr);
    const res = JSON.parse(cli.stdout) as { run: Json; item: Json };
    assert.equal(res.item.status, 'succeeded');
    assert.deepEqual(res.item.outputs, { approved: true });
    assert.equal(res.run.status, 'waiting_for_input');
    assert.equal(res.run.items_waiting, 1);
    const again = await runCli(['items', 'respond', runId, String(first.id), '--answer', '{"approved": false}', ...url]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /item_not_waiting/);
    const notObject = await runCli(['items', 'respond', runId, String(second.id), '--answer', '[1]', ...url]);
    assert.equal(notObject.code, 2);
    assert.match(notObject.stderr, /--answer: expected a JSON object/);

    // The last answer, over HTTP, finishes the run; the cells hold the answers.
    const last = await h.call('POST', `/v1/runs/${runId}/items/${String(second.id)}/respond`, { answer: { approved: false } });
    assert.equal(last.status, 200, JSON.stringify(last.json));
    assert.equal((last.json.run as Json).status, 'succeeded');
    for (const [item, answer] of [
      [first, { approved: true }],
      [second, { approved: false }],
    ] as const) {
      const cell = await h.call('GET', `/v1/tables/${tableId}/cells/${String(item.key)}/approve`);
      assert.equal(cell.status, 200, JSON.stringify(cell.json));
      assert.equal(cell.json.status, 'succeeded');
      assert.deepEqual(cell.json.value, answer);
    }
    const detail = await h.call('GET', `/v1/runs/${runId}/items/${String(first.id)}`);
    const attempts = detail.json.attempts as Json[];
    assert.deepEqual(
      attempts.map((a) => a.outcome),
      ['answered'],
    );
    const events = (await h.events(runId)).map((e) => e.type);
    assert.equal(events.filter((e) => e === 'item.waiting').length, 2);
    assert.equal(events.filter((e) => e === 'item.answered').length, 2);
  });
});
