/**
 * The console's read routes in-process: `GET /v1/profiles` lists built-in and custom profiles;
 * `GET /v1/tables/{id}/grid` pages rows with every column's cell status, previews long values
 * (cut and flagged), pages with a cursor, and answers 404 / 422 naming the field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RETRY_POLICY } from '../../src/core/retry.js';
import { authedApp, type TestApp } from '../helpers/auth.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { PREVIEW_CHARS } from '../../src/server/routes/console-support.js';
import { FAST, sqliteStore, tempDir, waitForRun, writeModule } from '../helpers/fixtures.js';

type Json = Record<string, unknown> & { error?: { code: string; message: string; details: Record<string, unknown> } };
interface GridCell {
  status: string;
  value: { text: string; truncated: boolean } | null;
  error_code: string | null;
  attempts: number;
  run_id: string;
}
interface GridPage {
  columns: { id: string; name: string }[];
  data: { id: string; ordinal: number; data: Record<string, { text: string; truncated: boolean }>; cells: Record<string, GridCell | null> }[];
  next_cursor: string | null;
}

describe('console support routes', () => {
  let engine: Engine;
  let app: TestApp;
  let tableId: string;
  const dir = tempDir();
  const long = 'x'.repeat(PREVIEW_CHARS + 50);

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json; text: string }> {
    const init: RequestInit = { method, headers: body === undefined ? {} : { 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await app.request(path, init);
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, text };
  }

  before(async () => {
    writeModule(
      dir,
      'echo.mjs',
      "export default (i) => { if (i.name === 'bad') throw Object.assign(new Error('no'), { code: 'bad_row', retryable: false }); return { len: i.name.length, name: i.name }; };",
    );
    engine = createEngine({
      store: await sqliteStore(),
      producers: createProducerRegistry({ baseDir: dir }),
      options: FAST,
      profiles: { tiny: { name: 'tiny', concurrency: 1, itemTimeoutMs: 1000, retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 } } },
    });
    app = await authedApp(engine);
    await engine.startExecutor();
    const t = await call('POST', '/v1/tables', { name: 'people', format: 'json', data: JSON.stringify([{ name: 'ada' }, { name: 'bad' }, { name: long }]) });
    assert.equal(t.status, 201, t.text);
    tableId = t.json.id as string;
    const col = await call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'echo',
      producer: 'js',
      config: { module: 'echo.mjs', input: { name: '{{name}}' } },
    });
    assert.equal(col.status, 201, col.text);
  });
  after(async () => {
    await engine.stopExecutor();
    await engine.store.close();
  });

  test('GET /v1/profiles lists built-in profiles first, then custom ones', async () => {
    const r = await call('GET', '/v1/profiles');
    assert.equal(r.status, 200);
    const data = r.json.data as { name: string; concurrency: number; item_timeout_ms: number; max_attempts: number }[];
    assert.deepEqual(
      data.map((p) => p.name),
      ['small', 'standard', 'large', 'tiny'],
    );
    assert.deepEqual(data[3], { name: 'tiny', concurrency: 1, item_timeout_ms: 1000, max_attempts: 1 });
  });

  test('grid: null cells before a run; statuses, previews and errors after; cursor paging', async () => {
    const before = (await call('GET', `/v1/tables/${tableId}/grid`)).json as unknown as GridPage;
    assert.equal(before.columns.length, 1);
    const colId = before.columns[0]!.id;
    assert.equal(before.data.length, 3);
    assert.equal(before.data[0]!.cells[colId], null);
    assert.deepEqual(before.data[2]!.data.name, { text: long.slice(0, PREVIEW_CHARS), truncated: true });

    const run = await call('POST', `/v1/tables/${tableId}/columns/echo/runs`, {});
    assert.equal(run.status, 201, run.text);
    await waitForRun(engine, run.json.id as string);

    const first = await call('GET', `/v1/tables/${tableId}/grid?limit=2`);
    assert.equal(first.status, 200, first.text);
    const page = first.json as unknown as GridPage;
    assert.equal(page.data.length, 2);
    assert.ok(page.next_cursor);
    const ok = page.data[0]!.cells[colId]!;
    assert.equal(ok.status, 'succeeded');
    assert.deepEqual(ok.value, { text: '{"len":3,"name":"ada"}', truncated: false });
    assert.equal(ok.run_id, run.json.id);
    const bad = page.data[1]!.cells[colId]!;
    assert.equal(bad.status, 'failed');
    assert.equal(bad.error_code, 'bad_row');

    const rest = (await call('GET', `/v1/tables/${tableId}/grid?limit=2&cursor=${encodeURIComponent(page.next_cursor!)}`)).json as unknown as GridPage;
    assert.deepEqual(
      rest.data.map((r) => r.ordinal),
      [page.data[1]!.ordinal + 1],
    );
    assert.equal(rest.next_cursor, null);
    const longCell = rest.data[0]!.cells[colId]!;
    assert.equal(longCell.value?.truncated, true);
    assert.equal(longCell.value?.text.length, PREVIEW_CHARS);
  });

  test('grid: unknown table 404, bad limit and cursor 422 naming the field', async () => {
    const missing = await call('GET', '/v1/tables/nope/grid');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error?.code, 'not_found');
    const limit = await call('GET', `/v1/tables/${tableId}/grid?limit=0`);
    assert.equal(limit.status, 422);
    assert.equal(limit.json.error?.details.field, 'limit');
    const cursor = await call('GET', `/v1/tables/${tableId}/grid?cursor=zzz`);
    assert.equal(cursor.status, 422);
    assert.equal(cursor.json.error?.details.field, 'cursor');
  });
});
