/**
 * Every route of `/openapi.json`, read at run time (a route added later is covered without
 * editing this file), on both databases:
 * - no credential → 401;
 * - an admin token of ANOTHER workspace with our IDs in the path (and in `run_id`-style query
 *   parameters) → 404 like an unknown id, and no byte of our data in any answer;
 * - a `viewer` on every write → 403, and no row of the workspace changed;
 * - every route is listed in the route policy (unlisted routes are admin-only).
 * The matrix size (routes × credentials × workspaces) is printed for the issue note.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { SecretBox } from '../../src/engine/secrets.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { createApp } from '../../src/server/app.js';
import { ROUTE_POLICY } from '../../src/server/auth/policy.js';
import { describeEachBackend, type OpenedStore } from '../helpers/backends.js';
import { FAST, tempDir } from '../helpers/fixtures.js';
import { exampleOf, operationsOf, TENANT_TABLES, type Operation } from '../helpers/openapi.js';

/** Text that exists only in workspace A's data (never in a request we send). */
const LEAK = 'alphaLEAKmarker';

describeEachBackend('route matrix', (backend) => {
  let opened: OpenedStore;
  let engine: Engine;
  let app: ReturnType<typeof createApp>;
  let ops: Operation[];
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let wsA = '';

  async function call(op: Operation, token: string | undefined, params: Record<string, string>): Promise<{ status: number; text: string }> {
    const path = op.path.replace(/\{([^}]+)\}/g, (_, n: string) => encodeURIComponent(params[n] ?? `unknown_${n}`));
    const qs = new URLSearchParams();
    for (const q of op.query) if (params[q] !== undefined) qs.set(q, params[q]);
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    const init: RequestInit = { method: op.method.toUpperCase(), headers };
    if (op.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(op.body);
    }
    const res = await app.request(`${path}${qs.size ? `?${qs}` : ''}`, init);
    return { status: res.status, text: await res.text() };
  }

  async function snapshot(ws: string): Promise<string> {
    const out: Record<string, unknown> = {};
    for (const t of TENANT_TABLES) {
      const rows = await opened.exec<Record<string, unknown>>(`SELECT * FROM ${t} WHERE workspace_id = ? ORDER BY 1`, [ws]);
      out[t] = rows.map((r) => {
        const { last_used_at: _ignored, ...rest } = r;
        return Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
      });
    }
    out.workspace = await opened.exec('SELECT id, name FROM workspaces WHERE id = ?', [ws]);
    return JSON.stringify(out);
  }

  async function api(method: string, path: string, token: string, body?: unknown): Promise<Record<string, unknown>> {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  /** Seeds one workspace through the API: table, row, column, run, item, operation, credential. */
  async function seed(admin: string, tag: string): Promise<Record<string, string>> {
    const table = await api('POST', '/v1/tables', admin, { name: `${tag}-table`, format: 'csv', data: `name\n${tag}-row\n` });
    const tableId = String(table.id);
    await api('POST', `/v1/tables/${tableId}/columns`, admin, { name: 'probe', producer: 'http', config: { url: 'http://127.0.0.1:9/{{name}}' } });
    const run = await api('POST', `/v1/tables/${tableId}/columns/probe/runs`, admin, { name: `${tag}-run` });
    const rows = (await api('GET', `/v1/tables/${tableId}/rows`, admin)).data as { id: string }[];
    const items = (await api('GET', `/v1/runs/${String(run.id)}/items`, admin)).data as { id: string }[];
    await api('POST', `/v1/tables/${tableId}/rows/${rows[0]?.id ?? ''}/comments`, admin, { body: `${tag}-comment` });
    const op = await api('POST', '/v1/operations', admin, { action: 'delete', filter: { status: ['succeeded'] } });
    for (let i = 0; i < 200; i++) {
      if ((await api('GET', `/v1/operations/${String(op.id)}`, admin)).status !== 'running') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const credential = tag === LEAK ? 'alpha-key' : 'bravo-key';
    await api('PUT', `/v1/credentials/${credential}`, admin, { value: `${tag}-credential-value` });
    const tokenList = (await api('GET', '/v1/tokens', admin)).data as { id: string }[];
    return {
      table_id: tableId,
      row_id: rows[0]?.id ?? '',
      column: 'probe',
      run_id: String(run.id),
      item_id: items[0]?.id ?? '',
      operation_id: String(op.id),
      token_id: tokenList[0]?.id ?? '',
      name: credential,
    };
  }

  before(async () => {
    opened = await backend.open();
    engine = createEngine({ store: opened.store, producers: createProducerRegistry({ baseDir: tempDir() }), options: FAST, secrets: SecretBox.random() });
    app = createApp(engine, { baseUrl: () => 'http://runyard.test' });
    wsA = engine.workspaceId;
    const adminA = (await engine.access.createToken(wsA, { name: `${LEAK}-admin`, role: 'admin' })).secret;
    await engine.access.renameWorkspace(wsA, wsA, `${LEAK}-workspace`);
    const created = await engine.access.createWorkspace(wsA, 'bravo');
    tokens.adminA = adminA;
    tokens.viewerA = (await engine.access.createToken(wsA, { name: `${LEAK}-viewer`, role: 'viewer' })).secret;
    tokens.adminB = created.secret;
    Object.assign(ids, await seed(adminA, LEAK), { workspace_id: wsA });
    await seed(tokens.adminB, 'bravo');
    const doc = (await (await app.request('/openapi.json')).json()) as Parameters<typeof operationsOf>[0];
    ops = operationsOf(doc).map((o) => ({ ...o, body: o.bodySchema === undefined ? undefined : exampleOf(o.bodySchema, doc) }));
  });
  after(async () => opened.store.close());

  test('every OpenAPI route is in the route policy', () => {
    const missing = ops.map((o) => `${o.method.toUpperCase()} ${o.path}`).filter((k) => !(k in ROUTE_POLICY));
    assert.deepEqual(missing, [], 'add these routes to src/server/auth/policy.ts');
    assert.ok(ops.length >= 40, `the document lists ${ops.length} operations`);
  });

  test('no credential → 401 on every route', async () => {
    const wrong: string[] = [];
    for (const op of ops) {
      const r = await call(op, undefined, ids);
      if (r.status !== 401) wrong.push(`${op.method} ${op.path} → ${r.status}`);
      for (const bad of [
        'Bearer ryd_0000000000000000000000000000000000000000deadbeef',
        'Basic abc',
        `bearer  ${tokens.adminA}`,
        `Bearer ${tokens.adminA}, Bearer x`,
      ]) {
        const res = await app.request(op.path.replace(/\{[^}]+\}/g, 'x'), { method: op.method.toUpperCase(), headers: { authorization: bad } });
        if (res.status !== 401) wrong.push(`${op.method} ${op.path} with ${bad.slice(0, 12)}… → ${res.status}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test("another workspace's admin with our IDs → exactly the answer of unknown IDs (404 in paths), none of our data", async () => {
    const before = await snapshot(wsA);
    const unknown = Object.fromEntries(Object.entries(ids).map(([k, v]) => [k, `${v}0`]));
    const normal = (text: string, values: Record<string, string>) =>
      Object.values(values)
        .sort((a, b) => b.length - a.length)
        .reduce((t, v) => t.split(v).join('<id>'), text)
        .replace(/"(created_at|updated_at|expires_at|last_used_at)":"[^"]*"/g, '"$1":"<t>"')
        .replace(/"(id|seq)":"?[a-z0-9_]+"?/g, '"$1":"<x>"');
    const wrong: string[] = [];
    let withIds = 0;
    for (const op of ops) {
      if (op.path === '/v1/session') continue; // the caller's own session: no ids
      // A PUT by name creates or rotates in the caller's own workspace: not a lookup of ours.
      if (op.method === 'put') continue;
      const r = await call(op, tokens.adminB, ids);
      if (r.text.includes(LEAK)) wrong.push(`${op.method} ${op.path} leaked workspace A's data: ${r.text.slice(0, 200)}`);
      if (r.status >= 500) wrong.push(`${op.method} ${op.path} → ${r.status}`);
      if (/\{/.test(op.path) || op.query.some((q) => q in ids)) {
        withIds += 1;
        const u = await call(op, tokens.adminB, unknown);
        if (r.status !== u.status || normal(r.text, ids) !== normal(u.text, unknown))
          wrong.push(`${op.method} ${op.path}: ours ${r.status} ${r.text.slice(0, 120)} ≠ unknown ${u.status} ${u.text.slice(0, 120)}`);
        if (/\{/.test(op.path) && r.status !== 404) wrong.push(`${op.method} ${op.path} → ${r.status} (expected 404)`);
      }
    }
    assert.deepEqual(wrong, []);
    assert.equal(await snapshot(wsA), before, "workspace A's rows changed");
    assert.ok(withIds >= 25, `${withIds} routes take ids`);
  });

  test('a viewer on every write → 403 and nothing changed', async () => {
    const before = await snapshot(wsA);
    const wrong: string[] = [];
    let writes = 0;
    for (const op of ops) {
      if (op.method === 'get') continue;
      const need = ROUTE_POLICY[`${op.method.toUpperCase()} ${op.path}`];
      if (need === 'viewer' || need === 'public') continue; // the session routes: a viewer may log in and out
      writes += 1;
      const r = await call(op, tokens.viewerA, ids);
      if (r.status !== 403) wrong.push(`${op.method} ${op.path} → ${r.status}`);
    }
    assert.deepEqual(wrong, []);
    assert.equal(await snapshot(wsA), before, 'a refused write changed a row');
    const roles = 4;
    // Matrix: every route × (no token, other workspace, and each role checked by policy) × 2 workspaces.
    console.log(
      `route matrix on ${backend.name}: ${ops.length} routes; ${ops.length} × 5 unauthenticated probes, ${ops.length} cross-workspace probes, ${writes} viewer writes; policy table ${ops.length} routes × ${roles} roles × 2 workspaces = ${ops.length * roles * 2}`,
    );
  });
});
