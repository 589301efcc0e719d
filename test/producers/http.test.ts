import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { PermanentError, RetryableError, ValidationError } from '../../src/core/errors.js';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../src/producers/http-body.js';
import { createHttpProducer } from '../../src/producers/http.js';
import { makeCtx, rejection, thrown } from './helpers.js';

const http = createHttpProducer();
let server: Server;
let base = '';
/** Bytes the /big route managed to write before the client went away. */
let bigSent = 0;
let bigDone: Promise<void> = Promise.resolve();

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };
  switch (url.pathname) {
    case '/echo': {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (body += d));
      req.on('end', () => send(200, JSON.stringify({ method: req.method, headers: req.headers, body }), { 'content-type': 'application/json; charset=utf-8' }));
      return;
    }
    case '/text':
      return send(200, '  plain text  ');
    case '/badjson':
      return send(200, '{not json', { 'content-type': 'application/json' });
    case '/status': {
      const headers: Record<string, string> = {};
      const ra = url.searchParams.get('retry_after');
      if (ra !== null) headers['retry-after'] = ra;
      return send(Number(url.searchParams.get('code')), url.searchParams.get('body') ?? '', headers);
    }
    case '/slow':
      return; // never answers
    case '/declared':
      res.writeHead(200, { 'content-length': String(20 * 1024 * 1024) });
      res.write('x');
      return;
    case '/big': {
      bigSent = 0;
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 120);
      bigDone = new Promise((resolve) => {
        const pump = (): void => {
          while (bigSent < 20 * 1024 * 1024 && !res.destroyed) {
            bigSent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
          resolve();
        };
        res.on('close', () => resolve());
        pump();
      });
      return;
    }
    default:
      return send(404, 'no such route');
  }
}

before(async () => {
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const call = (cfg: Record<string, unknown>, over = {}) => http.execute(makeCtx(cfg, over));

describe('http producer', () => {
  test('GET JSON: value is the parsed body; outputs, provider and usage are set', async () => {
    const res = await call({ url: `${base}/echo?q=1` });
    const value = res.value as { method: string; headers: Record<string, string> };
    assert.equal(value.method, 'GET');
    assert.equal(value.headers['idempotency-key'], 'idem_run1_itm1');
    assert.equal(res.provider, `127.0.0.1:${new URL(base).port}`);
    assert.deepEqual(res.usage, { http_calls: 1 });
    const out = res.outputs as { status: number; headers: Record<string, string>; body: string };
    assert.equal(out.status, 200);
    assert.equal(out.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(out.body), value);
  });

  test('text responses stay text; parse: json forces JSON; bad JSON is invalid_output', async () => {
    assert.equal((await call({ url: `${base}/text` })).value, '  plain text  ');
    const err = await rejection(call({ url: `${base}/text`, parse: 'json' }));
    assert.equal(err.code, 'invalid_output');
    const bad = await rejection(call({ url: `${base}/badjson` }));
    assert.ok(bad instanceof PermanentError);
    assert.equal(bad.code, 'invalid_output');
    assert.equal((await call({ url: `${base}/badjson`, parse: 'text' })).value, '{not json');
  });

  test('POST: objects are JSON-encoded with content-type; strings are sent as-is', async () => {
    const res = await call({ method: 'post', url: `${base}/echo`, body: { name: 'Ada', n: [1, 2] }, headers: { 'X-Trace': 'abc' } });
    const v = res.value as { method: string; headers: Record<string, string>; body: string };
    assert.equal(v.method, 'POST');
    assert.equal(v.headers['content-type'], 'application/json');
    assert.equal(v.headers['x-trace'], 'abc');
    assert.deepEqual(JSON.parse(v.body), { name: 'Ada', n: [1, 2] });
    const raw = (await call({ method: 'PUT', url: `${base}/echo`, body: 'a=1&b=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } }))
      .value as typeof v;
    assert.equal(raw.body, 'a=1&b=2');
    assert.equal(raw.headers['content-type'], 'application/x-www-form-urlencoded');
  });

  test('Idempotency-Key is the item key unless the config sets one', async () => {
    const key = (r: { value: unknown }) => (r.value as { headers: Record<string, string> }).headers['idempotency-key'];
    assert.equal(key(await call({ url: `${base}/echo` }, { idempotencyKey: 'k-123' })), 'k-123');
    assert.equal(key(await call({ url: `${base}/echo`, headers: { 'idempotency-key': 'mine' } }, { idempotencyKey: 'k-123' })), 'mine');
  });

  test('429 with Retry-After in seconds or as an HTTP date is retryable with retryAfterMs', async () => {
    const secs = await rejection(call({ url: `${base}/status?code=429&retry_after=7` }));
    assert.ok(secs instanceof RetryableError, String(secs));
    assert.equal(secs.code, 'http_429');
    assert.equal(secs.retryAfterMs, 7000);
    const date = new Date(Date.now() + 30_000).toUTCString();
    const dated = await rejection(call({ url: `${base}/status?code=429&retry_after=${encodeURIComponent(date)}` }));
    assert.ok(dated instanceof RetryableError);
    assert.ok(dated.retryAfterMs !== undefined && dated.retryAfterMs > 25_000 && dated.retryAfterMs <= 30_000, String(dated.retryAfterMs));
    const capped = await rejection(call({ url: `${base}/status?code=429&retry_after=86400` }));
    assert.equal(capped.retryAfterMs, MAX_RETRY_AFTER_MS);
  });

  test('parseRetryAfter handles seconds, dates, the past, garbage and the cap', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Mon, 01 Jan 2024 00:01:00 GMT', now), 60_000);
    assert.equal(parseRetryAfter('Sun, 31 Dec 2023 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
    assert.equal(parseRetryAfter('3600', now), 600_000);
  });

  test('503 and 408 are retryable; 404 is permanent with a body excerpt', async () => {
    const e503 = await rejection(call({ url: `${base}/status?code=503&body=down` }));
    assert.ok(e503 instanceof RetryableError);
    assert.equal(e503.code, 'http_503');
    assert.equal(e503.retryAfterMs, undefined);
    const e408 = await rejection(call({ url: `${base}/status?code=408` }));
    assert.ok(e408 instanceof RetryableError);
    assert.equal(e408.code, 'http_408');
    const e404 = await rejection(call({ url: `${base}/nowhere` }));
    assert.ok(e404 instanceof PermanentError, String(e404));
    assert.equal(e404.code, 'http_404');
    assert.match(e404.message, /404/);
    assert.match(e404.message, /no such route/);
  });

  test('a timeout is retryable producer_timeout; ctx.signal abort is permanent aborted', async () => {
    const t0 = Date.now();
    const err = await rejection(call({ url: `${base}/slow`, timeout_ms: 300 }));
    assert.ok(err instanceof RetryableError, String(err));
    assert.equal(err.code, 'producer_timeout');
    assert.ok(Date.now() - t0 < 3000);
    const viaCtx = await rejection(call({ url: `${base}/slow` }, { timeoutMs: 300 }));
    assert.equal(viaCtx.code, 'producer_timeout');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const aborted = await rejection(call({ url: `${base}/slow` }, { signal: ac.signal }));
    assert.ok(aborted instanceof PermanentError, String(aborted));
    assert.equal(aborted.code, 'aborted');
  });

  test('an oversized streamed body stops early with output_too_large', async () => {
    const err = await rejection(call({ url: `${base}/big`, max_response_bytes: 512 * 1024 }));
    assert.ok(err instanceof PermanentError, String(err));
    assert.equal(err.code, 'output_too_large');
    await bigDone;
    assert.ok(bigSent < 12 * 1024 * 1024, `the server stopped after ${bigSent} of 20 MB`);
    const declared = await rejection(call({ url: `${base}/declared` }));
    assert.equal(declared.code, 'output_too_large');
    assert.match(declared.message, /20971520 bytes/);
  });

  test('invalid URLs and schemes are permanent invalid_url naming the value', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.com/x', 'not a url', 42]) {
      const err = await rejection(call({ url }));
      assert.ok(err instanceof PermanentError, String(err));
      assert.equal(err.code, 'invalid_url');
      assert.ok(err.message.includes(JSON.stringify(url)), err.message);
    }
  });

  test('a refused connection is retryable http_network', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const err = await rejection(call({ url: `http://127.0.0.1:${port}/` }));
    assert.ok(err instanceof RetryableError, String(err));
    assert.equal(err.code, 'http_network');
    assert.match(err.message, /ECONNREFUSED/);
  });

  test('validate: bad config throws ValidationError naming the field; templates are allowed', () => {
    const cases: [unknown, string][] = [
      [{}, 'config.url'],
      [{ url: 5 }, 'config.url'],
      [{ url: 'http://x', method: 'FETCH' }, 'config.method'],
      [{ url: 'http://x', body: { a: 1 } }, 'config.body'],
      [{ url: 'http://x', headers: { A: [] } }, 'config.headers.A'],
      [{ url: 'http://x', timeout_ms: 0 }, 'config.timeout_ms'],
      [{ url: 'http://x', max_response_bytes: 'big' }, 'config.max_response_bytes'],
      [{ url: 'http://x', parse: 'xml' }, 'config.parse'],
      [{ url: 'http://x', verb: 'GET' }, 'config.verb'],
    ];
    for (const [config, field] of cases) {
      const err = thrown(() => http.validate(config));
      assert.ok(err instanceof ValidationError, `${JSON.stringify(config)}: ${String(err)}`);
      assert.equal(err.details?.field, field);
      assert.ok(err.message.startsWith(`${field}: `), err.message);
    }
    assert.match(thrown(() => http.validate({})).message, /^config\.url: expected a non-empty string$/);
    http.validate({ url: '{{endpoint}}/items/{{id}}', method: 'POST', body: { id: '{{id}}' }, headers: { Authorization: 'Bearer {{token}}' } });
  });
});
