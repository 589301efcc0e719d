/**
 * `runyard flows create|validate|list|get|run` and `runyard waits list|get|respond` against a
 * real `runyard up` (issue 13): an invalid file lists every error with its JSON path and exits
 * 1; a flow runs, waits for a person, is answered with the CLI (a bad answer names the field
 * and leaves the wait open) and finishes with its summary.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { harness, type Harness, type Json } from '../control/harness.js';
import { runCli, useToken } from './helpers.js';
import { until } from '../helpers/fixtures.js';

const FLOW = `
name: approve deploy
inputs: { type: object, properties: { service: { type: string } }, required: [service] }
steps:
  - id: pick
    type: decide
    phase: deciding_remediation
    options: [{ id: deploy }, { id: skip }]
    rule: "input.service == 'api' ? 'deploy' : 'skip'"
  - id: ok
    type: input
    phase: remediation
    title: "Deploy {{input.service}}?"
    prompt: "Approve the deploy of {{input.service}}"
    form: { type: object, properties: { ticket: { type: string, minLength: 4 } }, required: [ticket] }
    decisions: [{ id: approve }, { id: reject }]
  - id: done
    type: summarize
    phase: summarizing
    text: "{{input.service}}: {{responses.ok.decision}} ({{responses.ok.values.ticket}})"
`;

describe('runyard flows and runyard waits', () => {
  let h: Harness;
  let url: string[];
  before(async () => {
    h = await harness();
    useToken(h.ry.token);
    url = ['--url', h.ry.url];
  });
  after(async () => h.close());

  test('create, validate, list, get, run; list, get and respond to the wait', { timeout: 90_000 }, async () => {
    const bad = join(h.dir, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nsteps:\n  - { id: a, type: teleport }\n  - { id: b, type: branch, cases: [{ when: "x ==", next: nowhere }] }\n');
    const invalid = await runCli(['flows', 'validate', bad, ...url]);
    assert.equal(invalid.code, 1, invalid.stderr);
    assert.match(invalid.stdout, /\$\.steps\[0\]\.type: unknown step type "teleport"/);
    assert.match(invalid.stdout, /\$\.steps\[1\]\.cases\[0\]\.next: no step "nowhere"/);
    assert.match(invalid.stdout, /\$\.steps\[1\]\.cases\[0\]\.when: CEL does not compile/);

    const file = join(h.dir, 'flow.yaml');
    writeFileSync(file, FLOW);
    assert.equal((await runCli(['flows', 'validate', file, ...url])).code, 0);
    const created = await runCli(['flows', 'create', file, '--json', ...url]);
    assert.equal(created.code, 0, created.stderr);
    const flowId = String((JSON.parse(created.stdout) as Json).id);
    const listed = JSON.parse((await runCli(['flows', 'list', '--json', ...url])).stdout) as { data: Json[] };
    assert.ok(listed.data.some((f) => f.id === flowId));
    const got = await runCli(['flows', 'get', flowId, ...url]);
    assert.match(got.stdout, /approve deploy/);
    assert.match(got.stdout, /summarize/);

    const missing = await runCli(['flows', 'run', flowId, '--inputs', '{}', ...url]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr + missing.stdout, /inputs\.service/);
    const ran = await runCli(['flows', 'run', flowId, '--inputs', '{"service": "api"}', '--json', ...url]);
    assert.equal(ran.code, 0, ran.stderr);
    const runId = String((JSON.parse(ran.stdout) as Json).id);

    const wait = await until('the wait', 30_000, async () => {
      const r = await runCli(['waits', 'list', '--json', '--run', runId, ...url]);
      return (JSON.parse(r.stdout) as { data: Json[] }).data[0];
    });
    assert.equal(wait.title, 'Deploy api?');
    const shown = await runCli(['waits', 'get', String(wait.id), ...url]);
    assert.match(shown.stdout, /Approve the deploy of api/);
    const table = await runCli(['waits', 'list', ...url]);
    assert.match(table.stdout, new RegExp(String(wait.id)));

    const wrong = await runCli(['waits', 'respond', String(wait.id), '--values', '{"ticket": "x"}', '--decision', 'approve', ...url]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr + wrong.stdout, /values\.ticket/);
    const answered = await runCli(['waits', 'respond', String(wait.id), '--values', '{"ticket": "OPS-1"}', '--decision', 'approve', '--json', ...url]);
    assert.equal(answered.code, 0, answered.stderr);
    assert.equal(((JSON.parse(answered.stdout) as Json).wait as Json).status, 'answered');
    const late = await runCli(['waits', 'respond', String(wait.id), '--values', '{"ticket": "OPS-2"}', '--decision', 'reject', ...url]);
    assert.notEqual(late.code, 0);

    const done = await h.waitTerminal(runId);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.result_summary, 'api: approve (OPS-1)');
  });
});
