/**
 * The `llm` producer against the local OpenAI-compatible server (real HTTP on 127.0.0.1):
 * streaming with the usage chunk, time to first token, JSON-schema output, and every failure
 * class (429 with Retry-After, 500, dropped connections, context overflow, malformed JSON).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PermanentError, RetryableError, ValidationError } from '../../src/core/errors.js';
import { EgressGuard, parseEgressAllow } from '../../src/producers/egress.js';
import { createLlmProducer } from '../../src/producers/llm.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { makeCtx, rejection, thrown } from './helpers.js';

describe('llm producer', () => {
  let fake: FakeLlm;
  const llm = createLlmProducer();
  const cfg = (over: Record<string, unknown> = {}) => ({ model: 'm-small', base_url: fake.baseUrl, user: 'hello', ...over });

  before(async () => {
    fake = await startFakeLlm({ contextWindow: 200, apiKey: 'sk-test-123' });
  });
  after(() => fake.close());

  test('streams a completion: text, usage from the final chunk, ttft, duration, finish reason', async () => {
    fake.enqueue({ text: 'Bonjour tout le monde', usage: { prompt_tokens: 12, completion_tokens: 5, cached_tokens: 4 }, chunks: 4 });
    const res = await llm.execute(
      makeCtx(cfg({ system: 'be brief', api_key_env: 'KEY', temperature: 0.2, max_output_tokens: 50 }), { env: { KEY: 'sk-test-123' } }),
    );
    assert.equal(res.value, 'Bonjour tout le monde');
    assert.deepEqual(res.usage, { model: 'm-small', input_tokens: 12, output_tokens: 5, cached_input_tokens: 4 });
    const out = res.outputs as Record<string, unknown>;
    assert.equal(out.finish_reason, 'stop');
    assert.equal(out.model, 'm-small');
    assert.equal(typeof out.ttft_ms, 'number');
    assert.ok((out.duration_ms as number) >= (out.ttft_ms as number));
    const req = fake.requests.at(-1);
    assert.ok(req);
    assert.equal(req.stream, true);
    assert.equal(req.include_usage, true);
    assert.equal(req.body.temperature, 0.2);
    assert.equal(req.body.max_tokens, 50);
    assert.deepEqual(
      req.messages.map((m) => m.role),
      ['system', 'user'],
    );
    assert.equal(req.headers['idempotency-key'], 'idem_run1_itm1');
    assert.equal(res.provider, new URL(fake.baseUrl).host);
  });

  test('a JSON-schema output is parsed and checked; malformed JSON and a mismatch have their own codes', async () => {
    const json_schema = { type: 'object', properties: { label: { enum: ['bug', 'question'] } }, required: ['label'] };
    fake.enqueue({ text: '{"label":"bug"}' });
    const ok = await llm.execute(makeCtx(cfg({ api_key_env: 'KEY', json_schema }), { env: { KEY: 'sk-test-123' } }));
    assert.deepEqual(ok.value, { label: 'bug' });
    const format = fake.requests.at(-1)?.body.response_format as { type: string; json_schema: { schema: unknown } };
    assert.equal(format.type, 'json_schema');
    assert.deepEqual(format.json_schema.schema, json_schema);

    fake.enqueue({ text: '{"label": "bug"' });
    const bad = await rejection(llm.execute(makeCtx(cfg({ api_key_env: 'KEY', json_schema }), { env: { KEY: 'sk-test-123' } })));
    assert.ok(bad instanceof PermanentError);
    assert.equal(bad.code, 'llm_invalid_json');

    fake.enqueue({ text: '{"label": "praise"}' });
    const mismatch = await rejection(llm.execute(makeCtx(cfg({ api_key_env: 'KEY', json_schema }), { env: { KEY: 'sk-test-123' } })));
    assert.equal(mismatch.code, 'llm_schema_mismatch');
    assert.match(mismatch.message, /at \/label/);

    fake.enqueue({ text: '{"label": "bu', finishReason: 'length' });
    const cut = await rejection(llm.execute(makeCtx(cfg({ api_key_env: 'KEY', json_schema }), { env: { KEY: 'sk-test-123' } })));
    assert.equal(cut.code, 'llm_output_truncated');
  });

  const withKey = (over: Record<string, unknown> = {}) => makeCtx(cfg({ api_key_env: 'KEY', ...over }), { env: { KEY: 'sk-test-123' } });

  test('429 with Retry-After and 500 are retryable; the delay is honoured', async () => {
    fake.enqueue({ status: 429, headers: { 'retry-after': '3' }, error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } });
    const limited = await rejection(llm.execute(withKey()));
    assert.ok(limited instanceof RetryableError, String(limited));
    assert.equal(limited.code, 'llm_rate_limited');
    assert.equal(limited.retryAfterMs, 3000);
    fake.enqueue({ status: 500 });
    const failed = await rejection(llm.execute(withKey()));
    assert.ok(failed instanceof RetryableError);
    assert.equal(failed.code, 'llm_provider_error');
  });

  test('a dropped connection (before headers or mid-stream) is retryable llm_network', async () => {
    fake.enqueue({ drop: 'before_headers' });
    const before = await rejection(llm.execute(withKey()));
    assert.ok(before instanceof RetryableError, String(before));
    assert.equal(before.code, 'llm_network');
    fake.enqueue({ drop: 'mid_stream', text: 'a long answer that will be cut', chunks: 5 });
    const mid = await rejection(llm.execute(withKey()));
    assert.ok(mid instanceof RetryableError, `${String(mid)} ${(mid as { code?: string }).code}`);
    assert.equal(mid.code, 'llm_network');
  });

  test('a prompt over the context window is permanent llm_context_overflow; a bad key is llm_auth_failed', async () => {
    const overflow = await rejection(llm.execute(withKey({ user: 'x'.repeat(2000) })));
    assert.ok(overflow instanceof PermanentError);
    assert.equal(overflow.code, 'llm_context_overflow');
    const auth = await rejection(llm.execute(makeCtx(cfg({ api_key_env: 'KEY' }), { env: { KEY: 'wrong' } })));
    assert.equal(auth.code, 'llm_auth_failed');
    const missing = await rejection(llm.execute(makeCtx(cfg({ api_key_env: 'KEY' }))));
    assert.equal(missing.code, 'llm_api_key_missing');
    assert.doesNotMatch(auth.message, /wrong/);
  });

  test('the egress guard checks the provider URL: loopback refused by default (egress_blocked, permanent), allowed when listed', async () => {
    const before = fake.requests.length;
    const guarded = createLlmProducer({ egress: new EgressGuard(parseEgressAllow(undefined)) });
    const refused = await rejection(guarded.execute(withKey()));
    assert.ok(refused instanceof PermanentError, String(refused));
    assert.equal(refused.code, 'egress_blocked');
    assert.equal(fake.requests.length, before, 'no request reached the provider');
    const allowed = createLlmProducer({ egress: new EgressGuard(parseEgressAllow('127.0.0.1/32')) });
    assert.equal((await allowed.execute(withKey())).value, 'echo: hello');
  });

  test('validate names the field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ base_url: 'http://x/v1', user: 'u' }, 'config.model'],
      [{ model: 'm', user: 'u' }, 'config.base_url'],
      [{ model: 'm', base_url: 'ftp://x', user: 'u' }, 'config.base_url'],
      [{ model: '{{m}}', base_url: 'http://x/v1', user: 'u' }, 'config.model'],
      [{ model: 'm', base_url: 'http://x/v1' }, 'config.user'],
      [{ model: 'm', base_url: 'http://x/v1', user: 'u', temperature: 3 }, 'config.temperature'],
      [{ model: 'm', base_url: 'http://x/v1', user: 'u', max_output_tokens: 0 }, 'config.max_output_tokens'],
      [{ model: 'm', base_url: 'http://x/v1', user: 'u', api_key: 'sk-1' }, 'config.api_key'],
      [{ model: 'm', base_url: 'http://x/v1', user: 'u', api_key_env: '1BAD' }, 'config.api_key_env'],
      [{ model: 'm', base_url: 'http://x/v1', user: 'u', json_schema: { type: 'nope' } }, 'config.json_schema'],
      [{ model: 'm', base_url: 'http://x/v1', user: 'u', provider: 'acme' }, 'config.provider'],
    ];
    for (const [config, field] of cases) {
      const err = thrown(() => llm.validate(config));
      assert.ok(err instanceof ValidationError, `${field}: ${String(err)}`);
      assert.equal(err.details?.field, field, err.message);
    }
    llm.validate({ model: 'm', base_url: 'http://x/v1', user: 'Summarize {{title}}', system: 'You are terse', json_schema: { type: 'object' } });
  });
});
