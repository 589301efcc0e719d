/**
 * Ingestion runs through the HTTP API on both databases (issue 16), against a real paginated
 * API on 127.0.0.1 (test/helpers/paged-api.ts): a 200-page cursor source and a 200-page numbered
 * source with ~10% of pages failing (500 until healed; 429 + `Retry-After: 1` once) end, after
 * `retry-failed`, with every record in the table exactly once by key, each row naming the run
 * and page that wrote it; a second run updates changed records and leaves the others untouched
 * (counted); bad sources are 422s naming the field; per-page errors carry their codes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkloadProfile } from '../../src/core/profile.js';
import type { Engine } from '../../src/engine/engine.js';
import { describeEachBackend, type OpenedStore } from '../helpers/backends.js';
import { startIngestionApp, type IngestionApp } from '../helpers/ingestion-app.js';
import type { PagedApi } from '../helpers/paged-api.js';

type Json = Record<string, unknown>;

/** Quick retries so that a page that keeps failing fails within the test. */
const PROFILE: WorkloadProfile = {
  name: 'ingest_test',
  concurrency: 16,
  itemTimeoutMs: 10_000,
  retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 5_000, factor: 2, jitter: 0 },
};
const PAGES = 200;
const SIZE = 5;
const TOKEN = 'tok-ingest-secret-123';

describeEachBackend('ingestion runs through the API', (backend) => {
  let t: IngestionApp;
  let engine: Engine;
  let db: OpenedStore;
  let api: PagedApi;
  const call: IngestionApp['call'] = (...args) => t.call(...args);
  const newTable = (name: string) => t.newTable(name);
  const createSource = (def: Json) => t.createSource(def);
  const runSource = (id: string, body?: Json) => t.runSource(id, body);
  const finished = (sourceId: string, runId: string) => t.finished(sourceId, runId, 120_000);

  async function retryUntilDone(sourceId: string, runId: string): Promise<{ run: Json; summary: Json }> {
    let got = await finished(sourceId, runId);
    for (let round = 0; got.run.status !== 'succeeded' && round < 5; round++) {
      const r = await call('POST', `/v1/ingestions/${sourceId}/runs/${runId}/retry-failed`);
      assert.equal(r.status, 200, r.text);
      got = await finished(sourceId, runId);
    }
    return got;
  }

  /** Every row of the table: key, data and provenance. */
  async function tableRows(tableId: string) {
    return db.exec<{ key: string | null; data: string; source_run_id: string | null; source_item_key: string | null }>(
      'SELECT key, data, source_run_id, source_item_key FROM table_rows WHERE table_id = ? ORDER BY ordinal',
      [tableId],
    );
  }

  function assertExactlyOnce(rows: { key: string | null }[]): void {
    assert.equal(rows.length, api.records.length, 'one row per record');
    assert.deepEqual(new Set(rows.map((r) => r.key)), new Set(api.records.map((r) => r.id)), 'every record by key');
  }

  function injectFailures(): void {
    api.heal();
    api.throttled.clear();
    // ~10% of pages: 10 keep failing with 500 (until healed), 10 answer 429 + Retry-After once.
    for (let p = 7; p <= PAGES; p += 20) api.failing.add(p);
    for (let p = 13; p <= PAGES; p += 20) api.throttled.add(p);
  }

  before(async () => {
    t = await startIngestionApp(backend, { profile: PROFILE, records: PAGES * SIZE, runDefaults: { overrides: { secrets: { API_TOKEN: TOKEN } } } });
    ({ engine, db, api } = t);
  });

  after(() => t.close());

  const base = (tableId: string, path: string): Json => ({
    name: `src ${path}`,
    table_id: tableId,
    request: { url: `${api.url}${path}` },
    auth: { secret: 'API_TOKEN', header: 'authorization', prefix: 'Bearer ' },
    key_field: 'id',
    page_size: SIZE,
  });

  test('a 200-page cursor source: failed pages fail alone, retry-failed continues the chain, every record once', { timeout: 300_000 }, async () => {
    injectFailures();
    const tableId = await newTable('cursor out');
    const id = await createSource({
      ...base(tableId, '/cursor'),
      records_path: 'items',
      pagination: { type: 'cursor', param: 'cursor', cursor_path: 'next', size_param: 'limit' },
    });
    const runId = await runSource(id);
    const first = await finished(id, runId);
    assert.equal(first.run.status, 'partial', 'the chain stopped at the first page that kept failing');
    const failed = (await engine.store.listItems(engine.workspaceId, runId, { status: ['failed'] }, { limit: 10 })).data;
    assert.deepEqual(
      failed.map((i) => [i.key, i.error?.code]),
      [['page:7', 'http_500']],
    );
    assert.equal(first.summary.pages, 6);
    assert.equal(first.summary.created, 6 * SIZE);

    api.heal();
    const done = await retryUntilDone(id, runId);
    assert.equal(done.run.status, 'succeeded');
    assert.equal(done.run.items_total, PAGES, 'one item per page, the chain unbroken');
    assert.deepEqual(
      { pages: done.summary.pages, created: done.summary.created, updated: done.summary.updated, unchanged: done.summary.unchanged },
      { pages: PAGES, created: PAGES * SIZE, updated: 0, unchanged: 0 },
    );
    const rows = await tableRows(tableId);
    assertExactlyOnce(rows);
    assert.deepEqual(
      rows.slice(0, 1).map((r) => [r.key, r.source_run_id, r.source_item_key]),
      [['r00000', runId, 'page:1']],
      'a row names the run and page that wrote it',
    );
    assert.equal(rows.find((r) => r.key === 'r00034')?.source_item_key, 'page:7');

    // 429 + Retry-After: 1 was honoured: the page's next request came a second later.
    const p13 = api.log.filter((l) => l.path.startsWith('/cursor') && l.page === 13);
    assert.equal(p13[0]?.status, 429);
    assert.ok(p13[1] && p13[1].at - p13[0]!.at >= 900, `retried ${p13[1] ? p13[1].at - p13[0]!.at : '?'} ms after a 429 with Retry-After: 1`);
    // The secret is sent, never stored.
    const items = (await engine.store.listItems(engine.workspaceId, runId, {}, { limit: 5 })).data;
    assert.ok(!JSON.stringify(items).includes(TOKEN));
    assert.ok(!JSON.stringify((await call('GET', `/v1/ingestions/${id}`)).json).includes(TOKEN));
  });

  test(
    'a 200-page numbered source fans out: failed pages fail alone, retry-failed re-fetches exactly them; a rerun updates changed records only',
    { timeout: 300_000 },
    async () => {
      injectFailures();
      const tableId = await newTable('numbered out');
      const id = await createSource({
        ...base(tableId, '/numbered'),
        records_path: 'data',
        pagination: { type: 'page', param: 'page', size_param: 'per_page' },
        fan_out: 8,
      });
      const runId = await runSource(id);
      const first = await finished(id, runId);
      assert.equal(first.run.status, 'partial');
      const failed = (await engine.store.listItems(engine.workspaceId, runId, { status: ['failed'] }, { limit: 100 })).data;
      const failedPages = failed.map((i) => Number(i.key.slice(5))).sort((a, b) => a - b);
      assert.deepEqual(
        failedPages,
        [...api.failing].sort((a, b) => a - b),
        'exactly the pages that kept failing, each alone',
      );
      assert.equal(first.summary.pages_failed, failedPages.length);

      api.heal();
      const before = api.log.length;
      const retried = await call('POST', `/v1/ingestions/${id}/runs/${runId}/retry-failed`);
      assert.equal(retried.status, 200, retried.text);
      assert.equal(retried.json.retried, failedPages.length);
      const done = await finished(id, runId);
      assert.equal(done.run.status, 'succeeded');
      const refetched = api.log.slice(before).map((l) => l.page);
      assert.deepEqual(
        [...new Set(refetched)].sort((a, b) => a - b),
        failedPages,
        'retry-failed fetched exactly the failed pages',
      );
      assert.equal(done.summary.created, PAGES * SIZE);
      assertExactlyOnce(await tableRows(tableId));

      // Change 10 records upstream and run the source again: 10 updated, the rest untouched.
      for (let i = 0; i < 10; i++) api.records[i * 97]!.name = `renamed ${i}`;
      api.throttled.clear();
      const rerunId = await runSource(id);
      const again = await finished(id, rerunId);
      assert.equal(again.run.status, 'succeeded');
      assert.deepEqual(
        { created: again.summary.created, updated: again.summary.updated, unchanged: again.summary.unchanged },
        { created: 0, updated: 10, unchanged: PAGES * SIZE - 10 },
      );
      const rows = await tableRows(tableId);
      assertExactlyOnce(rows);
      const changed = rows.find((r) => r.key === api.records[97]!.id)!;
      assert.equal((JSON.parse(changed.data) as Json).name, 'renamed 1');
      assert.equal(changed.source_run_id, rerunId, 'an updated row names the run that changed it');
      assert.equal(rows.find((r) => r.key === 'r00001')!.source_run_id, runId, 'an unchanged row keeps its provenance');

      const list = await call('GET', `/v1/ingestions/${id}/runs`);
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(
        (list.json.data as { run: Json }[]).map((r) => r.run.id),
        [rerunId, runId],
      );
    },
  );

  test('a link source follows rel="next" and stops past max_pages with past_max_pages', { timeout: 60_000 }, async () => {
    api.heal();
    api.throttled.clear();
    const tableId = await newTable('link out');
    const id = await createSource({ ...base(tableId, '/link'), records_path: '$', pagination: { type: 'link', size_param: 'per_page' }, max_pages: 3 });
    const runId = await runSource(id);
    const done = await finished(id, runId);
    assert.equal(done.run.status, 'partial');
    const items = (await engine.store.listItems(engine.workspaceId, runId, {}, { limit: 10 })).data;
    assert.deepEqual(
      items.map((i) => [i.key, i.status, i.error?.code ?? null]),
      [
        ['page:1', 'succeeded', null],
        ['page:2', 'succeeded', null],
        ['page:3', 'succeeded', null],
        ['page:4', 'failed', 'past_max_pages'],
      ],
    );
    assert.equal((await tableRows(tableId)).length, 3 * SIZE);
  });

  test('per-page errors: not_json, records_not_found, cursor_loop; records without the key are counted', { timeout: 60_000 }, async () => {
    const tableId = await newTable('errors out');
    const cases: [string, Json, string][] = [
      ['/text', { records_path: 'data', pagination: { type: 'none' } }, 'not_json'],
      ['/empty', { records_path: 'data', pagination: { type: 'none' } }, 'records_not_found'],
      ['/loop', { records_path: 'items', pagination: { type: 'cursor', cursor_path: 'next' } }, 'cursor_loop'],
    ];
    for (const [path, extra, code] of cases) {
      const id = await createSource({ ...base(tableId, path), ...extra });
      const runId = await runSource(id);
      const done = await finished(id, runId);
      const failed = (await engine.store.listItems(engine.workspaceId, runId, { status: ['failed'] }, { limit: 10 })).data;
      assert.deepEqual(
        failed.map((i) => i.error?.code),
        [code],
        `${path}: ${JSON.stringify(done.run)}`,
      );
    }
    const id = await createSource({
      ...base(tableId, '/numbered'),
      request: { url: `${api.url}/numbered`, query: { per_page: SIZE } },
      key_field: 'nope',
      records_path: 'data',
      pagination: { type: 'none' },
    });
    const done = await finished(id, await runSource(id));
    assert.equal(done.run.status, 'succeeded');
    assert.equal(done.summary.no_key, SIZE, 'records without the key field are counted, not written');
    assert.equal(done.summary.created, 0);
  });

  test('a bad source is a 422 naming the field; an edit makes a new version and a run pins it', async () => {
    const tableId = await newTable('bad');
    const good = { ...base(tableId, '/numbered'), records_path: 'data', pagination: { type: 'page' } };
    const bad: [Json, string][] = [
      [{ ...good, records_path: 'a..b' }, 'records_path'],
      [{ ...good, pagination: { type: 'cursor' } }, 'pagination.cursor_path'],
      [{ ...good, pagination: { type: 'bogus' } }, 'pagination.type'],
      [{ ...good, request: { url: 'ftp://example.com' } }, 'request.url'],
      [{ ...good, key_field: undefined }, 'key_field'],
      [{ ...good, page_size: 0 }, 'page_size'],
      [{ ...good, extra: 1 }, 'extra'],
      [{ ...good, auth: { secret: 'API_TOKEN' } }, 'auth'],
      [{ ...good, request: { url: `${api.url}/x`, headers: { Authorization: 'Bearer leaked' } } }, 'request.headers.Authorization'],
    ];
    for (const [def, field] of bad) {
      const res = await call('POST', '/v1/ingestions', def);
      assert.equal(res.status, 422, `${field}: ${res.text}`);
      assert.equal(((res.json.error as Json).details as Json).field, field, res.text);
    }
    assert.equal((await call('POST', '/v1/ingestions', { ...good, table_id: 'tbl_nope' })).status, 404);

    const id = await createSource(good);
    const v2 = await call('POST', `/v1/ingestions/${id}/versions`, { ...good, name: 'renamed', max_pages: 1, pagination: { type: 'none' } });
    assert.equal(v2.status, 201, v2.text);
    assert.equal(v2.json.version, 2);
    assert.equal((await call('GET', `/v1/ingestions/${id}`)).json.version, 2);
    assert.equal((await call('GET', `/v1/ingestions/${id}?version=1`)).json.name, 'src /numbered');
    const list = await call('GET', '/v1/ingestions');
    assert.equal((list.json.data as Json[]).find((s) => s.id === id)?.version, 2);
    const pinned = await call('POST', `/v1/ingestions/${id}/runs`, {
      version: 1,
      mode: 'smoke_test',
      smoke_test_items: 1,
      overrides: { secrets: { API_TOKEN: TOKEN } },
    });
    assert.equal(pinned.status, 201, pinned.text);
    assert.equal((pinned.json.run as Json).target_version, 1);
    const noSecret = await call('POST', `/v1/ingestions/${id}/runs`, {});
    assert.equal(noSecret.status, 201);
    const runId = (noSecret.json.run as Json).id as string;
    await finished(id, runId);
    const failed = (await engine.store.listItems(engine.workspaceId, runId, { status: ['failed'] }, { limit: 10 })).data;
    assert.deepEqual(
      failed.map((i) => i.error?.code),
      ['secret_missing'],
    );
  });
});
