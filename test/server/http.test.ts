import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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

  test('a body over the limit is refused with 413', async () => {
    const big = 'x'.repeat(65 * 1024 * 1024);
    const res = await authFetch(ry.adminToken)(`${ry.url}/v1/tables`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'big', format: 'csv', data: big }),
    });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'payload_too_large');
  });
});
