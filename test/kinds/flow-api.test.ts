/**
 * Flows through the HTTP API on 127.0.0.1, on both databases (issue 13): a flow with tool
 * (js and shell), decide, branch, input and summarize steps runs end to end with the answer
 * given through `/v1/waits`; definitions are refused with every error's JSON path; 50
 * concurrent answers to one wait have exactly one winner; an expired wait gets its
 * `on_timeout` within 2 s; a waiting flow holds no executor slot (a capacity-1 node runs a
 * column run meanwhile); a for_each with concurrency joins once, and a failed step with
 * `on_error: continue` ends the run `partial`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { createApp } from '../../src/server/app.js';
import { tokenFor } from '../helpers/auth.js';
import { describeEachBackend } from '../helpers/backends.js';
import { FAST, tempDir, until, writeModule } from '../helpers/fixtures.js';

type Json = Record<string, unknown>;

const TRIAGE = `
name: incident triage
description: check a service, decide, ask a person, remediate, summarize
inputs:
  type: object
  properties:
    service: { type: string }
    threshold: { type: integer }
  required: [service]
vars:
  checks: 0
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
      - { id: restart, description: restart the service }
      - { id: clean_disk, description: free disk space }
      - { id: nothing, next: summary }
    rule: "vars.disk > (has(input.threshold) ? input.threshold : 90) ? 'clean_disk' : (vars.status >= 500 ? 'restart' : 'nothing')"
    rationale: "'disk at ' + string(vars.disk) + '%'"
  - id: approve
    type: input
    phase: remediation
    title: "Approve {{steps.pick.output.option}}"
    prompt: "Disk on **{{input.service}}** is at {{vars.disk}}%. Run {{steps.pick.output.option}}?"
    form:
      type: object
      properties:
        reason: { type: string, minLength: 3 }
        level: { type: integer, minimum: 1, maximum: 5, default: 3 }
      required: [reason]
    decisions:
      - { id: approve }
      - { id: reject, next: summary }
  - id: route
    type: branch
    cases:
      - { when: "steps.pick.output.option == 'restart'", next: restart }
    default: clean
  - id: restart
    type: tool
    producer: js
    config: { module: act.mjs, input: { action: restart } }
    next: summary
  - id: clean
    type: tool
    producer: js
    config: { module: act.mjs, input: { action: clean } }
  - id: summary
    type: summarize
    phase: summarizing
    text: "{{input.service}}: {{steps.pick.output.option}} ({{steps.pick.output.rationale}})"
    output: "{'option': dyn(steps.pick.output.option), 'approved': dyn(has(responses.approve) && responses.approve.decision == 'approve'), 'checks': dyn(vars.checks)}"
`;

describeEachBackend('flows through the HTTP API', (backend) => {
  let engine: Engine;
  let server: ServerType;
  let base: string;
  let token: string;
  let dir: string;

  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: Json; text: string }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, text };
  }

  async function createFlow(definition: unknown): Promise<string> {
    const res = await call('POST', '/v1/flows', { definition });
    assert.equal(res.status, 201, res.text);
    return res.json.id as string;
  }

  async function runFlow(flowId: string, inputs: Json = {}): Promise<string> {
    const res = await call('POST', `/v1/flows/${flowId}/runs`, { inputs });
    assert.equal(res.status, 201, res.text);
    return res.json.id as string;
  }

  async function finished(runId: string, ms = 20_000): Promise<Json> {
    return until(`run ${runId} to finish`, ms, async () => {
      const r = await call('GET', `/v1/runs/${runId}`);
      return ['succeeded', 'partial', 'failed', 'canceled'].includes(r.json.status as string) ? r.json : undefined;
    });
  }

  async function openWait(runId: string): Promise<Json> {
    return until(`run ${runId} to wait`, 20_000, async () => {
      const r = await call('GET', `/v1/waits?status=open&run_id=${runId}`);
      return (r.json.data as Json[])[0];
    });
  }

  before(async () => {
    dir = tempDir();
    writeModule(dir, 'check.mjs', 'export default (input) => ({ service: input.service, status: 503 });');
    writeModule(dir, 'act.mjs', 'export default (input) => ({ done: input.action });');
    writeModule(dir, 'noop.mjs', 'export default (input) => input;');
    writeModule(dir, 'boom.mjs', "export default () => { throw new Error('boom'); };");
    const { store } = await backend.open();
    engine = createEngine({ store, producers: createProducerRegistry({ baseDir: dir }), options: { ...FAST, waitReaperMs: 100 } });
    token = await tokenFor(engine, 'admin');
    const app = createApp(engine, { baseUrl: () => base });
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await engine.startExecutor();
  });

  after(async () => {
    await engine.stopExecutor();
    await new Promise<void>((r) => server.close(() => r()));
    await engine.store.close();
  });

  test('a triage flow runs end to end: tools, decide, input answered through the API, branch, summary', async () => {
    const flowId = await createFlow(TRIAGE);
    const bad = await call('POST', `/v1/flows/${flowId}/runs`, { inputs: {} });
    assert.equal(bad.status, 422, bad.text);
    assert.equal((bad.json.error as Json).details && ((bad.json.error as Json).details as Json).field, 'inputs.service');

    const runId = await runFlow(flowId, { service: 'api' });
    const wait = await openWait(runId);
    const run = (await call('GET', `/v1/runs/${runId}`)).json;
    assert.equal(run.status, 'waiting_for_input');
    assert.equal(run.phase, 'remediation');
    assert.equal(run.kind, 'flow');
    assert.equal(wait.phase, 'remediation');
    assert.equal(wait.title, 'Approve clean_disk');
    assert.match(wait.prompt as string, /Disk on \*\*api\*\* is at 91%/);
    assert.ok((wait.time_left_ms as number) > 71 * 3600 * 1000, 'default expiry is 72 h');

    // A bad answer names the field and leaves the wait open.
    const invalid = await call('POST', `/v1/waits/${wait.id}/responses`, { values: { reason: 'x' }, decision: 'approve' });
    assert.equal(invalid.status, 422, invalid.text);
    assert.equal(((invalid.json.error as Json).details as Json).field, 'values.reason');
    const noDecision = await call('POST', `/v1/waits/${wait.id}/responses`, { values: { reason: 'disk full' } });
    assert.equal(((noDecision.json.error as Json).details as Json).field, 'decision');
    assert.equal((await call('GET', `/v1/waits/${wait.id}`)).json.status, 'open');

    const ok = await call('POST', `/v1/waits/${wait.id}/responses`, { values: { reason: 'disk full' }, decision: 'approve' }, { 'idempotency-key': 'k1' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((ok.json.wait as Json).status, 'answered');
    assert.deepEqual(((ok.json.wait as Json).response as Json).values, { reason: 'disk full', level: 3 }, 'form defaults are filled in');
    const again = await call('POST', `/v1/waits/${wait.id}/responses`, { values: { reason: 'disk full' }, decision: 'approve' }, { 'idempotency-key': 'k1' });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.replayed, true);
    const late = await call('POST', `/v1/waits/${wait.id}/responses`, { values: { reason: 'other' }, decision: 'reject' });
    assert.equal(late.status, 409, late.text);
    assert.equal((((late.json.error as Json).details as Json).outcome as Json).status, 'answered');

    const done = await finished(runId);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.result_summary, 'api: clean_disk (disk at 91%)');
    const output = done.output as Json;
    assert.deepEqual(output.result, { option: 'clean_disk', approved: true, checks: 1 });
    assert.equal((output.vars as Json).disk, 91);
    const items = (await call('GET', `/v1/runs/${runId}/items?limit=100`)).json.data as Json[];
    assert.deepEqual(
      items.map((i) => i.key),
      ['check_http', 'check_disk', 'pick', 'approve', 'route', 'clean', 'summary'],
      'each executed step is one item; restart was branched over',
    );
    assert.ok(items.every((i) => i.status === 'succeeded'));
    const pick = items.find((i) => i.key === 'pick')!;
    assert.deepEqual(pick.outputs, { option: 'clean_disk', rationale: 'disk at 91%', decided_by: 'rule', next: null });
    const events = (await call('GET', `/v1/runs/${runId}/events?limit=1000`)).json.data as Json[];
    const answered = events.find((e) => e.type === 'item.answered')!;
    assert.equal((answered.data as Json).actor, 'test admin');
    assert.ok(events.some((e) => e.type === 'run.waiting_for_input'));
    assert.ok(events.some((e) => e.type === 'run.phase' && (e.data as Json).to === 'summarizing'));

    // A rejection jumps to the summary; the version a run pins stays with it.
    const v2 = await call('POST', `/v1/flows/${flowId}/versions`, { definition: TRIAGE.replace('name: incident triage', 'name: incident triage v2') });
    assert.equal(v2.status, 201, v2.text);
    assert.equal(v2.json.version, 2);
    const run2 = await runFlow(flowId, { service: 'web', threshold: 95 });
    const w2 = await openWait(run2);
    assert.equal(w2.title, 'Approve restart');
    assert.equal((await call('POST', `/v1/waits/${w2.id}/responses`, { values: { reason: 'no way' }, decision: 'reject' })).status, 200);
    const d2 = await finished(run2);
    assert.equal(d2.status, 'succeeded');
    assert.equal(d2.target_version, 2);
    assert.equal(d2.name, 'incident triage v2');
    const keys2 = ((await call('GET', `/v1/runs/${run2}/items?limit=100`)).json.data as Json[]).map((i) => i.key);
    assert.deepEqual(keys2, ['check_http', 'check_disk', 'pick', 'approve', 'summary']);
    assert.equal(((await call('GET', `/v1/flows/${flowId}?version=1`)).json as Json).name, 'incident triage');
  });

  test('an invalid definition is a 422 listing every error with its JSON path', async () => {
    const res = await call('POST', '/v1/flows/validate', {
      definition: {
        name: 'bad',
        phases: ['a', 'b'],
        steps: [
          { id: 'one', type: 'tool', producer: 'js', config: {}, when: 'input.x ==', next: 'zero' },
          { id: 'one', type: 'teleport' },
          { id: 'two', type: 'branch', cases: [{ when: 'true', next: 'nowhere' }], phase: 'c' },
          { id: 'three', type: 'tool', producer: 'js', next: 'two' },
        ],
      },
    });
    assert.equal(res.status, 422, res.text);
    const errors = ((res.json.error as Json).details as Json).errors as { path: string; message: string }[];
    const at = (p: string, re: RegExp) =>
      assert.ok(
        errors.some((e) => e.path === p && re.test(e.message)),
        `${p} ${re}: ${JSON.stringify(errors)}`,
      );
    at('$.steps[1].type', /unknown step type "teleport"/);
    at('$.steps[1].id', /duplicate step id "one"/);
    at('$.steps[0].next', /no step "zero"/);
    at('$.steps[2].cases[0].next', /no step "nowhere"/);
    at('$.steps[3].next', /cycle/);
    at('$.steps[0].when', /CEL does not compile/);
    at('$.steps[2].phase', /not one of the flow's phases/);
    const create = await call('POST', '/v1/flows', { definition: 'name: [unclosed' });
    assert.equal(create.status, 422);
    const schema = await call('GET', '/v1/flows/schema');
    assert.equal(schema.status, 200);
    assert.ok(JSON.stringify(schema.json).includes('for_each'));
    const list = await call('GET', '/v1/flows');
    assert.ok((list.json.data as Json[]).length >= 1);
  });

  test('50 concurrent answers to one wait: exactly one wins, the others get 409 or the same answer', async () => {
    const flowId = await createFlow({
      name: 'ask',
      steps: [{ id: 'ask', type: 'input', prompt: 'go?', form: { type: 'object', properties: { n: { type: 'integer' } } } }],
    });
    const runId = await runFlow(flowId);
    const wait = await openWait(runId);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call('POST', `/v1/waits/${wait.id}/responses`, { values: { n: i } }, { 'idempotency-key': i % 2 === 0 ? `even-${i}` : `odd-${i}` }),
      ),
    );
    const won = answers.filter((a) => a.status === 200 && a.json.replayed === false);
    assert.equal(won.length, 1, answers.map((a) => a.status).join(','));
    assert.ok(
      answers.every((a) => a.status === 200 || a.status === 409),
      answers.map((a) => a.text).join('\n'),
    );
    const winner = ((won[0]!.json.wait as Json).response as Json).values as Json;
    const done = await finished(runId);
    assert.equal(done.status, 'succeeded');
    const items = (await call('GET', `/v1/runs/${runId}/items`)).json.data as Json[];
    assert.deepEqual((items[0]!.outputs as Json).values, winner);
    const events = (await call('GET', `/v1/runs/${runId}/events?limit=1000`)).json.data as Json[];
    assert.equal(events.filter((e) => e.type === 'item.answered').length, 1);
  });

  test('an expired wait gets its on_timeout within 2 s: continue with the default, fail, cancel', async () => {
    const flowOf = (onTimeout: string) =>
      createFlow({
        name: `expire ${onTimeout}`,
        steps: [
          {
            id: 'ask',
            type: 'input',
            prompt: 'quick',
            expires_in_s: 0.3,
            on_timeout: onTimeout,
            decisions: [{ id: 'yes' }, { id: 'no', next: 'end' }],
            default: { decision: 'no' },
          },
          { id: 'work', type: 'tool', producer: 'js', config: { module: 'noop.mjs', input: { x: 1 } } },
          { id: 'end', type: 'summarize', text: '{{#if responses.ask}}{{responses.ask.decision}}{{else}}none{{/if}}' },
        ],
      });
    for (const [mode, status] of [
      ['continue', 'succeeded'],
      ['fail', 'failed'],
      ['cancel', 'canceled'],
    ] as const) {
      const runId = await runFlow(await flowOf(mode));
      const wait = await openWait(runId);
      const expiresAt = Date.parse(wait.expires_at as string);
      const done = await finished(runId, 10_000);
      assert.equal(done.status, status, `${mode}: ${JSON.stringify(done)}`);
      const w = (await call('GET', `/v1/waits/${wait.id}`)).json;
      assert.equal(w.status, 'expired', JSON.stringify(w));
      assert.match(w.reason as string, new RegExp(`on_timeout=${mode}`));
      const closedAt = Date.parse(w.closed_at as string);
      assert.ok(closedAt - expiresAt < 2000, `${mode}: applied ${closedAt - expiresAt} ms after expiry`);
      if (mode === 'continue') assert.equal(done.result_summary, 'no', 'the default decision jumped to the end');
      const late = await call('POST', `/v1/waits/${wait.id}/responses`, { decision: 'yes' });
      assert.equal(late.status, 409);
    }
  });

  test('canceling a waiting run closes its wait', async () => {
    const flowId = await createFlow({ name: 'cancel me', steps: [{ id: 'ask', type: 'input', prompt: 'hold' }] });
    const runId = await runFlow(flowId);
    const wait = await openWait(runId);
    assert.equal((await call('POST', `/v1/runs/${runId}/cancel`)).status, 200);
    assert.equal((await call('GET', `/v1/waits/${wait.id}`)).json.status, 'canceled');
    assert.equal(((await call('GET', `/v1/waits?status=open&run_id=${runId}`)).json.data as Json[]).length, 0);
  });

  test('for_each runs every element (3 at a time) and joins once; on_error continue ends partial; no step ends no_items', async () => {
    const flowId = await createFlow({
      name: 'loop',
      vars: { n: 7 },
      steps: [
        {
          id: 'each',
          type: 'for_each',
          items: '[1, 2, 3, 4, 5, 6, 7]',
          concurrency: 3,
          step: { producer: 'js', config: { module: 'noop.mjs', input: { v: '{{item}}', i: '{{index}}' } } },
          assign: { total: 'size(output.outputs)' },
        },
        { id: 'bad', type: 'tool', producer: 'js', config: { module: 'boom.mjs' }, on_error: 'continue', retry: { max_attempts: 1 } },
        { id: 'expr', type: 'tool', producer: 'js', config: { module: 'noop.mjs' }, when: 'vars.nope.x == 1', on_error: 'continue' },
        { id: 'sum', type: 'summarize', text: 'loop of {{vars.total}}' },
      ],
    });
    const runId = await runFlow(flowId);
    const done = await finished(runId);
    assert.equal(done.status, 'partial', JSON.stringify(done));
    assert.equal(done.result_summary, 'loop of 7');
    const items = (await call('GET', `/v1/runs/${runId}/items?limit=100`)).json.data as Json[];
    assert.deepEqual(
      items.map((i) => i.key).sort(),
      ['bad', 'each[0]', 'each[1]', 'each[2]', 'each[3]', 'each[4]', 'each[5]', 'each[6]', 'expr', 'sum'].sort(),
    );
    const expr = items.find((i) => i.key === 'expr')!;
    assert.equal((expr.error as Json).code, 'expression_error');
    assert.match((expr.error as Json).message as string, /vars\.nope\.x == 1/);

    const none = await createFlow({ name: 'none', steps: [{ id: 'skip', type: 'tool', producer: 'js', config: { module: 'noop.mjs' }, when: 'false' }] });
    const r = await finished(await runFlow(none));
    assert.equal(r.status, 'succeeded');
    assert.equal(r.items_total, 0);

    const failing = await createFlow({
      name: 'fails',
      steps: [
        { id: 'bad', type: 'tool', producer: 'js', config: { module: 'boom.mjs' }, retry: { max_attempts: 1 } },
        { id: 'after', type: 'summarize', text: 'x' },
      ],
    });
    const f = await finished(await runFlow(failing));
    assert.equal(f.status, 'failed');
    assert.equal((f.error as Json).code, 'step_failed');
  });
});

describeEachBackend('a waiting flow holds no executor slot', (backend) => {
  test('a capacity-1 node runs a column run while a flow waits', async () => {
    const dir = tempDir();
    writeModule(dir, 'noop.mjs', 'export default (input) => input;');
    const { store } = await backend.open();
    const engine = createEngine({ store, producers: createProducerRegistry({ baseDir: dir }), options: { ...FAST, capacity: 1 } });
    try {
      await engine.startExecutor();
      const ws = engine.workspaceId;
      const flow = await engine.flows.create(ws, { name: 'hold', steps: [{ id: 'ask', type: 'input', prompt: 'hold the node?' }] });
      const { run: flowRun } = await engine.flows.run(ws, flow.id, {});
      await until('the flow to wait', 20_000, async () => ((await engine.store.getRun(ws, flowRun.id))?.status === 'waiting_for_input' ? true : undefined));
      const table = await engine.tables.importTable(ws, 't', 'csv', 'a\n1\n2\n3\n');
      await engine.tables.addColumn(ws, table.id, { name: 'c', producer: 'js', config: { module: 'noop.mjs', input: { a: '{{a}}' } } });
      const { run } = await engine.runs.startColumnRun(ws, table.id, 'c');
      const done = await until('the column run to finish', 20_000, async () => {
        const r = await engine.store.getRun(ws, run.id);
        return r && r.status === 'succeeded' ? r : undefined;
      });
      assert.equal(done.items_succeeded, 3);
      assert.equal((await engine.store.getRun(ws, flowRun.id))?.status, 'waiting_for_input');
      const [wait] = await engine.flows.listWaits(ws, { status: 'open', run_id: flowRun.id });
      await engine.flows.respond(ws, wait!.id, {}, 'tester');
      await until('the flow to finish', 20_000, async () => ((await engine.store.getRun(ws, flowRun.id))?.status === 'succeeded' ? true : undefined));
    } finally {
      await engine.stopExecutor();
      await engine.store.close();
    }
  });
});
