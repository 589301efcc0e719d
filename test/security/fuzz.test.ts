/**
 * An OpenAPI-driven fuzzer (fast-check) over every route of `/openapi.json`, on both databases:
 * malformed path parameters, query values, headers and bodies (wrong types, names every object
 * has, deep nesting, control characters, huge strings, invalid JSON) sent with an admin token.
 * Pass: no answer is a 5xx, and a rejected request (4xx) changes no row.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { SecretBox } from '../../src/engine/secrets.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { createApp } from '../../src/server/app.js';
import { describeEachBackend, type OpenedStore } from '../helpers/backends.js';
import { FAST, tempDir } from '../helpers/fixtures.js';
import { exampleOf, operationsOf, TENANT_TABLES, type Operation } from '../helpers/openapi.js';

const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 8);
const TABLES = ['workspaces', ...TENANT_TABLES];

const nasty = fc.oneof(
  fc.constantFrom(
    'toString',
    '__proto__',
    'constructor',
    'valueOf',
    '',
    ' ',
    '%',
    '\\',
    '../../etc/passwd',
    '\u0000',
    '\u202e',
    '\u001b[2J',
    'NaN',
    '-1',
    '1e309',
    '9007199254740993',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.nat().map((n) => 'x'.repeat(n % 5000)),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    nasty,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(nasty, tie('v'), { maxKeys: 3 }),
  ),
})).v;

/** The example body's keys to corrupt one at a time (`x` when it has none). */
function keysOf(body: unknown): string[] {
  const keys = body !== null && typeof body === 'object' ? Object.keys(body) : [];
  return keys.length > 0 ? keys : ['x'];
}

describeEachBackend('OpenAPI fuzzer', (backend) => {
  let opened: OpenedStore;
  let engine: Engine;
  let app: ReturnType<typeof createApp>;
  let ops: Operation[] = [];
  let admin = '';
  let table = '';

  async function fingerprint(): Promise<string> {
    const parts: unknown[] = [];
    if (backend.name === 'postgres') {
      // One statement, one connection: a query per table cost a connection each, and with ~40
      // tables the fuzzer outgrew its time limit on PostgreSQL.
      const cols = TABLES.map((t) => `(SELECT coalesce(json_agg(x), '[]'::json) FROM (SELECT * FROM ${t} ORDER BY 1) x) AS "${t}"`);
      parts.push(await opened.exec(`SELECT ${cols.join(', ')}`));
    } else {
      for (const t of TABLES) parts.push(await opened.exec(`SELECT * FROM ${t} ORDER BY 1`));
    }
    return JSON.stringify(parts, (k, v: unknown) => (k === 'last_used_at' ? undefined : v));
  }

  before(async () => {
    opened = await backend.open();
    engine = createEngine({ store: opened.store, producers: createProducerRegistry({ baseDir: tempDir() }), options: FAST, secrets: SecretBox.random() });
    app = createApp(engine, { baseUrl: () => 'http://runyard.test', limits: { ratePerSecond: 1e9, burst: 1e9, maxStreams: 1000 } });
    admin = (await engine.access.createToken(engine.workspaceId, { name: 'fuzz', role: 'admin' })).secret;
    const t = await app.request('/v1/tables', {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'f', format: 'csv', data: 'a\n1\n' }),
    });
    table = ((await t.json()) as { id: string }).id;
    const doc = (await (await app.request('/openapi.json')).json()) as Parameters<typeof operationsOf>[0];
    ops = operationsOf(doc).map((o) => ({ ...o, body: o.bodySchema === undefined ? undefined : exampleOf(o.bodySchema, doc) }));
  });
  after(async () => opened.store.close());

  test(`every route × ${RUNS_PER_ROUTE} malformed requests: 0 × 5xx, 0 rows changed by a rejected request`, { timeout: 600_000 }, async () => {
    const failures: string[] = [];
    let sent = 0;
    let rejected = 0;
    // After a rejected request (which writes nothing) the rows before the next request are the
    // rows just read, so they are not read again (on PostgreSQL a fingerprint costs a connection
    // per table); after an accepted one (which may still be writing) they are read afresh.
    let last: string | undefined;
    for (const op of ops) {
      if (op.path === '/v1/session' && op.method === 'delete') continue; // logs the fuzzer's own session out: nothing to fuzz
      const request = fc.record({
        params: fc.array(fc.oneof(nasty, fc.constant(table)), { minLength: 4, maxLength: 4 }),
        query: fc.array(fc.tuple(fc.constantFrom(...(op.query.length ? op.query : ['q'])), nasty), { maxLength: 3 }),
        body: fc.oneof(
          value,
          fc.constant(op.body),
          fc.record({ k: fc.constantFrom(...keysOf(op.body)), v: value }).map(({ k, v }) => ({ ...(op.body as object), [k]: v })),
          fc.constantFrom('{', '[]', '{"a":1}x', `${'['.repeat(3000)}${']'.repeat(3000)}`, '\uFEFF{}'),
        ),
        key: fc.option(nasty),
      });
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          let i = 0;
          const path = op.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(r.params[i++] ?? 'x'));
          const qs = new URLSearchParams(r.query);
          const headers: Record<string, string> = { authorization: `Bearer ${admin}` };
          if (r.key !== null && /^[\x20-\x7e]*$/.test(r.key)) headers['idempotency-key'] = r.key;
          const init: RequestInit = { method: op.method.toUpperCase(), headers };
          if (op.method !== 'get' && op.method !== 'delete') {
            headers['content-type'] = 'application/json';
            init.body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? null);
          }
          const before = last ?? (await fingerprint());
          last = undefined;
          const res = await app.request(`${path}${qs.size ? `?${qs}` : ''}`, init);
          const text = await res.text();
          sent += 1;
          if (res.status >= 500) failures.push(`${op.method} ${path} → ${res.status} ${text.slice(0, 200)}`);
          if (res.status >= 400) {
            rejected += 1;
            last = await fingerprint();
            if (last !== before) failures.push(`${op.method} ${path} → ${res.status} changed rows`);
          }
          return true;
        }),
        { numRuns: RUNS_PER_ROUTE, seed: 17 },
      );
    }
    console.log(`fuzz on ${backend.name}: ${ops.length} routes, ${sent} requests, ${rejected} rejected, ${failures.length} failures`);
    assert.deepEqual(failures, []);
  });
});
