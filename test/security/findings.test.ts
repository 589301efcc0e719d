/**
 * The findings of issue 17 ("found when probed as an attacker would"), one test each; every
 * one of them failed before its fix.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { Engine } from '../../src/engine/engine.js';
import { silentLogger } from '../../src/engine/logger.js';
import { startRunyard, type RunningRunyard } from '../../src/server/start.js';
import { authedApp, authFetch, type TestApp } from '../helpers/auth.js';
import { tempDir, testEngine, writeModule } from '../helpers/fixtures.js';

const PROTO_NAMES = ['toString', '__proto__', 'constructor', 'valueOf', 'hasOwnProperty'];

describe('findings (in-process)', () => {
  let engine: Engine;
  let app: TestApp;
  let tableId = '';
  const dir = tempDir();

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const res = await app.request(path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) }),
    });
    return { status: res.status, text: await res.text() };
  }

  before(async () => {
    writeModule(dir, 'id.mjs', 'export default (i) => i;');
    engine = await testEngine({ baseDir: dir });
    app = await authedApp(engine);
    const t = await call('POST', '/v1/tables', { name: 't', format: 'csv', data: 'name\nada\n' });
    tableId = (JSON.parse(t.text) as { id: string }).id;
    assert.equal((await call('POST', `/v1/tables/${tableId}/columns`, { name: 'c', producer: 'http', config: { url: 'http://127.0.0.1:9/' } })).status, 201);
  });
  after(async () => engine.store.close());

  test('names every object has (toString, __proto__, …) are unknown names, never a 500 or a saved column', async () => {
    for (const name of PROTO_NAMES) {
      const q = encodeURIComponent(name);
      const cases: [string, string, unknown?][] = [
        ['POST', `/v1/tables/${tableId}/columns`, { name: `p_${name}`, producer: 'http', config: { url: 'http://x/' }, profile: name }],
        ['POST', `/v1/tables/${tableId}/columns/c/runs`, { profile: name }],
        ['POST', '/v1/runs', { target: { type: 'column', table_id: tableId, column: 'c' }, profile: name }],
        ['POST', `/v1/tables/${tableId}/columns`, { name: `q_${name}`, producer: name, config: {} }],
        ['GET', `/v1/runs?status=${q}`],
        ['GET', `/v1/runs/count?status=${q}`],
        ['GET', `/v1/runs/export?status=${q}`],
        ['GET', `/v1/credits/ledger?kind=${q}`],
        ['GET', `/v1/usage?window=${q}`],
        ['GET', `/v1/runs/export?format=${q}`],
      ];
      for (const [method, path, body] of cases) {
        const r = await call(method, path, body);
        assert.equal(r.status, 422, `${method} ${path} ${JSON.stringify(body)} → ${r.status} ${r.text.slice(0, 200)}`);
      }
    }
    const cols = JSON.parse((await call('GET', `/v1/tables/${tableId}/columns`)).text) as { data: { name: string }[] };
    assert.deepEqual(
      cols.data.map((c) => c.name),
      ['c'],
    );
  });

  test('a JSON or NDJSON import nested 5,000 levels deep → 422, and a request body nested that deep → 422', async () => {
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    const json = await call('POST', '/v1/tables', { name: 'deep', format: 'json', data: `[{"a": ${deep}}]` });
    assert.equal(json.status, 422, json.text.slice(0, 200));
    const nd = await call('POST', '/v1/tables', { name: 'deep', format: 'ndjson', data: `{"a": ${deep}}\n` });
    assert.equal(nd.status, 422, nd.text.slice(0, 200));
    assert.match(nd.text, /nested more than 64 levels/);
    const body = await call('POST', '/v1/runs', `{"target": ${deep}}`);
    assert.equal(body.status, 422, body.text.slice(0, 200));
    assert.equal((JSON.parse((await call('GET', '/v1/tables')).text) as { data: unknown[] }).data.length, 1, 'nothing imported');
  });

  test('error messages quote at most a short excerpt of the input', async () => {
    const huge = 'p'.repeat(1024 * 1024);
    for (const [path, body] of [
      [`/v1/tables/${tableId}/columns`, { name: 'big', producer: huge, config: {} }],
      [`/v1/tables/${tableId}/columns/c/runs`, { profile: huge }],
    ] as const) {
      const r = await call('POST', path, body);
      assert.equal(r.status, 422);
      assert.ok(r.text.length < 2000, `${path}: a ${r.text.length}-byte error body`);
    }
    const r = await call('GET', `/v1/runs/${'r'.repeat(5000)}`);
    assert.equal(r.status, 404);
    assert.ok(r.text.length < 1000, `a ${r.text.length}-byte not-found body`);
  });

  test('control characters in a header row and invalid UTF-8 are refused naming where', async () => {
    const ctl = await call('POST', '/v1/tables', { name: 'ctl', format: 'csv', data: '\u0001\u0002x,\u0007y\n1,2\n' });
    assert.equal(ctl.status, 422, ctl.text);
    assert.match(ctl.text, /control character U\+0001/);
    const prefix = Buffer.from('{"name":"bad","format":"csv","data":"a\\nx');
    const bytes = Buffer.concat([prefix, Buffer.from([0xff, 0xfe]), Buffer.from('\\n"}')]);
    const bad = await call('POST', '/v1/tables', new Uint8Array(bytes));
    assert.equal(bad.status, 422, bad.text);
    assert.match(bad.text, new RegExp(`byte offset ${prefix.length}\\b`));
    assert.equal((JSON.parse((await call('GET', '/v1/tables')).text) as { data: unknown[] }).data.length, 1, 'nothing imported');
  });

  test('API responses carry X-Content-Type-Options: nosniff (JSON, errors, SSE, exports)', async () => {
    for (const path of ['/v1/tables', '/v1/runs/run_missing', '/v1/runs/export?format=csv', '/openapi.json']) {
      const res = await app.request(path);
      await res.text();
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    }
  });
});

describe('findings (real HTTP)', () => {
  let ry: RunningRunyard;
  const dir = tempDir();
  before(async () => {
    ry = await startRunyard({ port: 0, dataDir: dir, databaseUrl: join(dir, 'r.db'), logger: silentLogger, executor: false, baseDir: dir });
  });
  after(async () => ry.close(1000));

  test('unauthenticated writes are refused: a shell column running `id` cannot be created without a token', async () => {
    const res = await fetch(`${ry.url}/v1/tables`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"x","format":"csv","data":"a\\n1\\n"}',
    });
    assert.equal(res.status, 401);
    const viewer = (await ry.engine.access.createToken(ry.engine.workspaceId, { name: 'v', role: 'editor' })).secret;
    const f = authFetch(ry.adminToken);
    const t = (await (
      await f(`${ry.url}/v1/tables`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x","format":"csv","data":"a\\n1\\n"}' })
    ).json()) as { id: string };
    const col = await authFetch(viewer)(`${ry.url}/v1/tables/${t.id}/columns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'who', producer: 'shell', config: { command: 'id' } }),
    });
    assert.equal(col.status, 403, 'an editor cannot add a shell column');
    const outside = await f(`${ry.url}/v1/tables/${t.id}/columns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sys', producer: 'js', config: { module: '/etc/passwd' } }),
    });
    assert.equal(outside.status, 422, 'a js module outside the js directory is refused at add time');
    const escape = await f(`${ry.url}/v1/tables/${t.id}/columns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'up', producer: 'js', config: { module: '../x.mjs' } }),
    });
    assert.equal(escape.status, 422, 'a relative path may not leave the js directory');
  });

  test('a chunked body over the limit is refused with 413 early, without reading it all', async () => {
    const url = new URL(`${ry.url}/v1/runs`);
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const result = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
      let sent = 0;
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${ry.adminToken}` },
        },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, sent });
          req.destroy();
        },
      );
      req.on('error', (err) => (sent > 0 ? undefined : reject(err)));
      req.write('{"target":"');
      const pump = () => {
        // 64 MiB offered; the server must answer long before.
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end('"}');
      };
      pump();
    });
    assert.equal(result.status, 413);
    assert.ok(result.sent < 16 * 1024 * 1024, `${(result.sent / 1024 / 1024).toFixed(1)} MiB were sent before the 413`);
  });

  test('a request naming another Host (DNS rebinding) or from another Origin is refused', async () => {
    const f = authFetch(ry.adminToken);
    const port = new URL(ry.url).port;
    const withHost = (path: string, host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host, authorization: `Bearer ${ry.adminToken}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    assert.equal(await withHost('/v1/runs', `evil.example:${port}`), 403);
    assert.equal(await withHost('/v1/runs', `localhost:${port}`), 200, 'loopback names of this server are accepted');
    assert.equal(await withHost('/', `evil.example:${port}`), 403, 'the console too');
    const cross = await f(`${ry.url}/v1/runs/run_x/cancel`, { method: 'POST', headers: { origin: 'http://evil.example' } });
    assert.equal(cross.status, 403);
    const same = await f(`${ry.url}/v1/runs/run_x/cancel`, { method: 'POST', headers: { origin: ry.url } });
    assert.equal(same.status, 404, 'the same origin reaches the route');
  });
});
