/**
 * The `llm` producer as a column producer, through the HTTP API, on both databases, against the
 * local OpenAI-compatible server: an LLM over every row of a table with the key from a run
 * secret; tokens, time to first token and credits recorded per item, and the ledger reconciles
 * (captured ≤ reserved, reserve = capture + release); a 429 with Retry-After, a 500 and dropped
 * connections are retried to success; a context overflow fails its item at once; bad config is
 * a 422 naming the field.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { SecretBox } from '../../src/engine/secrets.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { authedApp, type TestApp } from '../helpers/auth.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startFakeLlm, type FakeLlm, type Reply } from '../helpers/fake-llm.js';
import { FAST, until } from '../helpers/fixtures.js';

type Json = Record<string, unknown>;

const KEY = 'sk-fake-7c1e0a94b2';
const CREDIT = 1_000_000;
const PRICE_IN = 2_000; // µ per 1,000 input tokens
const PRICE_OUT = 8_000; // µ per 1,000 output tokens
const ROWS = 20;

describeEachBackend('llm column producer through the API', (backend) => {
  let engine: Engine;
  let app: TestApp;
  let fake: FakeLlm;
  /** Replies scripted per ticket id, served in order before the default echo; request times per ticket. */
  const script = new Map<string, Reply[]>();
  const seen = new Map<string, number[]>();

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json; text: string }> {
    const init: RequestInit = { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) };
    const res = await app.request(path, init);
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, text };
  }

  const config = (over: Json = {}) => ({
    model: 'm-col',
    base_url: fake.baseUrl,
    api_key_env: 'LLM_KEY',
    system: 'Summarize the ticket in one line.',
    user: 'Ticket {{id}}: {{title}}',
    max_output_tokens: 64,
    max_input_tokens: 512,
    ...over,
  });

  async function table(name: string, rows: { id: string; title: string }[]): Promise<string> {
    const csv = `id,title\n${rows.map((r) => `${r.id},${r.title}`).join('\n')}\n`;
    const t = await call('POST', '/v1/tables', { name, format: 'csv', data: csv });
    assert.equal(t.status, 201, t.text);
    return t.json.id as string;
  }

  async function runColumn(tableId: string, column: string): Promise<Json> {
    const started = await call('POST', `/v1/tables/${tableId}/columns/${column}/runs`, { overrides: { secrets: { LLM_KEY: KEY } } });
    assert.equal(started.status, 201, started.text);
    const runId = String(started.json.id);
    return until('the llm run to finish', 60_000, async () => {
      const r = (await call('GET', `/v1/runs/${runId}`)).json;
      return ['succeeded', 'partial', 'failed', 'canceled'].includes(String(r.status)) ? r : undefined;
    });
  }

  async function items(runId: string): Promise<Json[]> {
    const res = await call('GET', `/v1/runs/${runId}/items?limit=1000`);
    assert.equal(res.status, 200, res.text);
    return res.json.data as Json[];
  }

  before(async () => {
    fake = await startFakeLlm({
      apiKey: KEY,
      contextWindow: 400,
      respond: (req) => {
        const id = /^Ticket (\S+):/.exec(req.user)?.[1] ?? '?';
        seen.set(id, [...(seen.get(id) ?? []), Date.now()]);
        return script.get(id)?.shift() ?? { text: `summary of ${id}`, usage: { prompt_tokens: 30, completion_tokens: 6, cached_tokens: 10 } };
      },
    });
    const { store } = await backend.open();
    engine = createEngine({ store, producers: createProducerRegistry(), options: FAST, secrets: SecretBox.random() });
    app = await authedApp(engine);
    await engine.startExecutor();
    assert.equal((await call('POST', '/v1/credits/grants', { amount_micro: 1000 * CREDIT, reason: 'llm tests' })).status, 201);
    const prices = await call('PUT', '/v1/prices', { prices: { 'tokens:m-col:input': PRICE_IN, 'tokens:m-col:output': PRICE_OUT } });
    assert.equal(prices.status, 200, prices.text);
  });

  after(async () => {
    await engine.stopExecutor();
    await engine.store.close();
    await fake.close();
  });

  test(`an LLM over ${ROWS} rows: one call per row, failures retried, tokens and credits recorded, the ledger reconciles`, { timeout: 90_000 }, async () => {
    script.set('t3', [{ status: 429, headers: { 'retry-after': '1' }, error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } }]);
    script.set('t5', [{ status: 500 }]);
    script.set('t7', [{ drop: 'mid_stream', text: 'a summary cut short by a dropped connection', chunks: 4 }]);
    script.set('t9', [{ drop: 'before_headers' }]);
    const rows = Array.from({ length: ROWS }, (_, i) => ({ id: `t${i}`, title: `Printer ${i} jams on page two` }));
    const tableId = await table('tickets', rows);
    const col = await call('POST', `/v1/tables/${tableId}/columns`, { name: 'summary', producer: 'llm', config: config() });
    assert.equal(col.status, 201, col.text);

    const run = await runColumn(tableId, 'summary');
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.items_succeeded, ROWS);
    assert.ok(!JSON.stringify(run).includes(KEY), 'the key never shows in the run');

    // One successful call per row; the scripted rows were called twice.
    for (const r of rows) assert.equal(seen.get(r.id)?.length, ['t3', 't5', 't7', 't9'].includes(r.id) ? 2 : 1, r.id);
    const [limitedAt, retriedAt] = seen.get('t3') ?? [];
    assert.ok(
      limitedAt !== undefined && retriedAt !== undefined && retriedAt - limitedAt >= 950,
      `Retry-After honoured (${String(retriedAt)} - ${String(limitedAt)})`,
    );
    const req = fake.requests[0];
    assert.ok(req?.include_usage && req.stream);

    const list = await items(String(run.id));
    assert.equal(list.length, ROWS);
    let expected = 0;
    for (const it of list) {
      assert.equal(it.status, 'succeeded');
      assert.ok(!JSON.stringify(it).includes(KEY), 'the key never shows in an item');
      const usage = it.usage as Json;
      assert.deepEqual(usage, { model: 'm-col', input_tokens: 30, output_tokens: 6, cached_input_tokens: 10 });
      const out = it.outputs as Json;
      assert.equal(out.finish_reason, 'stop');
      assert.equal(out.model, 'm-col');
      assert.equal(typeof out.ttft_ms, 'number');
      assert.equal(typeof out.duration_ms, 'number');
      const cost = Math.ceil((30 * PRICE_IN) / 1000) + Math.ceil((6 * PRICE_OUT) / 1000);
      assert.equal(it.credits_used_micro, cost);
      expected += cost;
    }
    const retried = list.filter((it) => Number(it.attempt_count) === 2).map((it) => it.key);
    assert.equal(retried.length, 4, `four rows took two attempts: ${JSON.stringify(retried)}`);

    const rowList = (await call('GET', `/v1/tables/${tableId}/rows?limit=100`)).json.data as { id: string; data: Json }[];
    for (const row of rowList) {
      const cell = await call('GET', `/v1/tables/${tableId}/cells/${row.id}/summary`);
      assert.equal(cell.json.value, `summary of ${String(row.data.id)}`, cell.text);
    }

    // Credits: each item reserved its bound (512 in, 64 out), captured its usage, released the rest.
    const bound = Math.ceil((512 * PRICE_IN) / 1000) + Math.ceil((64 * PRICE_OUT) / 1000);
    const final = (await call('GET', `/v1/runs/${String(run.id)}`)).json;
    assert.equal(final.credits_used_micro, expected);
    assert.equal(final.credits_reserved_micro, bound * ROWS);
    const ledger = (await call('GET', `/v1/credits/ledger?run_id=${String(run.id)}&limit=1000`)).json.data as Json[];
    const sum = (k: string) => ledger.filter((e) => e.kind === k).reduce((s, e) => s + Number(e.amount_micro), 0);
    assert.equal(sum('capture'), expected);
    assert.ok(sum('capture') <= sum('reserve'), 'captured ≤ reserved');
    assert.equal(sum('reserve'), sum('capture') + sum('release'), 'the ledger reconciles');
    assert.equal(ledger.filter((e) => e.kind === 'capture').length, ROWS, 'one capture per item');
    const balance = (await call('GET', '/v1/credits/balance')).json;
    assert.equal(balance.outstanding_micro, 0);
  });

  test('a prompt over the context window fails its item at once with llm_context_overflow; the others succeed', { timeout: 60_000 }, async () => {
    const tableId = await table('long', [
      { id: 'ok1', title: 'short' },
      { id: 'big', title: 'x'.repeat(3000) },
    ]);
    assert.equal((await call('POST', `/v1/tables/${tableId}/columns`, { name: 'summary', producer: 'llm', config: config() })).status, 201);
    const run = await runColumn(tableId, 'summary');
    assert.equal(run.status, 'partial');
    const list = await items(String(run.id));
    const big = list.find((it) => (it.error as Json | null)?.code !== undefined);
    assert.ok(big, JSON.stringify(list));
    assert.equal((big.error as Json).code, 'llm_context_overflow');
    assert.equal((big.error as Json).retryable, false);
    assert.equal(big.attempt_count, 1, 'a permanent error is not retried');
    assert.equal(big.credits_used_micro, 0);
    assert.equal(seen.get('big')?.length, 1);
  });

  test('the key may come from a saved credential named in the config (never from the definition)', { timeout: 60_000 }, async () => {
    assert.equal((await call('PUT', '/v1/credentials/llm-provider', { value: KEY })).status < 300, true);
    const tableId = await table('saved', [{ id: 's1', title: 'hello' }]);
    const col = await call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'summary',
      producer: 'llm',
      config: config({ credentials: { LLM_KEY: 'llm-provider' } }),
    });
    assert.equal(col.status, 201, col.text);
    assert.ok(!col.text.includes(KEY));
    const started = await call('POST', `/v1/tables/${tableId}/columns/summary/runs`, {});
    assert.equal(started.status, 201, started.text);
    const run = await until('the run to finish', 30_000, async () => {
      const r = (await call('GET', `/v1/runs/${String(started.json.id)}`)).json;
      return ['succeeded', 'partial', 'failed'].includes(String(r.status)) ? r : undefined;
    });
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    const [it] = await items(String(run.id));
    assert.equal((it?.outputs as Json).value, 'summary of s1');
    assert.ok(!JSON.stringify(it).includes(KEY));
  });

  test('a run without the key fails its items llm_api_key_missing naming config.api_key_env', { timeout: 60_000 }, async () => {
    const tableId = await table('nokey', [{ id: 'n1', title: 'hello' }]);
    assert.equal((await call('POST', `/v1/tables/${tableId}/columns`, { name: 'summary', producer: 'llm', config: config() })).status, 201);
    const started = await call('POST', `/v1/tables/${tableId}/columns/summary/runs`, {});
    const run = await until('the run to fail', 30_000, async () => {
      const r = (await call('GET', `/v1/runs/${String(started.json.id)}`)).json;
      return r.status === 'failed' ? r : undefined;
    });
    const [it] = await items(String(run.id));
    assert.equal((it?.error as Json).code, 'llm_api_key_missing');
  });

  test('bad config is a 422 naming the field; a key in the definition is refused', async () => {
    const tableId = await table('bad', [{ id: 'b1', title: 'x' }]);
    const cases: [Json, string][] = [
      [{ model: undefined }, 'config.model'],
      [{ base_url: 'not a url' }, 'config.base_url'],
      [{ api_key: KEY }, 'config.api_key'],
      [{ temperature: -1 }, 'config.temperature'],
      [{ json_schema: { type: 12 } }, 'config.json_schema'],
      [{ max_output_tokens: 1.5 }, 'config.max_output_tokens'],
    ];
    for (const [over, field] of cases) {
      const res = await call('POST', `/v1/tables/${tableId}/columns`, { name: 'summary', producer: 'llm', config: config(over) });
      assert.equal(res.status, 422, `${field}: ${res.text}`);
      const err = res.json.error as { details: Json; message: string };
      assert.equal(err.details.field, field, res.text);
      assert.ok(!res.text.includes(KEY), 'the refused key is not echoed');
    }
    const unknownField = await call('POST', `/v1/tables/${tableId}/columns`, { name: 'summary', producer: 'llm', config: config({ user: 'Hi {{nope}}' }) });
    assert.equal(unknownField.status, 422, unknownField.text);
  });
});
