/**
 * `provider: anthropic` against the local server's Messages API route (real HTTP on 127.0.0.1,
 * test/helpers/fake-anthropic.ts): the `llm` producer streams text and records usage with the
 * cached tokens, time to first token and the provider's finish reason; a JSON-schema output and
 * its truncation; 429 with Retry-After, 529 overloaded and an `error` event mid-stream are
 * retryable; "prompt is too long" is the permanent `llm_context_overflow`; a bad key and a
 * malformed stream have their codes. The `worker_llm` producer reads a tool call and sends the
 * tool result back the Anthropic way; the fake answers a non-streaming request too. No store
 * here: these are wire tests (the API suites run on both databases).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAnthropic } from '@ai-sdk/anthropic';
import { generateText, jsonSchema, tool } from 'ai';
import { PermanentError, RetryableError, ValidationError } from '../../src/core/errors.js';
import { createLlmProducer } from '../../src/producers/llm.js';
import { createWorkerLlmProducer } from '../../src/producers/worker-llm.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { makeCtx, rejection, thrown } from './helpers.js';

const KEY = 'sk-ant-test-5d21';

describe('llm producers with provider anthropic', () => {
  let fake: FakeLlm;
  const llm = createLlmProducer();
  const cfg = (over: Record<string, unknown> = {}) => ({
    provider: 'anthropic',
    model: 'claude-test-1',
    base_url: fake.baseUrl,
    api_key_env: 'KEY',
    user: 'hello',
    ...over,
  });
  const ctx = (over: Record<string, unknown> = {}) => makeCtx(cfg(over), { env: { KEY } });

  before(async () => {
    fake = await startFakeLlm({ contextWindow: 200, apiKey: KEY });
  });
  after(() => fake.close());

  test('streams a message: text, usage with cached tokens, ttft, duration, end_turn; the Messages API headers', async () => {
    fake.enqueue({ text: 'Bonjour tout le monde', usage: { prompt_tokens: 30, completion_tokens: 6, cached_tokens: 10 }, chunks: 4 });
    const res = await llm.execute(ctx({ system: 'be brief', max_output_tokens: 50 }));
    assert.equal(res.value, 'Bonjour tout le monde');
    assert.deepEqual(res.usage, { model: 'claude-test-1', input_tokens: 30, output_tokens: 6, cached_input_tokens: 10 });
    const out = res.outputs as Record<string, unknown>;
    assert.equal(out.finish_reason, 'end_turn');
    assert.equal(out.response_model, 'claude-test-1');
    assert.equal(typeof out.ttft_ms, 'number');
    assert.ok((out.duration_ms as number) >= (out.ttft_ms as number));
    const req = fake.requests.at(-1);
    assert.ok(req);
    assert.equal(req.api, 'messages');
    assert.equal(req.stream, true);
    assert.equal(req.headers['x-api-key'], KEY);
    assert.equal(req.headers['anthropic-version'], '2023-06-01');
    assert.equal(req.headers.authorization, undefined);
    assert.equal(req.headers['idempotency-key'], 'idem_run1_itm1');
    assert.equal(req.body.max_tokens, 50);
    assert.deepEqual(
      req.messages.map((m) => [m.role, m.content]),
      [
        ['system', 'be brief'],
        ['user', 'hello'],
      ],
    );
    assert.equal(res.provider, new URL(fake.baseUrl).host);
  });

  test('a JSON-schema output is parsed; cut at max_tokens it is llm_output_truncated', async () => {
    const json_schema = { type: 'object', properties: { label: { enum: ['bug', 'question'] } }, required: ['label'] };
    fake.enqueue({ text: '{"label":"bug"}' });
    assert.deepEqual((await llm.execute(ctx({ json_schema }))).value, { label: 'bug' });
    fake.enqueue({ text: '{"label": "bu', finishReason: 'length' });
    const cut = await rejection(llm.execute(ctx({ json_schema })));
    assert.equal(cut.code, 'llm_output_truncated', cut.message);
  });

  test('429 (Retry-After), 529 overloaded and an error event mid-stream are retryable', async () => {
    fake.enqueue({ status: 429, headers: { 'retry-after': '3' }, error: { message: 'Number of request tokens has exceeded your rate limit' } });
    const limited = await rejection(llm.execute(ctx()));
    assert.ok(limited instanceof RetryableError, String(limited));
    assert.equal(limited.code, 'llm_rate_limited');
    assert.equal(limited.retryAfterMs, 3000);
    fake.enqueue({ status: 529, headers: { 'retry-after': '2' }, error: { message: 'Overloaded' } });
    const overloaded = await rejection(llm.execute(ctx()));
    assert.ok(overloaded instanceof RetryableError, String(overloaded));
    assert.equal(overloaded.code, 'llm_provider_error');
    assert.equal(overloaded.retryAfterMs, 2000);
    fake.enqueue({ text: 'half an answer', streamError: { type: 'overloaded_error', message: 'Overloaded' } });
    const mid = await rejection(llm.execute(ctx()));
    assert.ok(mid instanceof RetryableError, String(mid));
    assert.equal(mid.code, 'llm_provider_error');
    assert.match(mid.message, /overloaded_error/);
    fake.enqueue({ drop: 'mid_stream', text: 'a long answer that will be cut', chunks: 5 });
    assert.equal((await rejection(llm.execute(ctx()))).code, 'llm_network');
  });

  test('"prompt is too long" is permanent llm_context_overflow; a bad key llm_auth_failed; a malformed stream llm_malformed_response', async () => {
    const overflow = await rejection(llm.execute(ctx({ user: 'x'.repeat(2000) })));
    assert.ok(overflow instanceof PermanentError, String(overflow));
    assert.equal(overflow.code, 'llm_context_overflow');
    assert.match(overflow.message, /prompt is too long/);
    const auth = await rejection(llm.execute(makeCtx(cfg(), { env: { KEY: 'wrong' } })));
    assert.equal(auth.code, 'llm_auth_failed');
    const missing = await rejection(llm.execute(makeCtx(cfg())));
    assert.equal(missing.code, 'llm_api_key_missing');
    fake.enqueue({ raw: 'event: message_start\ndata: {"type": "message_start", "message": {"usage"\n\n' });
    const malformed = await rejection(llm.execute(ctx()));
    assert.ok(malformed instanceof PermanentError, String(malformed));
    assert.equal(malformed.code, 'llm_malformed_response');
  });

  test('an unknown provider names config.provider', () => {
    const err = thrown(() => llm.validate({ ...cfg(), provider: 'acme' }));
    assert.ok(err instanceof ValidationError);
    assert.equal(err.details?.field, 'config.provider');
    assert.match(err.message, /anthropic/);
  });

  test('worker_llm: a tool_use block becomes a tool call; the tool result goes back as a tool_result block', async () => {
    const worker = createWorkerLlmProducer();
    const inputs = (messages: unknown[]) => ({
      llm: { provider: 'anthropic', model: 'claude-test-1', base_url: fake.baseUrl, api_key_env: 'KEY', max_output_tokens: 256 },
      system: 'You triage tickets.',
      messages,
      tools: [{ name: 'get_row', description: 'read a row', input_schema: { type: 'object', properties: { row_id: { type: 'string' } } } }],
    });
    fake.enqueue({ toolCalls: [{ id: 'toolu_01A', name: 'get_row', arguments: '{"row_id":"row_7"}' }], usage: { prompt_tokens: 40, completion_tokens: 9 } });
    const first = await worker.execute(makeCtx(inputs([{ role: 'user', content: 'Subject: row row_7' }]), { env: { KEY } }));
    const out = first.outputs as Record<string, unknown>;
    assert.deepEqual(out.tool_calls, [{ id: 'toolu_01A', name: 'get_row', input: { row_id: 'row_7' } }]);
    assert.equal(out.finish_reason, 'tool_use');
    assert.deepEqual(first.usage, { model: 'claude-test-1', input_tokens: 40, output_tokens: 9, cached_input_tokens: 0 });
    const sent = fake.requests.at(-1)?.body as { tools: { name: string; input_schema: unknown }[]; system: unknown };
    assert.equal(sent.tools[0]?.name, 'get_row');

    fake.enqueue({ text: 'P2, identity team' });
    const second = await worker.execute(
      makeCtx(
        inputs([
          { role: 'user', content: 'Subject: row row_7' },
          { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'toolu_01A', toolName: 'get_row', input: { row_id: 'row_7' } }] },
          {
            role: 'tool',
            content: [{ type: 'tool-result', toolCallId: 'toolu_01A', toolName: 'get_row', output: { type: 'json', value: { title: 'Login fails' } } }],
          },
        ]),
        { env: { KEY } },
      ),
    );
    assert.equal(second.value, 'P2, identity team');
    const turns = (fake.requests.at(-1)?.body.messages ?? []) as { role: string; content: { type: string; tool_use_id?: string }[] }[];
    assert.deepEqual(
      turns.map((t) => [t.role, t.content[0]?.type]),
      [
        ['user', 'text'],
        ['assistant', 'tool_use'],
        ['user', 'tool_result'],
      ],
    );
    assert.equal(turns[2]?.content[0]?.tool_use_id, 'toolu_01A');
    assert.equal(fake.requests.at(-1)?.messages.at(-1)?.role, 'tool', 'the fake shows a tool-result turn as role tool');
  });

  test('the fake answers a non-streaming request with one JSON message', async () => {
    fake.enqueue({
      text: 'plain',
      toolCalls: [{ id: 'toolu_9', name: 'get_row', arguments: '{"row_id":"r1"}' }],
      usage: { prompt_tokens: 8, completion_tokens: 3, cached_tokens: 2 },
    });
    const r = await generateText({
      model: createAnthropic({ baseURL: fake.baseUrl, apiKey: KEY }).languageModel('claude-test-1'),
      prompt: 'hi',
      maxRetries: 0,
      tools: { get_row: tool({ description: 'read a row', inputSchema: jsonSchema({ type: 'object' }) }) },
    });
    assert.equal(fake.requests.at(-1)?.stream, false);
    assert.equal(r.text, 'plain');
    assert.deepEqual(
      r.toolCalls.map((c) => [c.toolCallId, c.toolName, c.input]),
      [['toolu_9', 'get_row', { row_id: 'r1' }]],
    );
    assert.equal(r.finishReason, 'tool-calls');
    assert.equal(r.usage.inputTokens, 8);
    assert.equal(r.usage.inputTokenDetails.cacheReadTokens, 2);
    assert.equal(r.usage.outputTokens, 3);
  });
});
