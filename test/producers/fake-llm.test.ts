/**
 * The local OpenAI-compatible server speaks the wire format the AI SDK reads: streamed tool-call
 * fragments reassembled into one call with its arguments, the usage chunk, non-streaming
 * completions, and injected statuses with their headers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, generateText, jsonSchema, streamText, tool } from 'ai';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';

describe('fake OpenAI-compatible server', () => {
  let fake: FakeLlm;
  const model = () => createOpenAICompatible({ name: 'fake', baseURL: fake.baseUrl, includeUsage: true }).chatModel('m');
  before(async () => {
    fake = await startFakeLlm();
  });
  after(() => fake.close());

  test('streamed tool-call fragments become one tool call; the usage chunk is read', async () => {
    fake.enqueue({
      toolCalls: [{ id: 'call_a', name: 'write_comment', arguments: '{"row_id":"row_1","body":"Printer fixed"}' }],
      usage: { prompt_tokens: 42, completion_tokens: 9 },
    });
    const result = streamText({
      model: model(),
      prompt: 'triage',
      maxRetries: 0,
      tools: { write_comment: tool({ description: 'write a comment', inputSchema: jsonSchema<{ row_id: string; body: string }>({ type: 'object' }) }) },
    });
    const calls = await result.toolCalls;
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.toolName, 'write_comment');
    assert.equal(calls[0]?.toolCallId, 'call_a');
    assert.deepEqual(calls[0]?.input, { row_id: 'row_1', body: 'Printer fixed' });
    assert.equal(await result.finishReason, 'tool-calls');
    const usage = await result.usage;
    assert.equal(usage.inputTokens, 42);
    assert.equal(usage.outputTokens, 9);
    const body = fake.requests.at(-1)?.body as { tools?: { function: { name: string } }[] };
    assert.equal(body.tools?.[0]?.function.name, 'write_comment');
  });

  test('non-streaming completion with usage; an injected 429 carries its Retry-After', async () => {
    fake.enqueue({ text: 'plain answer', usage: { prompt_tokens: 3, completion_tokens: 2, cached_tokens: 1 } });
    const r = await generateText({ model: model(), prompt: 'hi', maxRetries: 0 });
    assert.equal(r.text, 'plain answer');
    assert.equal(r.usage.inputTokens, 3);
    assert.equal(r.usage.inputTokenDetails.cacheReadTokens, 1);
    assert.equal(fake.requests.at(-1)?.stream, false);

    fake.enqueue({ status: 429, headers: { 'retry-after': '7' } });
    try {
      await generateText({ model: model(), prompt: 'hi', maxRetries: 0 });
      assert.fail('expected a 429');
    } catch (err) {
      assert.ok(APICallError.isInstance(err), String(err));
      assert.equal(err.statusCode, 429);
      assert.equal(err.responseHeaders?.['retry-after'], '7');
    }
  });
});
