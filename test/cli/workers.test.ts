/**
 * `runyard workers create|list|get|edit|pause|resume|run|runs` and `runyard runs compare`
 * against a real `runyard up` and the local OpenAI-compatible server (issue 14): a bad
 * definition names the field and exits 1; a worker made from a template runs on a row (the
 * output notice is printed first), its run cards list it, an edit makes version 2, pause and
 * resume report the status, and two runs compare with --json.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { harness, type Harness, type Json } from '../control/harness.js';
import { runCli, useToken } from './helpers.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { until } from '../helpers/fixtures.js';

describe('runyard workers', () => {
  let h: Harness;
  let url: string[];
  let fake: FakeLlm;
  before(async () => {
    fake = await startFakeLlm({ respond: () => ({ text: 'P3: a question for support' }) });
    h = await harness();
    useToken(h.ry.token);
    url = ['--url', h.ry.url];
  });
  after(async () => {
    await h.close();
    await fake.close();
  });

  test('create, list, get, run, runs, edit, pause, resume, compare', { timeout: 120_000 }, async () => {
    const bad = join(h.dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ name: 'x', instructions: 'y', model: { model: 'm', base_url: fake.baseUrl }, tool_categories: ['teleport'], output: { mode: 'none' } }),
    );
    const refused = await runCli(['workers', 'create', bad, ...url]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr + refused.stdout, /tool_categories\[0\]/);

    const file = join(h.dir, 'triage.yaml');
    writeFileSync(file, `name: triage\ntemplate_key: triage_ticket\nmodel:\n  model: m\n  base_url: ${fake.baseUrl}\n`);
    const created = await runCli(['workers', 'create', file, '--json', ...url]);
    assert.equal(created.code, 0, created.stderr);
    const id = (JSON.parse(created.stdout) as Json).id as string;
    assert.match((await runCli(['workers', 'list', ...url])).stdout, /triage/);

    const t = await h.call('POST', '/v1/tables', { name: 'tickets', format: 'csv', data: 'title\nlogin fails\n' });
    const tableId = t.json.id as string;
    const rowId = ((await h.call('GET', `/v1/tables/${tableId}/rows`)).json.data as Json[])[0]!.id as string;
    const run1 = await runCli(['workers', 'run', id, '--table', tableId, '--row', rowId, ...url]);
    assert.equal(run1.code, 0, run1.stderr);
    assert.match(run1.stdout, /output: no earlier output/);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      if (i === 1) {
        const again = await runCli(['workers', 'run', id, '--table', tableId, '--row', rowId, '--json', ...url]);
        assert.match(((JSON.parse(again.stdout) as Json).output_notice as Json).message as string, /replaced/);
      }
      const runs = await until('the run to finish', 60_000, async () => {
        const r = await runCli(['workers', 'runs', id, '--json', ...url]);
        const data = (JSON.parse(r.stdout) as Json).data as Json[];
        return data.length === i + 1 && data.every((x) => x.status === 'succeeded') ? data : undefined;
      });
      ids.push(runs[0]!.id as string);
    }
    const got = await runCli(['workers', 'get', id, ...url]);
    assert.match(got.stdout, /read-only/);
    assert.match(got.stdout, /P3: a question/);

    const edited = join(h.dir, 'v2.yaml');
    writeFileSync(edited, `name: triage\ntemplate_key: triage_ticket\ninstructions: Be terse.\nmodel:\n  model: m\n  base_url: ${fake.baseUrl}\n`);
    assert.match((await runCli(['workers', 'edit', id, edited, ...url])).stdout, /version 2/);
    assert.match((await runCli(['workers', 'pause', id, ...url])).stdout, /paused/);
    assert.match((await runCli(['workers', 'resume', id, ...url])).stdout, /active/);

    const cmp = await runCli(['runs', 'compare', ids[0]!, ids[1]!, '--json', ...url]);
    assert.equal(cmp.code, 0, cmp.stderr);
    assert.equal(((JSON.parse(cmp.stdout) as Json).status as Json).same, true);
    const readable = await runCli(['runs', 'compare', ids[0]!, ids[1]!, ...url]);
    assert.match(readable.stdout, /context subject_record/);
  });
});
