/**
 * Saved credentials used by definitions (issue 17 §6), on both databases: an `http` column's
 * header names a credential (`{{credentials.NAME}}`) and a real loopback server receives its
 * value; rotating the credential changes the next run without editing the column; `js` and
 * `shell` columns get it as an env variable (`credentials: { VAR: NAME }`). The clear value
 * never appears in the item's inputs, outputs or events, the run, the export, the audit log,
 * the logs or the database outside its ciphertext. A missing credential is refused when the
 * column is added (422 naming the field); one deleted meanwhile fails the item with
 * `credential_not_found`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import type { Logger } from '../../src/engine/logger.js';
import { SecretBox } from '../../src/engine/secrets.js';
import { createProducerRegistry, EgressGuard, parseEgressAllow } from '../../src/producers/index.js';
import { createApp } from '../../src/server/app.js';
import { describeEachBackend, type OpenedStore } from '../helpers/backends.js';
import { FAST, tempDir, waitForRun, writeModule } from '../helpers/fixtures.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const ENV_JS = `import { createHash } from 'node:crypto';
export default (input, ctx) => {
  const v = ctx.env.API_KEY;
  return { sha: v === undefined ? null : createHash('sha256').update(v).digest('hex'), echo: v ?? null };
};
`;
const SHELL_SCRIPT = `const v = process.env.API_KEY ?? ''; process.stdout.write(require('node:crypto').createHash('sha256').update(v).digest('hex') + ' ' + v);`;

describeEachBackend('saved credentials in definitions', (backend) => {
  let opened: OpenedStore;
  let engine: Engine;
  let app: ReturnType<typeof createApp>;
  let admin = '';
  let server: Server;
  let port = 0;
  const received: string[] = [];
  const seen: string[] = [];
  const logLines: string[] = [];
  const log = (m: string, f?: Record<string, unknown>) => logLines.push(`${m} ${JSON.stringify(f ?? {})}`);
  const capture: Logger = { debug: log, info: log, warn: log, error: log };
  const v1 = `cred-v1-${randomBytes(12).toString('hex')}`;
  const v2 = `cred-v2-${randomBytes(12).toString('hex')}`;
  let tableId = '';

  async function call(method: string, path: string, body?: unknown) {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    seen.push(text);
    return {
      status: res.status,
      text,
      json: (res.headers.get('content-type')?.startsWith('application/json') && text ? JSON.parse(text) : {}) as Record<string, unknown>,
    };
  }

  /** Runs column `col` and returns the run JSON and its items once the run has ended. */
  async function runColumn(col: string) {
    const run = await call('POST', `/v1/tables/${tableId}/columns/${col}/runs`, {});
    assert.equal(run.status, 201, run.text);
    const id = String(run.json.id);
    await waitForRun(engine, id);
    const items = await call('GET', `/v1/runs/${id}/items`);
    await call('GET', `/v1/runs/${id}`);
    await call('GET', `/v1/runs/${id}/events`);
    await call('GET', `/v1/runs/${id}/export?format=ndjson`);
    return {
      id,
      items: (items.json.data ?? []) as {
        status: string;
        inputs: Record<string, unknown>;
        outputs: Record<string, unknown> | null;
        error: { code: string; message: string } | null;
      }[],
    };
  }

  before(async () => {
    server = createServer((req, res) => {
      received.push(String(req.headers.authorization));
      res.setHeader('content-type', 'application/json');
      // An upstream that echoes the credential back: the stored outputs must not hold it.
      res.end(JSON.stringify({ ok: true, echo: req.headers.authorization }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    opened = await backend.open();
    const dir = tempDir();
    writeModule(dir, 'env.mjs', ENV_JS);
    engine = createEngine({
      store: opened.store,
      producers: createProducerRegistry({ baseDir: dir, egress: new EgressGuard(parseEgressAllow('127.0.0.0/8')) }),
      options: FAST,
      secrets: SecretBox.random(),
      logger: capture,
    });
    app = createApp(engine, { baseUrl: () => 'http://runyard.test', logger: capture });
    admin = (await engine.access.createToken(engine.workspaceId, { name: 'admin', role: 'admin' })).secret;
    await engine.startExecutor();
    const table = await call('POST', '/v1/tables', { name: 't', format: 'csv', data: 'a\n1\n2\n' });
    tableId = String(table.json.id);
  });
  after(async () => {
    await engine.stopExecutor(0);
    await opened.store.close();
    server.close();
  });

  test('an unknown credential or a placeholder where nothing fills it is refused at add time, naming the field', async () => {
    const missing = await call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'm',
      producer: 'http',
      config: { url: `http://127.0.0.1:${port}/`, headers: { authorization: 'Bearer {{credentials.nope}}' } },
    });
    assert.equal(missing.status, 422, missing.text);
    assert.match(missing.text, /config\.headers\.authorization/);
    assert.match(missing.text, /nope/);
    const env = await call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'm',
      producer: 'js',
      config: { module: 'env.mjs', credentials: { API_KEY: 'nope' } },
    });
    assert.equal(env.status, 422, env.text);
    assert.match(env.text, /config\.credentials\.API_KEY/);
    await call('PUT', '/v1/credentials/api_key', { value: v1 });
    const inUrl = await call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'm',
      producer: 'http',
      config: { url: `http://127.0.0.1:${port}/?k={{credentials.api_key}}` },
    });
    assert.equal(inUrl.status, 422, inUrl.text);
    assert.match(inUrl.text, /config\.url/);
    const badVar = await call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'm',
      producer: 'js',
      config: { module: 'env.mjs', credentials: { NODE_OPTIONS: 'api_key' } },
    });
    assert.equal(badVar.status, 422, badVar.text);
    assert.match(badVar.text, /config\.credentials\.NODE_OPTIONS/);
  });

  test('http, js and shell columns use the credential; a rotation reaches the next run; a deletion fails it', async () => {
    await call('PUT', '/v1/credentials/api_key', { value: v1 });
    const col = await call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'call',
      producer: 'http',
      config: { url: `http://127.0.0.1:${port}/x?a={{a}}`, headers: { authorization: 'Bearer {{credentials.api_key}}', 'x-row': '{{a}}' } },
    });
    assert.equal(col.status, 201, col.text);
    const first = await runColumn('call');
    assert.deepEqual(
      first.items.map((i) => i.status),
      ['succeeded', 'succeeded'],
      JSON.stringify(first.items),
    );
    assert.deepEqual(received, [`Bearer ${v1}`, `Bearer ${v1}`]);
    assert.equal(first.items[0]?.inputs.headers && (first.items[0].inputs.headers as Record<string, string>).authorization, 'Bearer {{credentials.api_key}}');
    assert.match(JSON.stringify(first.items[0]?.outputs), /\[REDACTED\]/, 'the echoed value is redacted');

    // Rotate: the next run sends the new value, the column is not edited.
    await call('PUT', '/v1/credentials/api_key', { value: v2 });
    received.length = 0;
    const second = await runColumn('call');
    assert.deepEqual(
      second.items.map((i) => i.status),
      ['succeeded', 'succeeded'],
    );
    assert.deepEqual(received, [`Bearer ${v2}`, `Bearer ${v2}`]);
    const column = (await call('GET', `/v1/tables/${tableId}/columns`)).json.data as { name: string; version: number }[];
    assert.equal(column.find((c) => c.name === 'call')?.version, 1);

    // js (ctx.env) and shell (the child's env).
    assert.equal(
      (await call('POST', `/v1/tables/${tableId}/columns`, { name: 'js', producer: 'js', config: { module: 'env.mjs', credentials: { API_KEY: 'api_key' } } }))
        .status,
      201,
    );
    const js = await runColumn('js');
    assert.equal((js.items[0]?.outputs?.value as { sha: string }).sha, sha(v2), JSON.stringify(js.items));
    assert.equal((js.items[0]?.outputs?.value as { echo: string }).echo, '[REDACTED]');
    const sh = await call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'sh',
      producer: 'shell',
      config: { command: process.execPath, args: ['-e', SHELL_SCRIPT], credentials: { API_KEY: 'api_key' } },
    });
    assert.equal(sh.status, 201, sh.text);
    const shell = await runColumn('sh');
    assert.equal(shell.items[0]?.outputs?.stdout, `${sha(v2)} [REDACTED]`, JSON.stringify(shell.items));

    // Deleted meanwhile: the item fails with credential_not_found naming the credential.
    await call('DELETE', '/v1/credentials/api_key');
    received.length = 0;
    const third = await runColumn('call');
    assert.deepEqual(
      third.items.map((i) => [i.status, i.error?.code]),
      [
        ['failed', 'credential_not_found'],
        ['failed', 'credential_not_found'],
      ],
    );
    assert.match(third.items[0]?.error?.message ?? '', /"api_key"/);
    assert.deepEqual(received, [], 'no request was sent without the credential');

    // Nowhere else: answers (items, runs, events, exports), audit, logs, the database.
    await call('GET', '/v1/audit');
    await call('GET', '/v1/runs/export?format=csv');
    await call('GET', '/v1/events');
    for (const v of [v1, v2]) {
      assert.deepEqual(
        seen.filter((s) => s.includes(v)),
        [],
        'no answer holds the value',
      );
      assert.deepEqual(
        logLines.filter((l) => l.includes(v)),
        [],
        'no log line holds the value',
      );
    }
    for (const t of ['runs', 'items', 'events', 'audit_log', 'credentials', 'columns', 'table_rows']) {
      const dump = JSON.stringify(await opened.exec(`SELECT * FROM ${t}`));
      assert.ok(!dump.includes(v1) && !dump.includes(v2), `table ${t} holds no clear value`);
    }
  });
});
