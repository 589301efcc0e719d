/**
 * The flow step features beyond tool/decide-by-rule/branch/for_each/input/summarize (issue 13),
 * through the HTTP API on both databases:
 * - `parallel`: every branch starts before any finishes (a barrier only all of them can pass),
 *   the join's output is keyed by branch id; a failed branch fails the step;
 * - `wait`: `for_s` holds the next step back at least that long without holding a slot, and an
 *   `until` CEL timestamp in the past goes on at once;
 * - per-step `timeout_s` (a shell step that sleeps is cut off, `producer_timeout`) and `retry`;
 * - `decide` with a `model`: the local fake LLM picks the option and gives its rationale, both
 *   recorded and read by later steps; the request names every option;
 * - `no_steps: true` when no step is selected;
 * - input `assignees`: an answer by someone else is 403 and changes nothing (on both answer
 *   paths); a role admits that role and higher;
 * - 422 listing every error of the new step types with its JSON path.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachBackend } from '../helpers/backends.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { startFlowApp, type FlowApp, type Json } from '../helpers/flow-app.js';
import { tempDir, writeModule } from '../helpers/fixtures.js';

describeEachBackend('flow steps: parallel, wait, timeout, decide by model, no_steps, assignees', (backend) => {
  let app: FlowApp;
  let llm: FakeLlm;
  let dir: string;

  before(async () => {
    dir = tempDir();
    // Each branch records when it started, then waits until all `n` have started (or fails after 10 s).
    writeModule(
      dir,
      'barrier.mjs',
      `import { writeFileSync, readdirSync, mkdirSync } from 'node:fs';
export default async (input) => {
  const at = ${JSON.stringify(dir)} + '/barrier-' + input.run;
  mkdirSync(at, { recursive: true });
  writeFileSync(at + '/' + input.name, String(Date.now()));
  const t0 = Date.now();
  while (readdirSync(at).length < Number(input.n)) {
    if (Date.now() - t0 > 10000) throw Object.assign(new Error('not every branch started'), { retryable: false });
    await new Promise((r) => setTimeout(r, 20));
  }
  if (input.name === input.fail) throw Object.assign(new Error('branch ' + input.name + ' failed'), { retryable: false });
  return { name: input.name, at: Date.now() };
};`,
    );
    writeModule(dir, 'stamp.mjs', 'export default () => ({ at: Date.now() });');
    llm = await startFakeLlm();
    app = await startFlowApp(backend, dir);
  });
  after(async () => {
    await app.close();
    await llm.close();
  });

  const branch = (name: string, run: string, fail = '') => ({
    id: name,
    producer: 'js',
    config: { module: 'barrier.mjs', input: { name, run, n: 3, fail } },
    retry: { max_attempts: 1 },
  });

  test('parallel: branches run at once and join keyed by id; a failed branch fails the step', async () => {
    const ok = await app.createFlow({
      name: 'par',
      steps: [
        { id: 'par', type: 'parallel', branches: [branch('a', 'ok'), branch('b', 'ok'), branch('c', 'ok')] },
        { id: 'sum', type: 'summarize', text: '{{steps.par.output.outputs.b.value.name}} {{steps.par.output.failed}}' },
      ],
    });
    const run = await app.finished(await app.runFlow(ok));
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(run.result_summary, 'b 0');
    const runId = String(run.id);
    assert.deepEqual((await app.items(runId)).map((i) => i.key).sort(), ['par[0]', 'par[1]', 'par[2]', 'sum']);

    const bad = await app.createFlow({
      name: 'par-fail',
      steps: [
        { id: 'par', type: 'parallel', branches: [branch('a', 'bad'), branch('b', 'bad', 'b'), branch('c', 'bad')] },
        { id: 'sum', type: 'summarize', text: 'never' },
      ],
    });
    const failed = await app.finished(await app.runFlow(bad));
    assert.equal(failed.status, 'failed');
    assert.match(String((failed.error as Json).message), /step par: 1 of 3 branches failed/);
    assert.equal(
      (await app.items(String(failed.id))).some((i) => i.key === 'sum'),
      false,
    );
  });

  test('wait: for_s holds the next step back; an until in the past goes on at once', async () => {
    const flow = await app.createFlow({
      name: 'wait',
      steps: [
        { id: 'before', type: 'tool', producer: 'js', config: { module: 'stamp.mjs' } },
        { id: 'pause', type: 'wait', for_s: 1.5 },
        { id: 'past', type: 'wait', until: "timestamp(now) - duration('1h')" },
        { id: 'after', type: 'tool', producer: 'js', config: { module: 'stamp.mjs' } },
      ],
    });
    const run = await app.finished(await app.runFlow(flow));
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const items = await app.items(String(run.id));
    const at = (k: string) => Number(((items.find((i) => i.key === k)!.outputs as Json).value as Json).at);
    assert.ok(at('after') - at('before') >= 1500, `after ran ${at('after') - at('before')} ms after before`);
    const pause = items.find((i) => i.key === 'pause')!;
    assert.match(String((pause.outputs as Json).until), /^\d{4}-\d\d-\d\dT/);
    assert.equal(items.find((i) => i.key === 'past')!.attempt_count, 1, 'a time in the past needs one attempt');
  });

  test('wait on an event: a matching POST /v1/events resumes it, another one does not', async () => {
    const flow = await app.createFlow({
      name: 'event wait',
      steps: [
        { id: 'deployed', type: 'wait', event: { name: 'deploy.done', match: "event.data.service == 'api'" }, expires_in_s: 600 },
        { id: 'sum', type: 'summarize', text: '{{steps.deployed.output.event.data.service}} {{steps.deployed.output.event.data.version}}' },
      ],
    });
    const runId = await app.runFlow(flow);
    const wait = await app.openWait(runId);
    assert.deepEqual(wait.event, { name: 'deploy.done', match: "event.data.service == 'api'" });
    const other = await app.call('POST', '/v1/events', { name: 'deploy.done', data: { service: 'db', version: '1' } });
    assert.ok(other.status < 300, other.text);
    assert.equal((await app.call('POST', '/v1/events', { name: 'deploy.started', data: { service: 'api' } })).status < 300, true);
    assert.equal((await app.call('GET', `/v1/waits/${String(wait.id)}`)).json.status, 'open', 'neither the other service nor the other name resumes it');
    await app.call('POST', '/v1/events', { name: 'deploy.done', data: { service: 'api', version: '7' } });
    const run = await app.finished(runId);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(run.result_summary, 'api 7');
    assert.match(String((await app.call('GET', `/v1/waits/${String(wait.id)}`)).json.responded_by), /^event:/);
  });

  test('timeout_s cuts a shell step off; retry gives it its attempts', async () => {
    const flow = await app.createFlow({
      name: 'timeout',
      steps: [
        {
          id: 'slow',
          type: 'tool',
          producer: 'shell',
          config: { command: 'sleep', args: ['5'] },
          timeout_s: 0.3,
          retry: { max_attempts: 2 },
          on_error: 'continue',
        },
        { id: 'fine', type: 'tool', producer: 'js', config: { module: 'stamp.mjs' } },
      ],
    });
    const t0 = Date.now();
    const run = await app.finished(await app.runFlow(flow));
    assert.equal(run.status, 'partial');
    assert.ok(Date.now() - t0 < 5000, 'cut off well before the sleep ends');
    const slow = (await app.items(String(run.id))).find((i) => i.key === 'slow')!;
    assert.equal(slow.status, 'failed');
    assert.equal(slow.attempt_count, 2);
    assert.equal((slow.inputs as Json).timeout_ms, 300);
    assert.equal((slow.error as Json).code, 'producer_timeout');
  });

  test('decide with a model: the LLM picks the option, its rationale is recorded and read later', async () => {
    llm.enqueue({ text: JSON.stringify({ option: 'restart', rationale: 'the service answers 503' }) });
    const flow = await app.createFlow({
      name: 'ai decide',
      steps: [
        {
          id: 'pick',
          type: 'decide',
          model: { model: 'fake-1', base_url: llm.baseUrl },
          prompt: 'The service {{input.service}} answers 503.',
          options: [
            { id: 'restart', description: 'restart the service' },
            { id: 'nothing', description: 'leave it', next: 'sum' },
          ],
        },
        { id: 'act', type: 'tool', producer: 'js', config: { module: 'stamp.mjs' } },
        { id: 'sum', type: 'summarize', text: '{{steps.pick.output.option}} by {{steps.pick.output.decided_by}}: {{steps.pick.output.rationale}}' },
      ],
    });
    const run = await app.finished(await app.runFlow(flow, { service: 'api' }));
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(run.result_summary, 'restart by llm: the service answers 503');
    const items = await app.items(String(run.id));
    assert.deepEqual(
      items.map((i) => i.key),
      ['pick', 'act', 'sum'],
    );
    assert.deepEqual((items[0]!.outputs as Json).value, { option: 'restart', rationale: 'the service answers 503' });
    const req = llm.requests.at(-1)!;
    assert.match(req.user, /The service api answers 503\./);
    assert.match(req.user, /- restart: restart the service/);
    assert.match(req.user, /- nothing: leave it/);
  });

  test('no step selected: succeeded with no_steps', async () => {
    const flow = await app.createFlow({ name: 'none', steps: [{ id: 'x', type: 'tool', when: 'false', producer: 'js', config: { module: 'stamp.mjs' } }] });
    const run = await app.finished(await app.runFlow(flow));
    assert.equal(run.status, 'succeeded');
    assert.equal(run.items_total, 0);
    assert.equal((run.output as Json).no_steps, true);
  });

  test('assignees: someone else gets 403 and changes nothing; the assignee answers', async () => {
    const flow = await app.createFlow({
      name: 'assigned',
      steps: [
        { id: 'ask', type: 'input', prompt: 'ok?', decisions: [{ id: 'yes' }], assignees: ['ops-lead'] },
        { id: 'ask2', type: 'input', prompt: 'again?', decisions: [{ id: 'yes' }], assignees: ['editor'] },
      ],
    });
    const runId = await app.runFlow(flow);
    const wait = await app.openWait(runId);
    assert.deepEqual(wait.assignees, ['ops-lead']);
    const other = await app.token('operator', 'someone-else');
    const no = await app.call('POST', `/v1/waits/${String(wait.id)}/responses`, { decision: 'yes' }, {}, other);
    assert.equal(no.status, 403, no.text);
    const noAdmin = await app.call('POST', `/v1/waits/${String(wait.id)}/responses`, { decision: 'yes' });
    assert.equal(noAdmin.status, 403, 'an admin who is not assigned may not answer either');
    const direct = await app.call('POST', `/v1/runs/${runId}/items/${String(wait.item_id)}/respond`, { answer: { decision: 'yes' } }, {}, other);
    assert.equal(direct.status, 403, direct.text);
    assert.equal((await app.call('GET', `/v1/waits/${String(wait.id)}`)).json.status, 'open');
    assert.equal((await app.call('GET', `/v1/runs/${runId}`)).json.status, 'waiting_for_input');
    const lead = await app.token('operator', 'ops-lead');
    const yes = await app.call('POST', `/v1/waits/${String(wait.id)}/responses`, { decision: 'yes' }, {}, lead);
    assert.equal(yes.status, 200, yes.text);
    assert.equal((yes.json.wait as Json).responded_by, 'ops-lead');

    // A role admits that role and higher: an operator may not answer `editor`, an admin may.
    const w2 = await app.openWait(runId);
    assert.equal(w2.step_id, 'ask2');
    assert.equal((await app.call('POST', `/v1/waits/${String(w2.id)}/responses`, { decision: 'yes' }, {}, lead)).status, 403);
    assert.equal((await app.call('POST', `/v1/waits/${String(w2.id)}/responses`, { decision: 'yes' })).status, 200);
    assert.equal((await app.finished(runId)).status, 'succeeded');
  });

  test('the new step types: 422 listing every error with its JSON path', async () => {
    const res = await app.call('POST', '/v1/flows/validate', {
      definition: {
        name: 'bad',
        steps: [
          { id: 'p', type: 'parallel', branches: [branch('a', 'x'), branch('a', 'x')] },
          { id: 'w', type: 'wait', until: 'now +', for_s: 3 },
          { id: 'w2', type: 'wait' },
          { id: 'w3', type: 'wait', event: { name: 'x', match: 'event.data ==' } },
          { id: 'd', type: 'decide', options: [{ id: 'a' }] },
          { id: 'd2', type: 'decide', options: [{ id: 'a' }], rule: "'a'", model: { model: 'm', base_url: 'http://127.0.0.1:1/v1' } },
          { id: 'i', type: 'input', prompt: 'x', assignees: [] },
        ],
      },
    });
    assert.equal(res.status, 422, res.text);
    const paths = ((res.json.error as Json).details as { errors: { path: string; message: string }[] }).errors.map((e) => e.path);
    for (const p of [
      '$.steps[0].branches[1].id',
      '$.steps[1].until',
      '$.steps[2].until',
      '$.steps[3].event.match',
      '$.steps[4].rule',
      '$.steps[5].rule',
      '$.steps[6].assignees',
    ]) {
      assert.ok(paths.includes(p), `${p} in ${JSON.stringify(paths)}`);
    }
    assert.ok(paths.filter((p) => p === '$.steps[1].until').length >= 2, 'both the CEL error and the until/for_s rule');
  });
});
