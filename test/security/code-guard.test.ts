/**
 * Code on the server needs admin (issue 17), whatever the run kind (issue 11), on both
 * databases: adding a `js` column as an editor is refused; a manual run (`POST /v1/runs`) of a
 * `js` column target, or of a target of a kind registered at start-up that resolves to `js`, is
 * refused to an operator with 403 naming admin and creates no run; the same requests of an
 * admin, and of an operator for a non-code (`http`) target, are accepted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../src/core/errors.js';
import type { RunKindModule } from '../../src/core/kind.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { SecretBox } from '../../src/engine/secrets.js';
import { createKindRegistry } from '../../src/kinds/index.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { createApp } from '../../src/server/app.js';
import { describeEachBackend, type OpenedStore } from '../helpers/backends.js';
import { FAST, tempDir, writeModule } from '../helpers/fixtures.js';

/** `{type: 'ingestion', producer}`: one item calling `producer` (js or http). */
const probeKind: RunKindModule<{ producer: string }> = {
  kind: 'ingestion',
  outcome: 'items',
  parseTarget(raw) {
    if (raw.producer !== 'js' && raw.producer !== 'http') throw new ValidationError('target.producer: js or http', { field: 'target.producer' });
    return { producer: raw.producer };
  },
  async resolve(ref) {
    return {
      kind: 'ingestion',
      target_id: `src_${ref.producer}`,
      target_version: 1,
      default_name: `probe ${ref.producer}`,
      profile: 'small',
      producer: ref.producer,
      config: ref.producer === 'js' ? { module: 'ok.mjs' } : { url: 'https://example.invalid/' },
      sink: null,
    };
  },
  async start() {
    return { items: [] };
  },
  next: () => ({ append: [] }),
  replay: () => ({ items: [] }),
  currentTarget: (run) => ({ type: 'ingestion', producer: run.target_id.slice(4) }),
};

describeEachBackend('code needs admin, whatever the run kind', (backend) => {
  let opened: OpenedStore;
  let engine: Engine;
  let app: ReturnType<typeof createApp>;
  const tok: Record<string, string> = {};
  let tableId = '';

  async function call(method: string, path: string, role: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${tok[role]}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }
  const runCount = async () => Number((await opened.exec<{ n: number | string }>('SELECT COUNT(*) AS n FROM runs'))[0]?.n);

  before(async () => {
    const dir = tempDir();
    writeModule(dir, 'ok.mjs', 'export default () => ({ ok: true });');
    opened = await backend.open();
    const kinds = createKindRegistry({ exclude: ['ingestion'] });
    kinds.register(probeKind);
    engine = createEngine({ store: opened.store, producers: createProducerRegistry({ baseDir: dir }), options: FAST, secrets: SecretBox.random(), kinds });
    app = createApp(engine, { baseUrl: () => 'http://runyard.test', limits: { ratePerSecond: 1e9, burst: 1e9, maxStreams: 1000 } });
    for (const role of ['admin', 'editor', 'operator']) tok[role] = (await engine.access.createToken(engine.workspaceId, { name: role, role })).secret;
    const t = await call('POST', '/v1/tables', 'editor', { name: 't', format: 'csv', data: 'a\n1\n' });
    assert.equal(t.status, 201, JSON.stringify(t.json));
    tableId = String(t.json.id);
  });
  after(async () => opened.store.close());

  test('a js column: an editor is refused (403 naming admin), an admin adds it; an http column needs editor only', async () => {
    const js = { name: 'code', producer: 'js', config: { module: 'ok.mjs' } };
    const refused = await call('POST', `/v1/tables/${tableId}/columns`, 'editor', js);
    assert.equal(refused.status, 403, JSON.stringify(refused.json));
    assert.match(JSON.stringify(refused.json), /admin/);
    assert.equal((await call('POST', `/v1/tables/${tableId}/columns`, 'admin', js)).status, 201);
    const http = await call('POST', `/v1/tables/${tableId}/columns`, 'editor', {
      name: 'web',
      producer: 'http',
      config: { url: 'https://example.invalid/{{a}}' },
    });
    assert.equal(http.status, 201, JSON.stringify(http.json));
  });

  test('a manual run of a js column: an operator is refused and no run is created; an admin starts it', async () => {
    const before = await runCount();
    const body = { target: { type: 'column', table_id: tableId, column: 'code' } };
    const refused = await call('POST', '/v1/runs', 'operator', body);
    assert.equal(refused.status, 403, JSON.stringify(refused.json));
    assert.match(JSON.stringify(refused.json), /js producer runs code on the server and needs the admin role/);
    assert.equal(await runCount(), before);
    assert.equal((await call('POST', '/v1/runs', 'admin', body)).status, 201);
    const http = await call('POST', '/v1/runs', 'operator', { target: { type: 'column', table_id: tableId, column: 'web' } });
    assert.equal(http.status, 201, JSON.stringify(http.json));
  });

  test('a manual run of another kind that resolves to js: an operator is refused; to http: accepted', async () => {
    const before = await runCount();
    const refused = await call('POST', '/v1/runs', 'operator', { target: { type: 'ingestion', producer: 'js' } });
    assert.equal(refused.status, 403, JSON.stringify(refused.json));
    assert.match(JSON.stringify(refused.json), /needs the admin role/);
    assert.equal(await runCount(), before);
    assert.equal((await call('POST', '/v1/runs', 'admin', { target: { type: 'ingestion', producer: 'js' } })).status, 201);
    const http = await call('POST', '/v1/runs', 'operator', { target: { type: 'ingestion', producer: 'http' } });
    assert.equal(http.status, 201, JSON.stringify(http.json));
  });
});
