/**
 * Tokens, console sessions and the audit log over the in-process API, on both databases:
 * secrets shown once and stored only as hashes; revocation and expiry effective on the next
 * request with one 401 body for every bad credential; one audit row per write, append-only;
 * the session cookie's flags and its CSRF rule; a canary token that never appears in an
 * answer, an SSE stream, an export, the audit log, a debug log line or the database.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import type { Logger } from '../../src/engine/logger.js';
import { SecretBox } from '../../src/engine/secrets.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { createApp } from '../../src/server/app.js';
import { ManualClock } from '../../src/core/ids.js';
import { describeEachBackend, type OpenedStore } from '../helpers/backends.js';
import { FAST, tempDir } from '../helpers/fixtures.js';

describeEachBackend('tokens, sessions and audit', (backend) => {
  let opened: OpenedStore;
  let engine: Engine;
  let app: ReturnType<typeof createApp>;
  let admin = '';
  const logLines: string[] = [];
  const clock = new ManualClock(Date.now());
  const capture: Logger = {
    debug: (m, f) => logLines.push(`${m} ${JSON.stringify(f ?? {})}`),
    info: (m, f) => logLines.push(`${m} ${JSON.stringify(f ?? {})}`),
    warn: (m, f) => logLines.push(`${m} ${JSON.stringify(f ?? {})}`),
    error: (m, f) => logLines.push(`${m} ${JSON.stringify(f ?? {})}`),
  };
  const seen: string[] = [];

  async function call(method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
    const res = await app.request(path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    seen.push(text, JSON.stringify([...res.headers]));
    return {
      status: res.status,
      text,
      headers: res.headers,
      json: (text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : {}) as Record<string, unknown>,
    };
  }

  async function dumpDatabase(): Promise<string> {
    const out: string[] = [];
    for (const t of [
      'workspaces',
      'tables',
      'table_rows',
      'columns',
      'runs',
      'items',
      'events',
      'operations',
      'api_tokens',
      'audit_log',
      'credentials',
      'ledger_entries',
    ]) {
      out.push(JSON.stringify(await opened.exec(`SELECT * FROM ${t}`)));
    }
    return out.join('\n');
  }

  before(async () => {
    opened = await backend.open();
    engine = createEngine({
      store: opened.store,
      producers: createProducerRegistry({ baseDir: tempDir() }),
      options: FAST,
      secrets: SecretBox.random(),
      logger: capture,
      clock,
    });
    app = createApp(engine, { baseUrl: () => 'http://runyard.test', logger: capture });
    admin = (await engine.access.createToken(engine.workspaceId, { name: 'admin', role: 'admin' })).secret;
  });
  after(async () => opened.store.close());

  test('a token is shown once, stored as a hash, and never appears anywhere else', async () => {
    const created = await call('POST', '/v1/tokens', admin, { name: 'canary', role: 'operator' });
    assert.equal(created.status, 201);
    const secret = String(created.json.secret);
    assert.match(secret, /^ryd_[0-9a-f]{48}$/);
    // Use it everywhere: reads, writes, SSE, exports.
    const table = await call('POST', '/v1/tables', admin, { name: 't', format: 'csv', data: 'a\n1\n' });
    await call('POST', `/v1/tables/${String(table.json.id)}/columns`, admin, { name: 'h', producer: 'http', config: { url: 'http://127.0.0.1:9/' } });
    const run = await call('POST', `/v1/tables/${String(table.json.id)}/columns/h/runs`, secret, {});
    assert.equal(run.status, 201, run.text);
    await call('POST', `/v1/runs/${String(run.json.id)}/cancel`, secret);
    await call('GET', `/v1/runs/${String(run.json.id)}/events?follow=true`, secret);
    await call('GET', `/v1/runs/${String(run.json.id)}/export?format=ndjson`, secret);
    await call('GET', '/v1/runs/export?format=csv', secret);
    await call('GET', '/v1/tokens', admin);
    await call('GET', '/v1/audit', admin);
    await call('POST', '/v1/runs/x/pause', `${secret}x`);
    const hits = [...seen.filter((s) => s.includes(secret) && !s.includes('"secret":')), ...logLines.filter((l) => l.includes(secret))];
    assert.deepEqual(hits, [], 'the token appears only in its creation answer');
    assert.equal(seen.filter((s) => s.includes(secret)).length, 1);
    const db = await dumpDatabase();
    assert.ok(!db.includes(secret), 'the database holds no token in clear');
    assert.ok(!db.includes(secret.slice(4, 44)), 'nor its random part');
  });

  test('revocation and expiry take effect on the next request; every bad credential gets the same 401', async () => {
    const t = await call('POST', '/v1/tokens', admin, { name: 'short', role: 'viewer', expires_at: new Date(clock.now() + 60_000).toISOString() });
    const secret = String(t.json.secret);
    assert.equal((await call('GET', '/v1/runs', secret)).status, 200);
    const unknown = await call('GET', '/v1/runs', 'ryd_0000000000000000000000000000000000000000deadbeef');
    clock.advance(61_000);
    const expired = await call('GET', '/v1/runs', secret);
    assert.equal(expired.status, 401);
    assert.equal(expired.text, unknown.text, 'expired and unknown look alike');
    const r = await call('POST', '/v1/tokens', admin, { name: 'revoked', role: 'admin' });
    const other = String(r.json.secret);
    assert.equal((await call('DELETE', `/v1/tokens/${String((r.json.token as { id: string }).id)}`, admin)).status, 200);
    const started = Date.now();
    for (let i = 0; i < 100; i++) {
      const res = await call('GET', '/v1/runs', other);
      assert.equal(res.status, 401);
      assert.equal(res.text, unknown.text, 'revoked and unknown look alike');
    }
    assert.ok(Date.now() - started < 5000);
    assert.equal((await call('GET', '/v1/runs', undefined, undefined, {})).status, 401);
    assert.equal((await call('GET', `/v1/runs?token=${admin}`, undefined)).status, 401, 'a token in the URL is not accepted');
  });

  test('every write leaves exactly one audit row naming the token, route and target; the log is append-only', async () => {
    const before = ((await call('GET', '/v1/audit?limit=1000', admin)).json.data as unknown[]).length;
    const table = await call('POST', '/v1/tables', admin, { name: 'audited', format: 'csv', data: 'a\n1\n' });
    await call('POST', '/v1/runs/run_missing/pause', admin);
    const viewer = (await engine.access.createToken(engine.workspaceId, { name: 'looker', role: 'viewer' })).secret;
    await call('POST', '/v1/tables', viewer, { name: 'nope', format: 'csv', data: 'a\n1\n' });
    await call('GET', '/v1/runs', admin);
    const entries = (await call('GET', '/v1/audit?limit=1000', admin)).json.data as {
      token_name: string;
      route: string;
      target_id: string | null;
      outcome: string;
      status: number;
    }[];
    assert.equal(entries.length - before, 3, 'three writes, three rows (reads are not audited)');
    const [denied, missing, created] = entries;
    assert.deepEqual([denied?.token_name, denied?.route, denied?.outcome, denied?.status], ['looker', '/v1/tables', 'denied', 403]);
    assert.deepEqual([missing?.route, missing?.target_id, missing?.outcome], ['/v1/runs/{run_id}/pause', 'run_missing', 'denied']);
    assert.deepEqual([created?.route, created?.target_id, created?.outcome], ['/v1/tables', String(table.json.id), 'ok']);
    await assert.rejects(opened.exec("UPDATE audit_log SET outcome = 'ok'"), /append-only/);
    await assert.rejects(opened.exec('DELETE FROM audit_log'), /append-only/);
  });

  test('console session: HttpOnly SameSite=Strict cookie; writes need the CSRF value; log out ends it', async () => {
    const login = await call('POST', '/v1/session', admin);
    assert.equal(login.status, 201);
    const cookie = login.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const pair = cookie.split(';')[0] ?? '';
    const who = await call('GET', '/v1/session', undefined, undefined, { cookie: pair });
    assert.equal(who.json.role, 'admin');
    const csrf = String(who.json.csrf_token);
    const noCsrf = await call('POST', '/v1/tables', undefined, { name: 'c', format: 'csv', data: 'a\n1\n' }, { cookie: pair });
    assert.equal(noCsrf.status, 403);
    const withCsrf = await call('POST', '/v1/tables', undefined, { name: 'c', format: 'csv', data: 'a\n1\n' }, { cookie: pair, 'x-csrf-token': csrf });
    assert.equal(withCsrf.status, 201);
    assert.equal((await call('DELETE', '/v1/session', undefined, undefined, { cookie: pair, 'x-csrf-token': csrf })).status, 204);
    assert.equal((await call('GET', '/v1/runs', undefined, undefined, { cookie: pair })).status, 401, 'the session ended');
    const code = await engine.access.createLoginCode((await engine.store.access.listTokens(engine.workspaceId)).find((t) => t.name === 'admin')!);
    assert.equal((await call('POST', '/v1/session', undefined, { code })).status, 201);
    assert.equal((await call('POST', '/v1/session', undefined, { code })).status, 401, 'a login code works once');
  });

  test('a login code exchanged by several requests at once opens exactly one session', async () => {
    const code = await engine.access.createLoginCode((await engine.store.access.listTokens(engine.workspaceId)).find((t) => t.name === 'admin')!);
    const answers = await Promise.all(Array.from({ length: 8 }, () => call('POST', '/v1/session', undefined, { code })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 401, 401, 401, 401, 401, 401, 401]);
  });
});
