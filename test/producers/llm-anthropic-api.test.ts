/**
 * `provider: anthropic` through the HTTP API on 127.0.0.1, on both databases, against the local
 * server's Messages API route: an `llm` column over a few rows with the key from a run secret
 * (answers written, tokens with the cached ones and credits recorded, the ledger captures and
 * reconciles), a 429 with Retry-After retried to success; "prompt is too long" fails its item at
 * once with `llm_context_overflow`; an AI worker on Anthropic reads its subject (a `get_row` tool
 * call) and writes one task comment; an unknown provider is a 422 naming the field.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiApp, type ApiApp, type Json } from '../helpers/api-app.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startFakeLlm, type ChatRequest, type FakeLlm, type Reply } from '../helpers/fake-llm.js';

const KEY = 'sk-ant-api-3f90c2';
const MODEL = 'claude-test-2';
const PRICE_IN = 3_000; // µ per 1,000 input tokens
const PRICE_OUT = 15_000; // µ per 1,000 output tokens
const ROWS = 5;

describeEachBackend('provider anthropic through the API', (backend) => {
  let app: ApiApp;
  let fake: FakeLlm;
  const call: ApiApp['call'] = (...args) => app.call(...args);
  /** Replies per ticket id (column runs) served before the default; request times per ticket. */
  const script = new Map<string, Reply[]>();
  const seen = new Map<string, number[]>();
  /** The worker's conversation, when the request is a worker's. */
  let workerScript: (req: ChatRequest) => Reply = () => ({ text: 'ok' });

  const llmConfig = (over: Json = {}) => ({
    provider: 'anthropic',
    model: MODEL,
    base_url: fake.baseUrl,
    api_key_env: 'ANT_KEY',
    system: 'Summarize the ticket in one line.',
    user: 'Ticket {{id}}: {{title}}',
    max_output_tokens: 64,
    max_input_tokens: 512,
    ...over,
  });
  const secrets = { overrides: { secrets: { ANT_KEY: KEY } } };

  async function table(name: string, rows: { id: string; title: string }[]): Promise<string> {
    const csv = `id,title\n${rows.map((r) => `${r.id},${r.title}`).join('\n')}\n`;
    const t = await call('POST', '/v1/tables', { name, format: 'csv', data: csv });
    assert.equal(t.status, 201, t.text);
    return t.json.id as string;
  }

  async function runColumn(tableId: string): Promise<Json> {
    const started = await call('POST', `/v1/tables/${tableId}/columns/summary/runs`, secrets);
    assert.equal(started.status, 201, started.text);
    return app.finished(String(started.json.id), 60_000);
  }

  async function items(runId: string): Promise<Json[]> {
    const res = await call('GET', `/v1/runs/${runId}/items?limit=100`);
    assert.equal(res.status, 200, res.text);
    return res.json.data as Json[];
  }

  before(async () => {
    fake = await startFakeLlm({
      apiKey: KEY,
      contextWindow: 400,
      respond: (req) => {
        const id = /^Ticket (\S+):/.exec(req.user)?.[1];
        if (id === undefined) return workerScript(req);
        seen.set(id, [...(seen.get(id) ?? []), Date.now()]);
        return script.get(id)?.shift() ?? { text: `summary of ${id}`, usage: { prompt_tokens: 30, completion_tokens: 6, cached_tokens: 10 } };
      },
    });
    app = await startApiApp(backend, { secrets: true });
    assert.equal((await call('POST', '/v1/credits/grants', { amount_micro: 1_000_000_000, reason: 'anthropic tests' })).status, 201);
    const prices = await call('PUT', '/v1/prices', { prices: { [`tokens:${MODEL}:input`]: PRICE_IN, [`tokens:${MODEL}:output`]: PRICE_OUT } });
    assert.equal(prices.status, 200, prices.text);
  });

  after(async () => {
    await app.close();
    await fake.close();
  });

  test(
    `an llm column on Anthropic over ${ROWS} rows: a 429 retried after Retry-After, tokens and credits recorded, the ledger reconciles`,
    { timeout: 90_000 },
    async () => {
      script.set('a2', [{ status: 429, headers: { 'retry-after': '1' }, error: { message: 'rate limited' } }]);
      const rows = Array.from({ length: ROWS }, (_, i) => ({ id: `a${i}`, title: `Printer ${i} jams` }));
      const tableId = await table('tickets', rows);
      const col = await call('POST', `/v1/tables/${tableId}/columns`, { name: 'summary', producer: 'llm', config: llmConfig() });
      assert.equal(col.status, 201, col.text);

      const run = await runColumn(tableId);
      assert.equal(run.status, 'succeeded', JSON.stringify(run));
      assert.ok(!JSON.stringify(run).includes(KEY), 'the key never shows in the run');
      for (const r of rows) assert.equal(seen.get(r.id)?.length, r.id === 'a2' ? 2 : 1, r.id);
      const [limitedAt, retriedAt] = seen.get('a2') ?? [];
      assert.ok(limitedAt !== undefined && retriedAt !== undefined && retriedAt - limitedAt >= 950, `Retry-After honoured (${retriedAt} - ${limitedAt})`);
      assert.ok(fake.requests.every((r) => r.api === 'messages' && r.headers['x-api-key'] === KEY));

      const list = await items(String(run.id));
      assert.equal(list.length, ROWS);
      const cost = Math.ceil((30 * PRICE_IN) / 1000) + Math.ceil((6 * PRICE_OUT) / 1000);
      for (const it of list) {
        assert.equal(it.status, 'succeeded');
        assert.deepEqual(it.usage, { model: MODEL, input_tokens: 30, output_tokens: 6, cached_input_tokens: 10 });
        const out = it.outputs as Json;
        assert.equal(out.finish_reason, 'end_turn');
        assert.equal(typeof out.ttft_ms, 'number');
        assert.equal(it.credits_used_micro, cost);
      }
      const rowList = (await call('GET', `/v1/tables/${tableId}/rows?limit=100`)).json.data as { id: string; data: Json }[];
      const limitedRow = rowList.find((r) => r.data.id === 'a2')?.id;
      assert.deepEqual(
        list.filter((it) => Number(it.attempt_count) === 2).map((it) => it.key),
        [limitedRow],
        'only the rate-limited row took two attempts',
      );
      for (const row of rowList) {
        const cell = await call('GET', `/v1/tables/${tableId}/cells/${row.id}/summary`);
        assert.equal(cell.json.value, `summary of ${String(row.data.id)}`, cell.text);
      }

      const ledger = (await call('GET', `/v1/credits/ledger?run_id=${String(run.id)}&limit=1000`)).json.data as Json[];
      const sum = (k: string) => ledger.filter((e) => e.kind === k).reduce((s, e) => s + Number(e.amount_micro), 0);
      assert.equal(sum('capture'), cost * ROWS);
      assert.equal(ledger.filter((e) => e.kind === 'capture').length, ROWS, 'one capture per item');
      assert.equal(sum('reserve'), sum('capture') + sum('release'), 'the ledger reconciles');
      assert.equal((await call('GET', `/v1/runs/${String(run.id)}`)).json.credits_used_micro, cost * ROWS);
    },
  );

  test('"prompt is too long" fails its item at once with llm_context_overflow; the other row succeeds', { timeout: 60_000 }, async () => {
    const tableId = await table('long', [
      { id: 'ok1', title: 'short' },
      { id: 'big', title: 'x'.repeat(3000) },
    ]);
    assert.equal((await call('POST', `/v1/tables/${tableId}/columns`, { name: 'summary', producer: 'llm', config: llmConfig() })).status, 201);
    const run = await runColumn(tableId);
    assert.equal(run.status, 'partial', JSON.stringify(run));
    const big = (await items(String(run.id))).find((it) => it.status === 'failed');
    assert.ok(big);
    const error = big.error as Json;
    assert.equal(error.code, 'llm_context_overflow');
    assert.equal(error.retryable, false);
    assert.match(String(error.message), /prompt is too long/);
    assert.equal(big.attempt_count, 1, 'a permanent error is not retried');
    assert.equal(big.credits_used_micro, 0);
  });

  test('an AI worker on Anthropic reads its subject with get_row, then writes one task comment', { timeout: 90_000 }, async () => {
    const tableId = await table('support', [{ id: 'T1', title: 'Login fails after reset' }]);
    const rowId = ((await call('GET', `/v1/tables/${tableId}/rows?limit=10`)).json.data as Json[])[0]!.id as string;
    workerScript = (req) =>
      req.messages.at(-1)?.role === 'tool'
        ? {
            text: `P2 · identity team · saw ${/Login fails after reset/.test(String(req.messages.at(-1)?.content)) ? 'the row' : 'nothing'}`,
            usage: { prompt_tokens: 80, completion_tokens: 12 },
          }
        : { toolCalls: [{ id: 'toolu_get1', name: 'get_row', arguments: '{}' }], usage: { prompt_tokens: 60, completion_tokens: 8 } };
    const model = { provider: 'anthropic', model: MODEL, base_url: fake.baseUrl, api_key_env: 'ANT_KEY', max_output_tokens: 256, max_input_tokens: 4000 };
    const created = await call('POST', '/v1/workers', { name: 'triage on claude', template_key: 'triage_ticket', model });
    assert.equal(created.status, 201, created.text);
    assert.equal(((created.json.definition as Json).model as Json).provider, 'anthropic');
    const started = await call('POST', `/v1/workers/${String(created.json.id)}/runs`, { subject: { table_id: tableId, row_id: rowId }, ...secrets });
    assert.equal(started.status, 201, started.text);
    const run = await app.finished(String((started.json.run as Json).id), 60_000);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));

    const its = await items(String(run.id));
    assert.deepEqual(
      its.map((i) => i.key),
      ['llm:1', 'tool:1:1', 'llm:2', 'output'],
    );
    assert.deepEqual((its[0]!.outputs as Json).tool_calls, [{ id: 'toolu_get1', name: 'get_row', input: {} }]);
    assert.equal((its[0]!.outputs as Json).finish_reason, 'tool_use');
    assert.equal((its[1]!.outputs as Json).decision, 'allowed');
    assert.deepEqual(its[2]!.usage, { model: MODEL, input_tokens: 80, output_tokens: 12, cached_input_tokens: 0 });
    assert.equal(its[0]!.credits_used_micro, Math.ceil((60 * PRICE_IN) / 1000) + Math.ceil((8 * PRICE_OUT) / 1000));
    assert.equal(its[2]!.credits_used_micro, Math.ceil((80 * PRICE_IN) / 1000) + Math.ceil((12 * PRICE_OUT) / 1000));
    // The second call carried the tool result as Anthropic's tool_result block.
    const last = fake.requests.at(-1)!;
    const turns = last.body.messages as { role: string; content: { type: string; tool_use_id?: string }[] }[];
    assert.equal(turns.at(-1)?.content[0]?.type, 'tool_result');
    assert.equal(turns.at(-1)?.content[0]?.tool_use_id, 'toolu_get1');
    assert.ok((last.body.tools as { name: string }[]).some((t) => t.name === 'get_row'));

    const comments = (await call('GET', `/v1/tables/${tableId}/rows/${rowId}/comments?limit=10`)).json.data as Json[];
    assert.equal(comments.length, 1);
    assert.equal(comments[0]!.body, 'P2 · identity team · saw the row');
    assert.equal(comments[0]!.created_by_run, run.id);
  });

  test('an unknown provider is a 422 naming model.provider (worker) and config.provider (column)', async () => {
    const model = { provider: 'acme-llm', model: MODEL, base_url: fake.baseUrl };
    const worker = await call('POST', '/v1/workers', { name: 'w', template_key: 'triage_ticket', model });
    assert.equal(worker.status, 422, worker.text);
    assert.equal(((worker.json.error as Json).details as Json).field, 'model.provider');
    assert.match(worker.text, /openai-compatible, anthropic/);
    const tableId = await table('bad', [{ id: 'b1', title: 'x' }]);
    const col = await call('POST', `/v1/tables/${tableId}/columns`, { name: 'summary', producer: 'llm', config: llmConfig({ provider: 'acme-llm' }) });
    assert.equal(col.status, 422, col.text);
    assert.equal(((col.json.error as Json).details as Json).field, 'config.provider');
  });
});
