/**
 * Ingestion run modes and what a run reports, through the HTTP API on both databases (issue 16
 * §3), against a real paginated API on 127.0.0.1 (test/helpers/paged-api.ts):
 * - a dry run fetches the first page only and shows the records it would write, each with its
 *   would-be action (created / updated / unchanged against the table as it is), writing nothing;
 * - a smoke test stops after N pages, for a cursor chain and for page lanes, and says so;
 * - the run's provider summary: calls, failures, p50/p95, credits;
 * - a file at a URL (NDJSON, CSV, a JSON array) is a one-page source; bad content is a page
 *   error code; a bad source or run request is a 422 naming the field.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkloadProfile } from '../../src/core/profile.js';
import type { Engine } from '../../src/engine/engine.js';
import { describeEachBackend, type OpenedStore } from '../helpers/backends.js';
import { startIngestionApp, type IngestionApp } from '../helpers/ingestion-app.js';
import type { PagedApi } from '../helpers/paged-api.js';

type Json = Record<string, unknown>;

const PROFILE: WorkloadProfile = {
  name: 'ingest_modes',
  concurrency: 8,
  itemTimeoutMs: 10_000,
  retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 2_000, factor: 2, jitter: 0 },
};
const SIZE = 5;
const RECORDS = 60;

describeEachBackend('ingestion run modes and reports through the API', (backend) => {
  let t: IngestionApp;
  let engine: Engine;
  let db: OpenedStore;
  let api: PagedApi;
  const call: IngestionApp['call'] = (...args) => t.call(...args);
  const newTable = (name: string) => t.newTable(name);
  const createSource = (def: Json) => t.createSource(def);
  const runSource = (id: string, body?: Json) => t.runSource(id, body);
  const finished = (sourceId: string, runId: string) => t.finished(sourceId, runId);

  async function rowCount(tableId: string): Promise<number> {
    const r = await db.exec<{ n: number | string }>('SELECT COUNT(*) AS n FROM table_rows WHERE table_id = ?', [tableId]);
    return Number(r[0]?.n);
  }

  async function itemKeys(runId: string): Promise<string[]> {
    return (await engine.store.listItems(engine.workspaceId, runId, {}, { limit: 100 })).data.map((i) => `${i.key} ${i.status}`);
  }

  /** Requests the API served for `path` since log index `from`. */
  const served = (from: number, path: string) => api.log.slice(from).filter((l) => l.path.startsWith(path));

  before(async () => {
    t = await startIngestionApp(backend, { profile: PROFILE, records: RECORDS });
    ({ engine, db, api } = t);
  });

  after(() => t.close());

  const cursorSource = (tableId: string): Json => ({
    name: 'cursor',
    table_id: tableId,
    request: { url: `${api.url}/cursor` },
    records_path: 'items',
    key_field: 'id',
    page_size: SIZE,
    pagination: { type: 'cursor', cursor_path: 'next', size_param: 'limit' },
  });
  const numberedSource = (tableId: string, fanOut: number): Json => ({
    name: 'numbered',
    table_id: tableId,
    request: { url: `${api.url}/numbered` },
    records_path: 'data',
    key_field: 'id',
    page_size: SIZE,
    fan_out: fanOut,
    pagination: { type: 'page', size_param: 'per_page' },
  });

  test('a dry run fetches the first page only, writes nothing, and shows each record with what writing it would do', { timeout: 120_000 }, async () => {
    const tableId = await newTable('dry');
    const id = await createSource(numberedSource(tableId, 4));
    // Nothing in the table yet: every record of page 1 would be created.
    let from = api.log.length;
    const dry = await call('POST', `/v1/ingestions/${id}/runs`, { profile: PROFILE.name, mode: 'dry_run' });
    assert.equal(dry.status, 201, dry.text);
    assert.equal((dry.json.run as Json).mode, 'dry_run');
    let got = await finished(id, (dry.json.run as Json).id as string);
    assert.equal(got.run.status, 'succeeded');
    assert.deepEqual(
      served(from, '/numbered').map((l) => l.page),
      [1],
      'one request: the first page, though the source fans out 4 lanes',
    );
    assert.equal(await rowCount(tableId), 0, 'a dry run writes nothing');
    assert.equal(got.summary.pages, 0);
    assert.equal(got.summary.stopped, 'dry_run', 'the source had more pages');
    const p = got.preview!;
    assert.equal(p.status, 'succeeded');
    assert.equal(p.http_status, 200);
    assert.match(p.url as string, /\/numbered\?per_page=5&page=1$/);
    assert.deepEqual(p.counts, { created: SIZE, updated: 0, unchanged: 0, no_key: 0 });
    assert.deepEqual(
      (p.records as Json[]).map((r) => [r.key, r.action, (r.data as Json).name]),
      api.records.slice(0, SIZE).map((r) => [r.id, 'created', r.name]),
    );

    // A live run writes everything; then change one record of page 1: the dry run shows it.
    const live = await finished(id, await runSource(id));
    assert.equal(live.run.status, 'succeeded');
    assert.equal(await rowCount(tableId), RECORDS);
    assert.equal(live.preview, undefined, 'only a dry run has a preview');
    const old = api.records[2]!.name;
    api.records[2]!.name = 'changed upstream';
    try {
      from = api.log.length;
      got = await finished(id, await runSource(id, { mode: 'dry_run' }));
      assert.equal(served(from, '/numbered').length, 1);
      assert.deepEqual(got.preview!.counts, { created: 0, updated: 1, unchanged: SIZE - 1, no_key: 0 });
      assert.deepEqual(
        (got.preview!.records as Json[]).map((r) => r.action),
        ['unchanged', 'unchanged', 'updated', 'unchanged', 'unchanged'],
      );
      const rows = await db.exec<{ data: string }>('SELECT data FROM table_rows WHERE table_id = ? AND key = ?', [tableId, api.records[2]!.id]);
      assert.equal((JSON.parse(rows[0]!.data) as Json).name, old, 'the dry run left the row as it was');
    } finally {
      api.records[2]!.name = old;
    }

    // A cursor chain: page 1 only, its next cursor shown; a failing first page shows its error.
    const cid = await createSource(cursorSource(tableId));
    from = api.log.length;
    got = await finished(cid, await runSource(cid, { mode: 'dry_run' }));
    assert.deepEqual(await itemKeys(got.run.id as string), ['page:1 succeeded']);
    assert.equal(served(from, '/cursor').length, 1);
    assert.equal(got.preview!.next, SIZE.toString(36));
    api.failing.add(1);
    try {
      got = await finished(cid, await runSource(cid, { mode: 'dry_run' }));
      assert.equal(got.run.status, 'failed');
      assert.equal((got.preview!.error as Json).code, 'http_500');
      assert.deepEqual(got.preview!.records, []);
    } finally {
      api.heal();
    }
  });

  test('a smoke test stops after N pages, for a cursor chain and for page lanes, and says so', { timeout: 120_000 }, async () => {
    const tableId = await newTable('smoke');
    const cid = await createSource(cursorSource(tableId));
    let from = api.log.length;
    let got = await finished(cid, await runSource(cid, { mode: 'smoke_test', smoke_test_items: 3 }));
    assert.equal(got.run.status, 'succeeded');
    assert.deepEqual(await itemKeys(got.run.id as string), ['page:1 succeeded', 'page:2 succeeded', 'page:3 succeeded']);
    assert.equal(served(from, '/cursor').length, 3, 'three requests, no fourth');
    assert.equal(got.summary.pages, 3);
    assert.equal(got.summary.created, 3 * SIZE);
    assert.equal(got.summary.stopped, 'smoke_test_limit');
    assert.match(got.run.result_summary as string, /stopped after 3 pages: the smoke test's limit/);
    assert.equal(await rowCount(tableId), 3 * SIZE, 'a smoke test writes what it fetched');

    // Page lanes: fan_out 4, smoke test of 6 pages: pages 1-6 fetched, no lane goes on.
    const nid = await createSource(numberedSource(tableId, 4));
    from = api.log.length;
    got = await finished(nid, await runSource(nid, { mode: 'smoke_test', smoke_test_items: 6 }));
    assert.equal(got.run.status, 'succeeded');
    assert.deepEqual(
      served(from, '/numbered')
        .map((l) => l.page)
        .sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(got.run.items_total, 6);
    assert.equal(got.summary.stopped, 'smoke_test_limit');

    // A smoke test larger than the source ends with the source: nothing stopped it.
    got = await finished(cid, await runSource(cid, { mode: 'smoke_test', smoke_test_items: 100 }));
    assert.equal(got.run.items_total, RECORDS / SIZE);
    assert.equal(got.summary.stopped, null);
    assert.equal(await rowCount(tableId), RECORDS);
  });

  test("a run's provider summary: calls, failures, p50/p95 page duration, credits", { timeout: 120_000 }, async () => {
    const tableId = await newTable('providers');
    const id = await createSource({ ...numberedSource(tableId, 4), max_pages: 6 });
    api.failing.add(2);
    api.delayMs = 20;
    const from = api.log.length;
    let got;
    try {
      got = await finished(id, await runSource(id));
    } finally {
      api.heal();
      api.delayMs = 0;
    }
    assert.equal(got.run.status, 'partial');
    const providers = got.summary.providers as Json[];
    assert.equal(providers.length, 1);
    const p = providers[0]!;
    const host = new URL(api.url).host;
    assert.equal(p.provider, host);
    // Pages 1-6 and the page past max_pages (7, failed without a request): page 2 failed twice.
    const requests = served(from, '/numbered').length;
    assert.equal(p.failures, 2, 'page 2 (http_500) and page 7 (past_max_pages)');
    assert.equal(p.successes, 5);
    assert.equal(p.calls, requests + 1, 'every request, and the page past the maximum that was not fetched');
    assert.ok((p.p50_ms as number) >= 20, `p50 ${String(p.p50_ms)} ms: the provider answers after 20 ms`);
    assert.ok((p.p95_ms as number) >= (p.p50_ms as number));
    assert.equal(p.credits_used_micro, 0, 'no prices set: free');
    // The provider summary of any run counts the same successes under the host.
    const generic = await call('GET', `/v1/runs/${got.run.id as string}/provider-summary`);
    assert.equal((generic.json.data as Json[]).find((g) => g.provider === host)?.successes, 5);
  });

  test('a file at a URL is a one-page source: NDJSON, CSV and a JSON array; bad content is a page error code', { timeout: 120_000 }, async () => {
    const file = (tableId: string, path: string, format: string): Json => ({
      name: `file ${path}`,
      table_id: tableId,
      request: { url: `${api.url}${path}` },
      format,
      key_field: 'id',
      pagination: { type: 'none' },
      ...(format === 'json' ? { records_path: '$' } : {}),
    });
    for (const [path, format] of [
      ['/file.ndjson', 'ndjson'],
      ['/file.csv', 'csv'],
      ['/file.json', 'json'],
    ] as const) {
      const tableId = await newTable(`file ${format}`);
      const id = await createSource(file(tableId, path, format));
      const got = await finished(id, await runSource(id));
      assert.equal(got.run.status, 'succeeded', `${format}: ${JSON.stringify(got.run.error)}`);
      assert.equal(got.run.items_total, 1);
      assert.equal(got.summary.created, RECORDS, format);
      const rows = await db.exec<{ key: string; data: string }>('SELECT key, data FROM table_rows WHERE table_id = ? ORDER BY ordinal', [tableId]);
      assert.deepEqual(
        rows.map((r) => r.key),
        api.records.map((r) => r.id),
      );
      const r7 = JSON.parse(rows[7]!.data) as Json;
      // CSV values are text; NDJSON and JSON keep their types.
      assert.deepEqual(r7, format === 'csv' ? { id: 'r00007', name: 'record 7', n: '7' } : { id: 'r00007', name: 'record 7', n: 7 });
      // Run again: every record unchanged.
      const again = await finished(id, await runSource(id));
      assert.equal(again.summary.unchanged, RECORDS, format);
    }
    const tableId = await newTable('bad files');
    for (const [path, format, code, line] of [
      ['/bad.ndjson', 'ndjson', 'not_ndjson', 3],
      ['/bad.csv', 'csv', 'not_csv', undefined],
      ['/text', 'json', 'not_json', undefined],
    ] as const) {
      const id = await createSource(file(tableId, path, format));
      const got = await finished(id, await runSource(id));
      assert.equal(got.run.status, 'failed');
      const items = (await engine.store.listItems(engine.workspaceId, got.run.id as string, {}, { limit: 5 })).data;
      assert.equal(items[0]?.error?.code, code, `${path}: ${JSON.stringify(items[0]?.error)}`);
      if (line !== undefined) assert.deepEqual(items[0]?.error?.detail, { line });
    }
    assert.equal(await rowCount(tableId), 0, 'a bad file writes nothing');
  });

  test('stop_when: a CEL condition over the page ends a chain or a lane there, and the run says so', { timeout: 120_000 }, async () => {
    const tableId = await newTable('stop when');
    // Records are numbered n = 0, 1, …: page 5 holds n = 20…24.
    const cid = await createSource({ ...cursorSource(tableId), stop_when: 'records.exists(r, r.n >= 22) && status == 200' });
    const from = api.log.length;
    let got = await finished(cid, await runSource(cid));
    assert.equal(got.run.status, 'succeeded');
    assert.equal(served(from, '/cursor').length, 5, 'no page after the one where it held');
    assert.equal(got.summary.created, 5 * SIZE, "the stopping page's records are written");
    assert.equal(got.summary.stopped, 'stop_when');
    assert.equal(got.run.result_summary, 'stopped at page 5: stop_when held');
    // Over the response body and the page number, on page lanes (fan_out 1: one lane).
    const nid = await createSource({ ...numberedSource(tableId, 1), stop_when: 'response.page >= 3 || page > 10' });
    got = await finished(nid, await runSource(nid));
    assert.equal(got.run.items_total, 3);
    assert.equal(got.summary.stopped, 'stop_when');
    // A condition that is no bool fails its page with stop_when_failed.
    const bad = await createSource({ ...cursorSource(tableId), stop_when: 'records' });
    got = await finished(bad, await runSource(bad));
    assert.equal(got.run.status, 'failed');
    const items = (await engine.store.listItems(engine.workspaceId, got.run.id as string, {}, { limit: 5 })).data;
    assert.equal(items[0]?.error?.code, 'stop_when_failed');
    // One that does not compile is a 422 naming stop_when.
    const res = await call('POST', '/v1/ingestions', { ...cursorSource(tableId), stop_when: 'records.exists(r, ' });
    assert.equal(res.status, 422, res.text);
    assert.equal(((res.json.error as Json).details as Json).field, 'stop_when');
  });

  test('auth from a saved credential: revealed when a page is fetched, never stored; a rotation changes the next run', { timeout: 120_000 }, async () => {
    const tableId = await newTable('credential');
    const first = 'cred-token-one-4711';
    const second = 'cred-token-two-0815';
    assert.equal((await call('PUT', '/v1/credentials/ingest-api', { value: first })).status < 300, true);
    const def = { ...cursorSource(tableId), auth: { credential: 'ingest-api', header: 'authorization', prefix: 'Bearer ' } };
    const id = await createSource(def);
    api.auth = first;
    try {
      let got = await finished(id, await runSource(id));
      assert.equal(got.run.status, 'succeeded', JSON.stringify(got.run.error));
      assert.equal(got.summary.created, RECORDS);
      const items = (await engine.store.listItems(engine.workspaceId, got.run.id as string, {}, { limit: 100 })).data;
      assert.ok(!JSON.stringify(items).includes(first), 'the value is in no item');
      assert.ok(!JSON.stringify((await call('GET', `/v1/ingestions/${id}`)).json).includes(first), 'nor in the source');
      // Rotate: the provider now wants the second value, and the next run sends it.
      api.auth = second;
      assert.equal((await call('PUT', '/v1/credentials/ingest-api', { value: second })).status < 300, true);
      got = await finished(id, await runSource(id));
      assert.equal(got.run.status, 'succeeded', JSON.stringify(got.run.error));
      assert.equal(got.summary.unchanged, RECORDS);
      // Deleted: the next run's page fails with credential_not_found.
      assert.equal((await call('DELETE', '/v1/credentials/ingest-api')).status < 300, true);
      got = await finished(id, await runSource(id));
      assert.equal(got.run.status, 'failed');
      const failed = (await engine.store.listItems(engine.workspaceId, got.run.id as string, {}, { limit: 5 })).data;
      assert.equal(failed[0]?.error?.code, 'credential_not_found');
    } finally {
      api.auth = undefined;
    }
    const bad: [Json, string][] = [
      [{ ...def, auth: { credential: 'no-such-credential', header: 'authorization' } }, 'auth.credential'],
      [{ ...def, auth: { credential: 'bad name!', header: 'authorization' } }, 'auth.credential'],
      [{ ...def, auth: { credential: 'ingest-api', secret: 'API_TOKEN', header: 'authorization' } }, 'auth'],
    ];
    for (const [body, field] of bad) {
      const res = await call('POST', '/v1/ingestions', body);
      assert.equal(res.status, 422, `${field}: ${res.text}`);
      assert.equal(((res.json.error as Json).details as Json).field, field, res.text);
    }
  });

  test('bad input: a 422 naming the field, nothing created', async () => {
    const tableId = await newTable('bad input');
    const good = { name: 'f', table_id: tableId, request: { url: `${api.url}/file.csv` }, format: 'csv', key_field: 'id', pagination: { type: 'none' } };
    const bad: [Json, string][] = [
      [{ ...good, format: 'xml' }, 'format'],
      [{ ...good, pagination: { type: 'page' } }, 'pagination.type'],
      [{ ...good, records_path: 'data' }, 'records_path'],
      [{ ...good, format: 'json' }, 'records_path'],
    ];
    const before = ((await call('GET', '/v1/ingestions')).json.data as Json[]).length;
    for (const [def, field] of bad) {
      const res = await call('POST', '/v1/ingestions', def);
      assert.equal(res.status, 422, `${field}: ${res.text}`);
      assert.equal(((res.json.error as Json).details as Json).field, field, res.text);
    }
    assert.equal(((await call('GET', '/v1/ingestions')).json.data as Json[]).length, before, 'no source was created');

    const id = await createSource(good);
    const runsBefore = ((await call('GET', `/v1/ingestions/${id}/runs`)).json.data as Json[]).length;
    const badRuns: [Json, string][] = [
      [{ mode: 'bogus' }, 'mode'],
      [{ smoke_test_items: 3 }, 'smoke_test_items'],
      [{ mode: 'smoke_test', smoke_test_items: 0 }, 'smoke_test_items'],
    ];
    for (const [body, field] of badRuns) {
      const res = await call('POST', `/v1/ingestions/${id}/runs`, body);
      assert.equal(res.status, 422, `${field}: ${res.text}`);
      assert.equal(((res.json.error as Json).details as Json).field, field, res.text);
    }
    assert.equal(((await call('GET', `/v1/ingestions/${id}/runs`)).json.data as Json[]).length, runsBefore, 'no run was created');
  });
});
