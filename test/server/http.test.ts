import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startRunyard, type RunningRunyard } from '../../src/server/start.js';
import { silentLogger } from '../../src/engine/logger.js';
import { tempDir } from '../helpers/fixtures.js';
import { authFetch } from '../helpers/auth.js';

describe('HTTP API over real loopback HTTP', () => {
  let ry: RunningRunyard;
  before(async () => {
    const dir = tempDir();
    ry = await startRunyard({ port: 0, dataDir: dir, databaseUrl: `${dir}/r.db`, logger: silentLogger, engine: { pollMs: 50 } });
  });
  after(async () => ry.close(1000));

  test('health, a shell column end to end, and SSE over a socket', async () => {
    assert.deepEqual(await (await fetch(`${ry.url}/healthz`)).json(), { ok: true });
    const post = (path: string, body: unknown) =>
      authFetch(ry.adminToken)(`${ry.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const table = (await (await post('/v1/tables', { name: 'words', format: 'ndjson', data: '{"w":"a; rm -rf /"}\n{"w":"$(id)"}\n' })).json()) as {
      id: string;
    };
    const col = await post(`/v1/tables/${table.id}/columns`, { name: 'echo', producer: 'shell', config: { command: 'printf', args: ['%s', '{{w}}'] } });
    assert.equal(col.status, 201);
    const run = (await (await post(`/v1/tables/${table.id}/columns/echo/runs`, {})).json()) as { id: string };
    const sse = await authFetch(ry.adminToken)(`${ry.url}/v1/runs/${run.id}/events`, { headers: { accept: 'text/event-stream' } });
    const body = await sse.text();
    assert.match(body, /event: end/);
    const items = (await (await authFetch(ry.adminToken)(`${ry.url}/v1/runs/${run.id}/items`)).json()) as { data: { outputs: { stdout: string } }[] };
    assert.deepEqual(
      items.data.map((i) => i.outputs.stdout),
      ['a; rm -rf /', '$(id)'],
    );
  });

  test('a body over the limit is refused with 413 before it is sent', async () => {
    // Headers only, as a client waiting for `100 Continue` would: the server answers from the
    // declared length. (Sending the 65 MiB as well makes the test race the server's close of a
    // connection whose body it will not read: the client may see ECONNRESET instead of the 413.)
    const { hostname: host, port } = new URL(ry.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({
        host,
        port,
        method: 'POST',
        path: '/v1/tables',
        headers: { 'content-type': 'application/json', 'content-length': 65 * 1024 * 1024, authorization: `Bearer ${ry.adminToken}` },
      });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(answer.status, 413);
    assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'payload_too_large');
  });
});
