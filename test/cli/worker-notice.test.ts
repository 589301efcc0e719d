/**
 * `runyard runs rerun` and `runyard runs retry-failed` of a worker run print what they will do
 * to the output its worker left (`output: …`) before the run, and carry `output_notice` in
 * `--json` (null for a column run); spawned as the real binary against a real `runyard up` and
 * the local OpenAI-compatible server (issue 14 item 6).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, type Harness, type Json } from '../control/harness.js';
import { runCli, useToken } from './helpers.js';
import { startFakeLlm, type FakeLlm, type Reply } from '../helpers/fake-llm.js';

describe('runyard runs rerun|retry-failed: the output notice first', () => {
  let h: Harness;
  let url: string[];
  let fake: FakeLlm;
  let reply: Reply = { text: 'P3: a question for support' };
  before(async () => {
    fake = await startFakeLlm({ respond: () => reply });
    h = await harness();
    useToken(h.ry.token);
    url = ['--url', h.ry.url];
  });
  after(async () => {
    await h.close();
    await fake.close();
  });

  test('a worker run: retry-failed and rerun say what happens to the comment; a column run says nothing', { timeout: 180_000 }, async () => {
    const w = await h.call('POST', '/v1/workers', { name: 'triage', template_key: 'triage_ticket', model: { model: 'm', base_url: fake.baseUrl } });
    assert.equal(w.status, 201, JSON.stringify(w.json));
    const t = await h.call('POST', '/v1/tables', { name: 'tickets', format: 'csv', data: 'title\nlogin fails\n' });
    const tableId = t.json.id as string;
    const rowId = ((await h.call('GET', `/v1/tables/${tableId}/rows`)).json.data as Json[])[0]!.id as string;

    // A failed run (the provider refuses): retry-failed says no comment exists yet, then retries.
    reply = { status: 400, error: { message: 'bad request', type: 'invalid_request_error' } };
    const ran = await h.call('POST', `/v1/workers/${w.json.id as string}/runs`, { subject: { table_id: tableId, row_id: rowId } });
    const runId = (ran.json.run as Json).id as string;
    assert.equal((await h.waitTerminal(runId, 60_000)).status, 'failed');
    reply = { text: 'P3: a question for support' };
    const retried = await runCli(['runs', 'retry-failed', runId, ...url]);
    assert.equal(retried.code, 0, retried.stderr);
    const lines = retried.stdout.split('\n');
    assert.equal(lines[0], 'output: no earlier output: the run writes task_comment (slot triage)', retried.stdout);
    assert.match(lines[1] ?? '', /Retrying 1 failed item/);
    assert.equal((await h.waitTerminal(runId, 60_000)).status, 'succeeded');

    // The comment exists now: a rerun says it will be replaced, first.
    const rerun = await runCli(['runs', 'rerun', runId, ...url]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal(rerun.stdout.split('\n')[0], 'output: an earlier output exists: it will be replaced', rerun.stdout);
    const asJson = await runCli(['runs', 'rerun', runId, '--json', ...url]);
    assert.equal(asJson.code, 0, asJson.stderr);
    const second = JSON.parse(asJson.stdout) as Json;
    assert.equal(second.retry_of, runId);
    assert.deepEqual(second.output_notice, { exists: true, policy: 'replace', message: 'an earlier output exists: it will be replaced' });
    await h.waitTerminal(second.id as string, 60_000);

    // A column run: no notice line, `output_notice: null` in --json.
    const colTable = await h.table('cli', [
      { n: 1, kind: 'ok' },
      { n: 2, kind: 'perm' },
    ]);
    const col = (await h.start(colTable)).id as string;
    assert.equal((await h.waitTerminal(col)).status, 'partial');
    const colRetry = await runCli(['runs', 'retry-failed', col, '--json', ...url]);
    assert.equal(colRetry.code, 0, colRetry.stderr);
    assert.equal((JSON.parse(colRetry.stdout) as Json).output_notice, null);
    await h.waitTerminal(col);
    const colRerun = await runCli(['runs', 'rerun', col, ...url]);
    assert.equal(colRerun.code, 0, colRerun.stderr);
    assert.doesNotMatch(colRerun.stdout, /^output:/m);
    const colRerunJson = await runCli(['runs', 'rerun', col, '--json', ...url]);
    assert.equal((JSON.parse(colRerunJson.stdout) as Json).output_notice, null);
  });
});
