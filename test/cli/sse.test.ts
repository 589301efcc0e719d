/** The SDK's Server-Sent Events parser on awkward input: CRLF split across chunks, comments, multi-line data. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSse, type SseFrame } from '../../src/sdk/sse.js';

function body(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
}

async function frames(chunks: string[]): Promise<SseFrame[]> {
  const out: SseFrame[] = [];
  for await (const f of parseSse(body(chunks))) out.push(f);
  return out;
}

test('frames split anywhere, CRLF/CR/LF line ends, comments, multi-line data', async () => {
  const text = ': hello\r\nid: 1\r\nevent: item.failed\r\ndata: {"a":\r\ndata:1}\r\n\r\nid: 2\rdata: x\r\rdata:y\n\nevent: end\ndata: {}\n\ndata: incomplete';
  const expected: SseFrame[] = [
    { id: '1', event: 'item.failed', data: '{"a":\n1}' },
    { id: '2', event: 'message', data: 'x' },
    { event: 'message', data: 'y' },
    { event: 'end', data: '{}' },
  ];
  assert.deepEqual(await frames([text]), expected);
  // Every split point, including between the CR and LF of a CRLF.
  for (let i = 1; i < text.length; i++) assert.deepEqual(await frames([text.slice(0, i), text.slice(i)]), expected, `split at ${i}`);
});

test('a consumer that stops early cancels the body', async () => {
  let canceled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new TextEncoder().encode('data: 1\n\n'));
    },
    cancel() {
      canceled = true;
    },
  });
  for await (const f of parseSse(stream)) {
    assert.equal(f.data, '1');
    break;
  }
  assert.equal(canceled, true);
});
