/**
 * `GET /v1/usage` by model (issue 14 item 7), over real HTTP on both databases against the local
 * OpenAI-compatible server: two workers on two priced models and a js column run (no model);
 * `by_model` holds exactly the two models with the items, tokens and µ their LLM calls recorded,
 * and the column's items count in the totals but not by model.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachBackend } from '../helpers/backends.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { startFlowApp, type FlowApp, type Json } from '../helpers/flow-app.js';
import { tempDir, writeModule } from '../helpers/fixtures.js';

const CREDIT = 1_000_000;

describeEachBackend('usage by model', (backend) => {
  let app: FlowApp;
  let fake: FakeLlm;

  before(async () => {
    const dir = tempDir();
    writeModule(dir, 'shout.mjs', 'export default (i) => String(i.t).toUpperCase();');
    fake = await startFakeLlm({ respond: (req) => ({ text: 'done', usage: { prompt_tokens: req.model === 'model-a' ? 100 : 70, completion_tokens: 20 } }) });
    app = await startFlowApp(backend, dir);
    assert.equal((await app.call('POST', '/v1/credits/grants', { amount_micro: 1000 * CREDIT, reason: 'usage test' })).status, 201);
    const prices = { 'tokens:model-a:input': 3, 'tokens:model-a:output': 5, 'tokens:model-b:input': 7, 'tokens:model-b:output': 11 };
    const put = await app.call('PUT', '/v1/prices', { prices });
    assert.equal(put.status, 200, put.text);
  });

  after(async () => {
    await app.close();
    await fake.close();
  });

  test('by_model sums the LLM items of each model; items without a model are left out', { timeout: 180_000 }, async () => {
    const t = await app.call('POST', '/v1/tables', { name: 'tickets', format: 'csv', data: 'title\nlogin fails\nrefund late\n' });
    assert.equal(t.status, 201, t.text);
    const tableId = t.json.id as string;
    const rowIds = ((await app.call('GET', `/v1/tables/${tableId}/rows`)).json.data as Json[]).map((r) => r.id as string);
    const runs: string[] = [];
    for (const [model, times] of [
      ['model-a', 2],
      ['model-b', 1],
    ] as const) {
      const w = await app.call('POST', '/v1/workers', { name: model, template_key: 'triage_ticket', model: { model, base_url: fake.baseUrl } });
      assert.equal(w.status, 201, w.text);
      for (let i = 0; i < times; i++) {
        const r = await app.call('POST', `/v1/workers/${w.json.id as string}/runs`, { subject: { table_id: tableId, row_id: rowIds[i] } });
        assert.equal(r.status, 201, r.text);
        runs.push((r.json.run as Json).id as string);
      }
    }
    const col = await app.call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'loud',
      producer: 'js',
      config: { module: 'shout.mjs', input: { t: '{{title}}' } },
    });
    assert.equal(col.status, 201, col.text);
    const colRun = await app.call('POST', `/v1/tables/${tableId}/columns/loud/runs`, {});
    runs.push(colRun.json.id as string);
    for (const id of runs) assert.equal((await app.finished(id, 120_000)).status, 'succeeded');

    // The expected figures, from the items themselves.
    const want: Record<string, { items: number; input_tokens: number; output_tokens: number; credits_used: number }> = {};
    let unmodelled = 0;
    for (const id of runs) {
      for (const it of await app.items(id)) {
        const u = it.usage as { model?: string; input_tokens?: number; output_tokens?: number } | null;
        if (!u?.model) {
          if (it.status === 'succeeded' || it.status === 'failed') unmodelled++;
          continue;
        }
        const g = (want[u.model] ??= { items: 0, input_tokens: 0, output_tokens: 0, credits_used: 0 });
        g.items++;
        g.input_tokens += u.input_tokens ?? 0;
        g.output_tokens += u.output_tokens ?? 0;
        g.credits_used += it.credits_used_micro as number;
      }
    }
    assert.deepEqual(Object.keys(want).sort(), ['model-a', 'model-b']);
    assert.ok(unmodelled >= 2, 'the column items have no model');
    assert.equal(want['model-a']!.input_tokens, 200, 'two model-a calls of 100 tokens in');
    assert.ok(want['model-b']!.credits_used > 0, 'model-b calls are priced');

    const usage = await app.call('GET', '/v1/usage?window=1h');
    assert.equal(usage.status, 200, usage.text);
    assert.deepEqual(usage.json.by_model, want);
    const modelled = Object.values(want).reduce((n, g) => n + g.items, 0);
    assert.equal(usage.json.items, modelled + unmodelled, 'every finished item counts in the totals');
  });
});
