/**
 * `POST /v1/runs` (manual runs) in-process: prompt, profile, session, overrides; the run shape
 * shows env values and secret names only; Idempotency-Key; every bad input is a 422 naming its
 * field, echoes no value and writes nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { authedApp, type TestApp } from '../helpers/auth.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { SecretBox } from '../../src/engine/secrets.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { FAST, sqliteStore, tempDir, waitForRun, writeModule } from '../helpers/fixtures.js';

type Json = Record<string, unknown> & { error?: { code: string; message: string; details: Record<string, unknown> } };

const SECRET = 'canary-api-9b2f6c1d4e8a';

describe('POST /v1/runs (manual runs)', () => {
  let engine: Engine;
  let app: TestApp;
  let tableId: string;
  const dir = tempDir();

  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: Json; text: string }> {
    const init: RequestInit = { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await app.request(path, init);
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, text };
  }

  before(async () => {
    writeModule(dir, 'env.mjs', 'export default (i, ctx) => ({ row: i.name, mode: ctx.env.MODE ?? null, secret: ctx.env.API_TOKEN ?? null });');
    engine = createEngine({ store: await sqliteStore(), producers: createProducerRegistry({ baseDir: dir }), options: FAST, secrets: SecretBox.random() });
    app = await authedApp(engine);
    await engine.startExecutor();
    const t = await call('POST', '/v1/tables', { name: 'people', format: 'csv', data: 'name\nada\ncy\n' });
    tableId = t.json.id as string;
    const col = await call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'env',
      producer: 'js',
      config: { module: 'env.mjs', input: { name: '{{name}}' } },
    });
    assert.equal(col.status, 201, col.text);
  });
  after(async () => {
    await engine.stopExecutor();
    await engine.store.close();
  });

  const target = () => ({ type: 'column', table_id: tableId, column: 'env' });

  test('queues a manual run: 201, trigger manual, prompt, session, env shown, secrets by name only', async () => {
    const columnBefore = await call('GET', `/v1/tables/${tableId}/columns`);
    const r = await call('POST', '/v1/runs', {
      target: target(),
      prompt: 'Check every row',
      profile: 'small',
      name: 'manual check',
      session_id: 'ses_1',
      tags: ['adhoc'],
      actor: 'ada@example.com',
      overrides: { env: { MODE: 'fast' }, secrets: { API_TOKEN: SECRET } },
    });
    assert.equal(r.status, 201, r.text);
    assert.ok(!r.text.includes(SECRET));
    const run = r.json;
    assert.match(String(run.id), /^run_/);
    assert.deepEqual(run.trigger, { type: 'manual', source_id: null, actor: 'ada@example.com' });
    assert.equal(run.prompt, 'Check every row');
    assert.equal(run.profile, 'small');
    assert.equal(run.session_id, 'ses_1');
    assert.equal(run.name, 'manual check');
    assert.deepEqual(run.tags, ['adhoc']);
    assert.deepEqual(run.overrides, { env: { MODE: 'fast' }, secret_names: ['API_TOKEN'] });
    assert.equal(run.web_url, `http://runyard.test/runs/${String(run.id)}`);

    const done = await waitForRun(engine, String(run.id));
    assert.equal(done.status, 'succeeded');
    assert.equal(done.result_summary, '2 succeeded, 0 failed, 0 skipped, 0 canceled of 2');
    const items = await call('GET', `/v1/runs/${String(run.id)}/items`);
    assert.ok(!items.text.includes(SECRET));
    assert.deepEqual(
      (items.json.data as Json[]).map((i) => i.outputs),
      [{ value: { row: 'ada', mode: 'fast', secret: '[REDACTED]' } }, { value: { row: 'cy', mode: 'fast', secret: '[REDACTED]' } }],
    );
    const got = await call('GET', `/v1/runs/${String(run.id)}`);
    assert.deepEqual(got.json.overrides, { env: { MODE: 'fast' }, secret_names: ['API_TOKEN'] });
    const manual = await call('GET', '/v1/runs?trigger=manual');
    assert.ok((manual.json.data as Json[]).some((x) => x.id === run.id));
    assert.deepEqual((await call('GET', `/v1/tables/${tableId}/columns`)).json, columnBefore.json, 'the saved column is unchanged');
  });

  test('defaults: trigger manual, the column profile, no overrides', async () => {
    const r = await call('POST', '/v1/runs', { target: target() });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json.trigger, { type: 'manual', source_id: null, actor: null });
    assert.equal(r.json.profile, 'standard');
    assert.equal(r.json.prompt, null);
    assert.deepEqual(r.json.overrides, { env: {}, secret_names: [] });
    await waitForRun(engine, String(r.json.id));
  });

  test('Idempotency-Key: same body answers the same run (200); another secret is a 422', async () => {
    const body = { target: target(), overrides: { secrets: { API_TOKEN: SECRET } } };
    const first = await call('POST', '/v1/runs', body, { 'idempotency-key': 'manual-key-1' });
    assert.equal(first.status, 201);
    const again = await call('POST', '/v1/runs', body, { 'idempotency-key': 'manual-key-1' });
    assert.equal(again.status, 200);
    assert.equal(again.json.id, first.json.id);
    const other = await call('POST', '/v1/runs', { ...body, overrides: { secrets: { API_TOKEN: `${SECRET}2` } } }, { 'idempotency-key': 'manual-key-1' });
    assert.equal(other.status, 422);
    assert.equal(other.json.error?.code, 'idempotency_conflict');
    assert.ok(!other.text.includes(SECRET));
    await waitForRun(engine, String(first.json.id));
  });

  test('the column-run route takes the same prompt, session and overrides', async () => {
    const r = await call('POST', `/v1/tables/${tableId}/columns/env/runs`, {
      trigger: 'manual',
      prompt: 'p',
      session_id: 's',
      overrides: { env: { MODE: 'slow' }, secrets: { API_TOKEN: SECRET } },
    });
    assert.equal(r.status, 201, r.text);
    assert.ok(!r.text.includes(SECRET));
    assert.deepEqual(r.json.overrides, { env: { MODE: 'slow' }, secret_names: ['API_TOKEN'] });
    await waitForRun(engine, String(r.json.id));
    const bad = await call('POST', `/v1/tables/${tableId}/columns/env/runs`, { overrides: { env: { LD_PRELOAD: '/tmp/x.so' } } });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.error?.details.field, 'overrides.env.LD_PRELOAD');
  });

  describe('bad input: 422 naming the field, nothing written, no value echoed', () => {
    const vars = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`V${i}`, SECRET]));
    const cases: [string, () => unknown, string, RegExp?][] = [
      [
        'NODE_OPTIONS in env',
        () => ({ target: target(), overrides: { env: { NODE_OPTIONS: `--require /tmp/${SECRET}.js` } } }),
        'overrides.env.NODE_OPTIONS',
        /cannot be overridden/,
      ],
      ['LD_PRELOAD as a secret', () => ({ target: target(), overrides: { secrets: { LD_PRELOAD: SECRET } } }), 'overrides.secrets.LD_PRELOAD'],
      ['PATH', () => ({ target: target(), overrides: { env: { PATH: SECRET } } }), 'overrides.env.PATH'],
      ['HOME', () => ({ target: target(), overrides: { env: { HOME: SECRET } } }), 'overrides.env.HOME'],
      [
        'NODE_TLS_REJECT_UNAUTHORIZED',
        () => ({ target: target(), overrides: { env: { NODE_TLS_REJECT_UNAUTHORIZED: '0' } } }),
        'overrides.env.NODE_TLS_REJECT_UNAUTHORIZED',
      ],
      ['lower-case https_proxy', () => ({ target: target(), overrides: { env: { https_proxy: SECRET } } }), 'overrides.env.https_proxy'],
      ['RUNYARD_ names', () => ({ target: target(), overrides: { secrets: { RUNYARD_SECRET_KEY: SECRET } } }), 'overrides.secrets.RUNYARD_SECRET_KEY'],
      ['a name with =', () => ({ target: target(), overrides: { env: { 'A=B': SECRET } } }), 'overrides.env.A=B', /not a valid variable name/],
      ['a name with NUL', () => ({ target: target(), overrides: { env: { 'A\u0000B': SECRET } } }), 'overrides.env.A\u0000B'],
      [
        'an oversized secret',
        () => ({ target: target(), overrides: { secrets: { BIG: SECRET.repeat(400) } } }),
        'overrides.secrets.BIG',
        /larger than 8192 bytes/,
      ],
      [
        'a 1 MB env value',
        () => ({ target: target(), overrides: { env: { BIG: 'x'.repeat(1024 * 1024) + SECRET } } }),
        'overrides.env.BIG',
        /larger than 32768 bytes/,
      ],
      ['101 variables', () => ({ target: target(), overrides: { env: vars(50), secrets: vars(51) } }), 'overrides', /at most 100 variables/],
      ['10,000 variables', () => ({ target: target(), overrides: { env: vars(10_000) } }), 'overrides'],
      ['NUL in an env value', () => ({ target: target(), overrides: { env: { A: `${SECRET}\u0000` } } }), 'overrides.env.A', /NUL/],
      ['NUL in a secret', () => ({ target: target(), overrides: { secrets: { A: `\u0000${SECRET}` } } }), 'overrides.secrets.A', /NUL/],
      ['an empty secret', () => ({ target: target(), overrides: { secrets: { A: '' } } }), 'overrides.secrets.A'],
      ['a number as a secret', () => ({ target: target(), overrides: { secrets: { A: 12345 } } }), 'overrides.secrets.A'],
      ['a name in env and secrets', () => ({ target: target(), overrides: { env: { A: 'x' }, secrets: { A: SECRET } } }), 'overrides.secrets.A'],
      ['an unknown overrides field', () => ({ target: target(), overrides: { secret: { A: SECRET } } }), 'overrides'],
      ['an unknown profile', () => ({ target: target(), profile: 'gigantic', overrides: { secrets: { A: SECRET } } }), 'profile', /unknown workload profile/],
      ['a worker target without a worker', () => ({ target: { type: 'worker' }, overrides: { secrets: { A: SECRET } } }), 'target.worker_id'],
      ['no column', () => ({ target: { type: 'column', table_id: tableId } }), 'target.column'],
      ['no target', () => ({ prompt: 'x' }), 'target'],
      ['NUL in the prompt', () => ({ target: target(), prompt: 'a\u0000b' }), 'prompt'],
      ['a 40 KiB prompt', () => ({ target: target(), prompt: 'p'.repeat(40 * 1024) }), 'prompt'],
      ['a control character in session_id', () => ({ target: target(), session_id: 'a\nb' }), 'session_id'],
    ];
    for (const [name, body, field, message] of cases) {
      test(name, async () => {
        const before = (await engine.store.listRuns(engine.workspaceId, {}, { limit: 1000 })).data.length;
        const r = await call('POST', '/v1/runs', body());
        assert.equal(r.status, 422, r.text.slice(0, 500));
        assert.equal(r.json.error?.details.field, field);
        if (message) assert.match(r.json.error?.message ?? '', message);
        assert.ok(!r.text.includes(SECRET), r.text.slice(0, 500));
        assert.equal((await engine.store.listRuns(engine.workspaceId, {}, { limit: 1000 })).data.length, before);
      });
    }

    test('unknown table: 404, nothing written', async () => {
      const r = await call('POST', '/v1/runs', { target: { type: 'column', table_id: 'tbl_nope', column: 'env' }, overrides: { secrets: { A: SECRET } } });
      assert.equal(r.status, 404);
      assert.ok(!r.text.includes(SECRET));
    });

    test('malformed JSON carrying a secret: 400 without echoing it', async () => {
      const r = await call('POST', '/v1/runs', `{"target": {"type": "column"}, "overrides": {"secrets": {"A": "${SECRET}"}}`);
      assert.equal(r.status, 400);
      assert.ok(!r.text.includes(SECRET), r.text);
    });
  });

  test('the OpenAPI document describes POST /v1/runs and the overrides view', async () => {
    const doc = (await call('GET', '/openapi.json')).json as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    assert.ok(doc.paths['/v1/runs']?.post);
    assert.ok(doc.components.schemas.ManualRun);
    assert.ok(doc.components.schemas.RunOverrides);
    assert.ok(doc.components.schemas.RunOverridesView);
  });
});
