/**
 * Rerun and retry say what happens to the existing output before starting (issue 14 item 6),
 * through the HTTP API on 127.0.0.1, on both databases, against the local OpenAI-compatible
 * server: `GET /v1/runs/{run_id}/output-notice` for a worker run whose `task_comment` (replace)
 * exists says it will be replaced, for a dry run that wrote nothing says there is none, for a
 * column run does not apply, and is a 404 for an unknown run; `POST …/retry-failed` carries the
 * notice as it was before the retry (null for a column run).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiApp, type ApiApp, type Json } from '../helpers/api-app.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startFakeLlm, type FakeLlm, type Reply } from '../helpers/fake-llm.js';
import { tempDir, writeModule } from '../helpers/fixtures.js';

describeEachBackend('output notices of reruns and retries', (backend) => {
  let app: ApiApp;
  let fake: FakeLlm;
  const call = (method: string, path: string, body?: unknown) => app.call(method, path, body);
  let tableId: string;
  let rowIds: string[];
  let reply: Reply = { text: 'P2 · owner: identity team' };
  const dir = tempDir();

  const finished = (runId: string) => app.finished(runId, 120_000);

  before(async () => {
    writeModule(
      dir,
      'shout.mjs',
      "export default (i) => { if (i.t.startsWith('T1')) throw Object.assign(new Error('no'), { retryable: false, code: 'bad_row' }); return i.t.toUpperCase(); };",
    );
    fake = await startFakeLlm({ respond: () => reply });
    app = await startApiApp(backend, { dir });
    const t = await call('POST', '/v1/tables', { name: 'tickets', format: 'csv', data: 'ticket,title\nT0,Login fails\nT1,Refund late\nT2,Slow page\n' });
    assert.equal(t.status, 201, t.text);
    tableId = t.json.id as string;
    rowIds = ((await call('GET', `/v1/tables/${tableId}/rows?limit=10`)).json.data as Json[]).map((r) => r.id as string);
  });

  after(async () => {
    await app.close();
    await fake.close();
  });

  test('a worker run: the notice says an existing comment will be replaced, and that a subject without one gets a new one', { timeout: 300_000 }, async () => {
    const w = await call('POST', '/v1/workers', {
      name: 'triage',
      template_key: 'triage_ticket',
      model: { model: 'fake-model', base_url: fake.baseUrl, max_output_tokens: 256, max_input_tokens: 4000 },
    });
    assert.equal(w.status, 201, w.text);
    const wid = w.json.id as string;
    const subject = (i: number) => ({ subject: { table_id: tableId, row_id: rowIds[i] } });

    const live = await call('POST', `/v1/workers/${wid}/runs`, subject(0));
    assert.equal(live.status, 201, live.text);
    const liveId = (live.json.run as Json).id as string;
    assert.equal((await finished(liveId)).status, 'succeeded');
    const notice = await call('GET', `/v1/runs/${liveId}/output-notice`);
    assert.equal(notice.status, 200, notice.text);
    assert.equal(notice.json.applies, true);
    const n = notice.json.output_notice as Json;
    assert.equal(n.exists, true);
    assert.equal(n.policy, 'replace');
    assert.match(n.message as string, /replaced/);

    // A dry run writes nothing: a rerun of it would write the first comment.
    const dry = await call('POST', `/v1/workers/${wid}/runs`, { ...subject(2), mode: 'dry_run' });
    const dryId = (dry.json.run as Json).id as string;
    assert.equal((await finished(dryId)).status, 'succeeded');
    const none = await call('GET', `/v1/runs/${dryId}/output-notice`);
    assert.deepEqual(none.json, {
      applies: true,
      output_notice: { exists: false, policy: 'replace', message: 'no earlier output: the run writes task_comment (slot triage)' },
    });

    // A failed worker run: retry-failed tells the notice as it was before the retry.
    reply = { status: 400, error: { message: 'bad request', type: 'invalid_request_error' } };
    const bad = await call('POST', `/v1/workers/${wid}/runs`, subject(1));
    const badId = (bad.json.run as Json).id as string;
    assert.equal((await finished(badId)).status, 'failed');
    reply = { text: 'P3 · owner: billing' };
    const retried = await call('POST', `/v1/runs/${badId}/retry-failed`);
    assert.equal(retried.status, 200, retried.text);
    assert.equal(retried.json.retried, 1);
    assert.deepEqual(retried.json.output_notice, {
      exists: false,
      policy: 'replace',
      message: 'no earlier output: the run writes task_comment (slot triage)',
    });
    assert.equal((await finished(badId)).status, 'succeeded');
    // Now the retried run left a comment: its own notice says a rerun would replace it.
    assert.equal(((await call('GET', `/v1/runs/${badId}/output-notice`)).json.output_notice as Json).exists, true);
    // The rerun keeps that single comment (replace): the notice told the truth.
    const rerun = await call('POST', `/v1/runs/${badId}/rerun`, { pin: 'version' });
    assert.equal(rerun.status, 201, rerun.text);
    assert.equal((await finished(rerun.json.id as string)).status, 'succeeded');
    const comments = (await call('GET', `/v1/tables/${tableId}/rows/${rowIds[1]}/comments?limit=10`)).json.data as Json[];
    assert.equal(comments.length, 1);
  });

  test('a column run: the notice does not apply (retry-failed carries null); an unknown run is a 404', { timeout: 120_000 }, async () => {
    const col = await call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'loud',
      producer: 'js',
      config: { module: 'shout.mjs', input: { t: '{{ticket}}' } },
    });
    assert.equal(col.status, 201, col.text);
    const run = await call('POST', `/v1/tables/${tableId}/columns/loud/runs`, {});
    assert.equal(run.status, 201, run.text);
    const runId = run.json.id as string;
    assert.equal((await finished(runId)).status, 'partial');
    const notice = await call('GET', `/v1/runs/${runId}/output-notice`);
    assert.equal(notice.status, 200, notice.text);
    assert.deepEqual(notice.json, { applies: false, output_notice: null });
    const retried = await call('POST', `/v1/runs/${runId}/retry-failed`);
    assert.equal(retried.status, 200, retried.text);
    assert.equal(retried.json.output_notice, null);

    const missing = await call('GET', '/v1/runs/run_00000000000000000000000000/output-notice');
    assert.equal(missing.status, 404, missing.text);
    assert.equal((missing.json.error as Json).code, 'not_found');
  });
});
