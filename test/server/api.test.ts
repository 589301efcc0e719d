import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { authedApp, type TestApp } from '../helpers/auth.js';
import type { Engine } from '../../src/engine/engine.js';
import { tempDir, testEngine, waitForRun, writeModule } from '../helpers/fixtures.js';

type Json = Record<string, unknown> & { error?: { code: string; message: string; details: Record<string, unknown> } };

describe('HTTP API (in-process)', () => {
  let engine: Engine;
  let app: TestApp;
  const dir = tempDir();

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Json }> {
    const init: RequestInit = { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await app.request(path, init);
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {} };
  }

  before(async () => {
    writeModule(
      dir,
      'upper.mjs',
      "export default (i) => { if (i.name === 'boom') throw Object.assign(new Error('boom row'), { retryable: false, code: 'bad_row' }); return i.name.toUpperCase(); };",
    );
    engine = await testEngine({ baseDir: dir });
    app = await authedApp(engine);
    await engine.startExecutor();
  });
  after(async () => {
    await engine.stopExecutor();
    await engine.store.close();
  });

  async function importPeople(rows = 'name\nada\nboom\ncy\n'): Promise<string> {
    const r = await call('POST', '/v1/tables', { name: 'people', format: 'csv', data: rows });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    return r.json.id as string;
  }

  test('import, add column, run, follow to the end, read items, cells and events', async () => {
    const tableId = await importPeople();
    const col = await call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'upper',
      producer: 'js',
      config: { module: 'upper.mjs', input: { name: '{{name}}' } },
    });
    assert.equal(col.status, 201, JSON.stringify(col.json));
    const started = await call('POST', `/v1/tables/${tableId}/columns/upper/runs`, { trigger: 'manual', actor: 'ada@example.com' });
    assert.equal(started.status, 201);
    const runId = started.json.id as string;
    assert.match(runId, /^run_/);
    assert.equal(started.json.items_total, 3);
    assert.deepEqual(started.json.trigger, { type: 'manual', source_id: null, actor: 'ada@example.com' });
    assert.equal(started.json.web_url, `http://runyard.test/runs/${runId}`);

    // SSE stream: every event then `end` with the final run.
    const res = await app.request(`/v1/runs/${runId}/events?follow=true`);
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'text/event-stream');
    const text = await res.text();
    const frames = text.split('\n\n').filter(Boolean);
    const types = frames.map((f) => /^event: (.*)$/m.exec(f)?.[1]);
    assert.equal(types[0], 'run.queued');
    assert.equal(types.at(-1), 'end');
    const final = JSON.parse(/^data: (.*)$/m.exec(frames.at(-1) ?? '')?.[1] ?? '{}') as Json;
    assert.equal(final.status, 'partial');
    assert.equal(final.items_succeeded, 2);
    assert.equal(final.items_failed, 1);

    const failed = await call('GET', `/v1/runs/${runId}/items?status=failed`);
    assert.equal((failed.json.data as Json[]).length, 1);
    const item = (failed.json.data as Json[])[0] as Json & { error: { code: string; retryable: boolean } };
    assert.equal(item.error.code, 'bad_row');
    assert.equal(item.error.retryable, false);
    assert.equal(item.attempt_count, 1);

    const run = await call('GET', `/v1/runs/${runId}`);
    assert.equal((run.json.error as Json).item_id, item.id);
    assert.match(String(run.json.finished_at), /^\d{4}-\d\d-\d\dT.*Z$/);

    const rows = await call('GET', `/v1/tables/${tableId}/rows`);
    const ada = (rows.json.data as Json[])[0] as Json;
    const cell = await call('GET', `/v1/tables/${tableId}/cells/${ada.id as string}/upper`);
    assert.equal(cell.status, 200);
    assert.equal(cell.json.value, 'ADA');
    assert.equal(cell.json.run_id, runId);
    assert.deepEqual(cell.json.inputs, { module: 'upper.mjs', input: { name: 'ada' } });
    const events = await call('GET', `/v1/runs/${runId}/events?after=0`);
    assert.ok((events.json.data as Json[]).some((e) => e.type === 'item.failed'));
  });

  test('Idempotency-Key: same request → same run; different body → 422; nothing duplicated', async () => {
    const tableId = await importPeople('name\nx\n');
    await call('POST', `/v1/tables/${tableId}/columns`, { name: 'upper', producer: 'js', config: { module: 'upper.mjs', input: { name: '{{name}}' } } });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => call('POST', `/v1/tables/${tableId}/columns/upper/runs`, { name: 'once' }, { 'idempotency-key': 'k-1' })),
    );
    const ids = new Set(results.map((r) => r.json.id));
    assert.equal(ids.size, 1);
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    assert.ok(results.every((r) => r.status === 201 || r.status === 200));
    const other = await call('POST', `/v1/tables/${tableId}/columns/upper/runs`, { name: 'different' }, { 'idempotency-key': 'k-1' });
    assert.equal(other.status, 422);
    assert.equal(other.json.error?.code, 'idempotency_conflict');
    const tooLong = await call('POST', `/v1/tables/${tableId}/columns/upper/runs`, {}, { 'idempotency-key': 'x'.repeat(256) });
    assert.equal(tooLong.status, 422);
    assert.equal(tooLong.json.error?.details.field, 'Idempotency-Key');
    const list = await call('GET', '/v1/runs?name=once');
    assert.equal((list.json.data as Json[]).length, 1);
  });

  test('list runs: filters, aliases and keyset pagination', async () => {
    const tableId = await importPeople('name\nq\n');
    await call('POST', `/v1/tables/${tableId}/columns`, { name: 'upper', producer: 'js', config: { module: 'upper.mjs', input: { name: '{{name}}' } } });
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await call('POST', `/v1/tables/${tableId}/columns/upper/runs`, { name: `page_run 50%_${i}` })).json.id as string);
    for (const id of made) await waitForRun(engine, id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/runs?name=${encodeURIComponent('50%_')}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await call('GET', q);
      assert.equal(page.status, 200);
      seen.push(...(page.json.data as Json[]).map((r) => r.id as string));
      cursor = page.json.next_cursor as string | null;
    } while (cursor);
    assert.deepEqual(seen, [...made].reverse());
    const completed = await call('GET', '/v1/runs?status=completed&name=page_run');
    assert.equal((completed.json.data as Json[]).length, 7);
    const none = await call('GET', `/v1/runs?name=page_run&created_after=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    assert.equal((none.json.data as Json[]).length, 0);
    const wildcard = await call('GET', '/v1/runs?name=page%25run');
    assert.equal((wildcard.json.data as Json[]).length, 0, 'a % in the name filter is literal');
  });

  test('bad input: clear 4xx with a code and the field, nothing written', async () => {
    const before = (await call('GET', '/v1/tables')).json.data as Json[];
    const cases: [string, string, unknown, number, string, string?][] = [
      ['POST', '/v1/tables', { name: 'bad', format: 'csv', data: 'a,b\n1,2,3\n' }, 422, 'import_failed', 'data'],
      ['POST', '/v1/tables', { name: 'bad', format: 'json', data: '{"a":1}' }, 422, 'import_failed', 'data'],
      ['POST', '/v1/tables', { name: 'bad', format: 'xml', data: '<a/>' }, 422, 'validation_failed', 'format'],
      ['POST', '/v1/tables', { name: 'bad', format: 'csv', data: 'a\n1\n', extra: true }, 422, 'validation_failed'],
      ['POST', '/v1/tables', '{"name": "bad", ', 400, 'invalid_json', 'body'],
      ['POST', '/v1/tables', { format: 'csv', data: 'a\n1\n' }, 422, 'validation_failed', 'name'],
      ['GET', '/v1/runs/run_nope', undefined, 404, 'not_found'],
      ['GET', '/v1/runs?status=exploded', undefined, 422, 'validation_failed', 'status'],
      ['GET', '/v1/runs?limit=0', undefined, 422, 'validation_failed', 'limit'],
      ['GET', '/v1/runs?limit=100000', undefined, 422, 'validation_failed', 'limit'],
      ['GET', '/v1/runs?cursor=garbage', undefined, 422, 'validation_failed', 'cursor'],
      ['GET', '/v1/runs?created_after=yesterday', undefined, 422, 'validation_failed', 'created_after'],
      ['GET', '/v1/tables/tbl_nope/rows', undefined, 404, 'not_found'],
      ['GET', '/v1/nope', undefined, 404, 'route_not_found'],
    ];
    for (const [method, path, body, status, code, field] of cases) {
      const r = await call(method, path, body);
      assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error?.code, code, `${method} ${path}`);
      assert.ok((r.json.error?.message.length ?? 0) > 0);
      if (field) assert.equal(r.json.error?.details.field, field, `${method} ${path}: ${JSON.stringify(r.json)}`);
    }
    const tableId = await importPeople('name\nz\n');
    const colCases: [unknown, number, string, string?][] = [
      [{ name: 'c', producer: 'python', config: {} }, 422, 'unknown_producer', 'producer'],
      [{ name: 'c', producer: 'shell', config: { command: 'echo', args: ['{{missing}}'] } }, 422, 'validation_failed', 'config.args[0]'],
      [{ name: 'c', producer: 'shell', config: { command: 'echo', args: ['{{#if}}'] } }, 422, 'validation_failed', 'config.args[0]'],
      [{ name: 'c', producer: 'shell', config: {} }, 422, 'validation_failed', 'config.command'],
      [{ name: 'c', producer: 'js', config: { module: 'upper.mjs' }, profile: 'huge' }, 422, 'validation_failed', 'profile'],
    ];
    for (const [body, status, code, field] of colCases) {
      const r = await call('POST', `/v1/tables/${tableId}/columns`, body);
      assert.equal(r.status, status, JSON.stringify(r.json));
      assert.equal(r.json.error?.code, code);
      if (field) assert.equal(r.json.error?.details.field, field, JSON.stringify(r.json));
    }
    const ok = await call('POST', `/v1/tables/${tableId}/columns`, { name: 'c', producer: 'js', config: { module: 'upper.mjs', input: { name: '{{name}}' } } });
    assert.equal(ok.status, 201);
    const dup = await call('POST', `/v1/tables/${tableId}/columns`, { name: 'c', producer: 'js', config: { module: 'upper.mjs' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.error?.code, 'conflict');
    assert.equal((await call('GET', `/v1/tables/${tableId}/columns`)).json.data instanceof Array, true);
    assert.equal(((await call('GET', `/v1/tables/${tableId}/columns`)).json.data as Json[]).length, 1);
    const after = (await call('GET', '/v1/tables')).json.data as Json[];
    assert.equal(after.length, before.length + 1, 'only the one valid import wrote a table');
  });

  test('a template naming a field that some JSON rows lack refuses the run, writing nothing', async () => {
    const r = await call('POST', '/v1/tables', { name: 'sparse', format: 'json', data: JSON.stringify([{ name: 'a' }, { other: 1 }]) });
    assert.equal(r.status, 201);
    const tableId = r.json.id as string;
    await call('POST', `/v1/tables/${tableId}/columns`, { name: 'u', producer: 'js', config: { module: 'upper.mjs', input: { name: '{{name}}' } } });
    const runsBefore = ((await call('GET', '/v1/runs?limit=1000')).json.data as Json[]).length;
    const start = await call('POST', `/v1/tables/${tableId}/columns/u/runs`, {});
    assert.equal(start.status, 422);
    assert.equal(start.json.error?.code, 'template_error');
    assert.match(start.json.error?.message ?? '', /row row_.*#2.*name/);
    assert.equal(((await call('GET', '/v1/runs?limit=1000')).json.data as Json[]).length, runsBefore);
  });

  test('OpenAPI document lists the routes and schemas', async () => {
    const doc = await call('GET', '/openapi.json');
    assert.equal(doc.status, 200);
    const paths = Object.keys(doc.json.paths as object);
    for (const p of [
      '/v1/tables',
      '/v1/runs',
      '/v1/runs/{run_id}',
      '/v1/runs/{run_id}/items',
      '/v1/runs/{run_id}/events',
      '/v1/tables/{table_id}/cells/{row_id}/{column}',
    ]) {
      assert.ok(paths.includes(p), `missing ${p}`);
    }
    const schemas = Object.keys((doc.json.components as { schemas: object }).schemas);
    for (const s of ['Run', 'Item', 'Event', 'Table', 'Column', 'Cell', 'Error']) assert.ok(schemas.includes(s), `missing schema ${s}`);
  });

  test('the example dataset imports through the API', async () => {
    const csv = readFileSync('examples/countries.csv', 'utf8');
    const r = await call('POST', '/v1/tables', { name: 'countries', format: 'csv', data: csv });
    assert.equal(r.status, 201);
    assert.equal(r.json.row_count, 250);
  });
});
