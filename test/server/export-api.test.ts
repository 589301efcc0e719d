/**
 * Export, delete, count, pin and bulk operations through the HTTP app (in-process), over a
 * real SQLite file. Runs are seeded through the store; no executor runs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { authedApp, type TestApp } from '../helpers/auth.js';
import type { Item, Page, Run } from '../../src/sdk/client.js';
import type { RunRecord } from '../../src/core/model.js';
import { IllegalTransitionError } from '../../src/core/errors.js';
import { sqliteStore } from '../helpers/fixtures.js';
import { newRunInput, seedRun, type SeedItem } from '../helpers/seed.js';

const WS = 'wsp_default';
const DANGEROUS = ['=HYPERLINK("http://evil","x")', '+cmd|" /C calc"!A0', '-1+1', '@SUM(A1)', '\t=1', '\r=1', '  =1+1'];

interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: () => Record<string, unknown> & { error?: { code: string; message: string; details: Record<string, unknown> } };
}

describe('export, delete, count, pin and operations API', () => {
  let engine: Engine;
  let app: TestApp;
  const canceled: string[] = [];

  async function call(method: string, path: string, body?: unknown): Promise<Res> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const res = await app.request(path, init);
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as ReturnType<Res['json']> };
  }

  before(async () => {
    const store = await sqliteStore();
    engine = createEngine({
      store,
      producers: createProducerRegistry({ baseDir: process.cwd() }),
      runActions: {
        cancel: async (_ws, runId) => {
          const run = await store.getRun(WS, runId);
          if (run?.status === 'queued') throw new IllegalTransitionError('run', runId, 'queued', 'canceled');
          canceled.push(runId);
        },
      },
    });
    app = await authedApp(engine);
  });
  after(async () => {
    await engine.operations.stop();
    await engine.store.close();
  });

  /** A finished run whose items carry dangerous keys, outputs and error messages. */
  async function injectionRun(name = 'injection'): Promise<RunRecord> {
    const items: SeedItem[] = DANGEROUS.flatMap((d, i) => [
      { key: d, inputs: { text: d }, outputs: { value: d } },
      { key: `row ${i}`, inputs: { text: d }, error: { code: 'bad_row', message: d } },
    ]);
    return seedRun(engine.store, { name, items });
  }

  test('run export, json: {"run", "items"} with the API shapes of GET /v1/runs/{id} and its items', async () => {
    const run = await injectionRun();
    const res = await call('GET', `/v1/runs/${run.id}/export?format=json`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(res.headers.get('content-disposition'), `attachment; filename="${run.id}.json"`);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const doc = res.json() as { run: Run; items: Item[] };
    assert.deepEqual(doc.run, (await call('GET', `/v1/runs/${run.id}`)).json());
    const page = (await call('GET', `/v1/runs/${run.id}/items?limit=1000`)).json() as unknown as Page<Item>;
    assert.deepEqual(doc.items, page.data);
    assert.equal(doc.items.length, DANGEROUS.length * 2);
    assert.equal(doc.items[0]?.key, DANGEROUS[0], 'json keeps values as they are');
  });

  test('run export, ndjson: the run on line 1, then one item per line in order', async () => {
    const run = await seedRun(engine.store, { items: Array.from({ length: 2500 }, (_, i) => ({ key: `k${i}`, outputs: { i } })) });
    const res = await call('GET', `/v1/runs/${run.id}/export?format=ndjson`);
    assert.equal(res.headers.get('content-type'), 'application/x-ndjson; charset=utf-8');
    const lines = res.text.split('\n');
    assert.equal(lines.pop(), '');
    const [head, ...items] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(head?.id, run.id);
    assert.equal(head?.items_total, 2500);
    assert.equal(items.length, 2500, 'every item across the 1000-item pages');
    assert.deepEqual(
      items.map((i) => i.ordinal),
      [...Array(2500).keys()],
    );
    assert.deepEqual(items[1234]?.outputs, { i: 1234 });
  });

  test('run export, csv: one row per item with the documented columns; parses back', async () => {
    const run = await seedRun(engine.store, {
      items: [
        { key: 'a,b "c"', inputs: { text: 'multi\nline' }, outputs: { v: 1 } },
        { key: 'x', error: { code: 'bad_row', message: 'no, "really"' } },
      ],
    });
    const res = await call('GET', `/v1/runs/${run.id}/export?format=csv`);
    assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(res.headers.get('content-disposition'), `attachment; filename="${run.id}.csv"`);
    const rows = parse(res.text, { columns: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(rows[0] ?? {}), [
      'id',
      'ordinal',
      'key',
      'status',
      'attempt_count',
      'error_code',
      'error_message',
      'inputs',
      'outputs',
      'credits_used',
      'started_at',
      'finished_at',
      'duration_ms',
    ]);
    assert.equal(rows.length, 2);
    assert.deepEqual(
      [rows[0]?.key, rows[0]?.status, rows[0]?.attempt_count, rows[0]?.credits_used, rows[0]?.duration_ms],
      ['a,b "c"', 'succeeded', '1', '0.0015', '12'],
    );
    assert.deepEqual(JSON.parse(rows[0]?.inputs ?? ''), { text: 'multi\nline' });
    assert.deepEqual(JSON.parse(rows[0]?.outputs ?? ''), { v: 1 });
    assert.deepEqual([rows[1]?.status, rows[1]?.error_code, rows[1]?.error_message, rows[1]?.outputs], ['failed', 'bad_row', 'no, "really"', '']);
    assert.ok(!Number.isNaN(Date.parse(rows[1]?.finished_at ?? '')));
  });

  test('csv injection: every dangerous first character in keys and error messages is neutralised; JSON cells keep the value intact', async () => {
    const run = await injectionRun();
    const rows = parse((await call('GET', `/v1/runs/${run.id}/export?format=csv`)).text, { columns: true }) as Record<string, string>[];
    for (const [i, d] of DANGEROUS.entries()) {
      const ok = rows[2 * i];
      const bad = rows[2 * i + 1];
      assert.equal(ok?.key, `'${d}`, `key ${JSON.stringify(d)}`);
      assert.equal(bad?.error_message, `'${d}`, `error message ${JSON.stringify(d)}`);
      assert.deepEqual(JSON.parse(ok?.outputs ?? ''), { value: d }, 'outputs are JSON text (starting with {), unaltered');
      assert.deepEqual(JSON.parse(bad?.inputs ?? ''), { text: d });
    }
    for (const row of rows) {
      for (const [col, cell] of Object.entries(row)) assert.ok(!/^\s*[=+\-@]|^[\t\r\0]/.test(cell), `${col} = ${JSON.stringify(cell)} would be a formula`);
    }
  });

  test('run list export: filters of GET /v1/runs; json {"runs"}, ndjson, csv with neutralised names', async () => {
    const a = await seedRun(engine.store, { name: '=evil() list', items: [{ key: 'a', outputs: {} }] });
    const b = await seedRun(engine.store, { name: '@list two', items: [{ key: 'b', error: { code: 'e', message: '-boom' } }] });
    await seedRun(engine.store, { name: 'excluded', items: [{ key: 'c', outputs: {} }] });
    const json = await call('GET', '/v1/runs/export?format=json&name=list');
    assert.equal(json.status, 200);
    assert.match(json.headers.get('content-disposition') ?? '', /^attachment; filename="runs_\d{8}T\d{6}Z\.json"$/);
    const listed = (await call('GET', '/v1/runs?name=list')).json().data;
    assert.deepEqual(json.json(), { runs: listed });
    const nd = (await call('GET', '/v1/runs/export?format=ndjson&name=list&status=succeeded')).text.trim().split('\n');
    assert.deepEqual(
      nd.map((l) => (JSON.parse(l) as Run).id),
      [a.id],
    );
    const rows = parse((await call('GET', '/v1/runs/export?format=csv&name=list')).text, { columns: true }) as Record<string, string>[];
    assert.deepEqual(
      rows.map((r) => [r.id, r.name, r.status, r.error_message, r.pinned]),
      [
        [b.id, "'@list two", 'failed', '1 of 1 items failed; first: -boom', 'false'],
        [a.id, "'=evil() list", 'succeeded', '', 'false'],
      ],
    );
    assert.equal(rows[0]?.web_url, `http://runyard.test/runs/${b.id}`);
    assert.equal((await call('GET', '/v1/runs/export?format=csv&name=nothing-matches')).text.split('\r\n')[1], '', 'header only');
  });

  test('exports never contain sealed secrets', async () => {
    const input = newRunInput(WS, { name: 'with secrets', items: [{ key: 'a' }] });
    input.sealed_secrets = JSON.stringify({ names: ['API_KEY'], box: 'CIPHERTEXT_CANARY_1234' });
    input.run.overrides_env = { REGION: 'eu' };
    const { run } = await engine.store.createRun(WS, input, Date.now());
    for (const format of ['json', 'ndjson', 'csv']) {
      const one = await call('GET', `/v1/runs/${run.id}/export?format=${format}`);
      const list = await call('GET', `/v1/runs/export?format=${format}&name=with%20secrets`);
      for (const r of [one, list]) {
        assert.equal(r.status, 200);
        assert.ok(!r.text.includes('CIPHERTEXT_CANARY_1234'), `${format}: no sealed secret box`);
      }
    }
  });

  test('export errors: unknown run → 404, unknown format → 422, bad filter → 422', async () => {
    assert.equal((await call('GET', '/v1/runs/run_missing/export?format=csv')).json().error?.code, 'not_found');
    const bad = await call('GET', '/v1/runs/run_missing/export?format=xlsx');
    assert.equal(bad.status, 422);
    assert.equal(bad.json().error?.details.field, 'format');
    const filter = await call('GET', '/v1/runs/export?status=bogus');
    assert.equal(filter.status, 422);
    assert.equal(filter.json().error?.details.field, 'status');
  });

  test('DELETE /v1/runs/{id}: 204 and gone; unfinished → 409 naming the status; unknown → 404', async () => {
    const run = await seedRun(engine.store, { items: [{ key: 'a', outputs: {} }] });
    const del = await call('DELETE', `/v1/runs/${run.id}`);
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    assert.equal((await call('GET', `/v1/runs/${run.id}`)).status, 404);
    assert.equal((await call('DELETE', `/v1/runs/${run.id}`)).status, 404);
    const queued = await seedRun(engine.store, { items: [{ key: 'q' }], queued: true });
    const conflict = await call('DELETE', `/v1/runs/${queued.id}`);
    assert.equal(conflict.status, 409);
    assert.equal(conflict.json().error?.code, 'conflict');
    assert.equal(conflict.json().error?.details.status, 'queued');
    assert.match(conflict.json().error?.message ?? '', /queued/);
  });

  test('GET /v1/runs/count: the number of runs the filters select (not swallowed by /v1/runs/{run_id})', async () => {
    await seedRun(engine.store, { name: 'count me 1', items: [{ key: 'a', outputs: {} }] });
    await seedRun(engine.store, { name: 'count me 2', items: [{ key: 'a', error: { code: 'x', message: 'y' } }] });
    assert.deepEqual((await call('GET', '/v1/runs/count?name=count%20me')).json(), { count: 2 });
    assert.deepEqual((await call('GET', '/v1/runs/count?name=count%20me&status=failed,completed')).json(), { count: 2 });
    assert.deepEqual((await call('GET', '/v1/runs/count?name=count%20me&status=partial')).json(), { count: 0 });
    const bad = await call('GET', '/v1/runs/count?created_after=yesterday');
    assert.equal(bad.status, 422);
    assert.equal(bad.json().error?.details.field, 'created_after');
  });

  test('pin / unpin: the Run shows pinned; unknown run → 404', async () => {
    const run = await seedRun(engine.store, { items: [{ key: 'a', outputs: {} }] });
    assert.equal((await call('GET', `/v1/runs/${run.id}`)).json().pinned, false);
    const pinned = await call('POST', `/v1/runs/${run.id}/pin`);
    assert.equal(pinned.status, 200);
    assert.equal(pinned.json().pinned, true);
    assert.equal((await call('GET', `/v1/runs/${run.id}`)).json().pinned, true);
    assert.equal((await call('POST', `/v1/runs/${run.id}/unpin`)).json().pinned, false);
    assert.equal((await call('POST', '/v1/runs/run_missing/pin')).status, 404);
  });

  test('operations: POST → 202 running; progress to the end; listed and fetched; refusals counted per run', async () => {
    const names = ['bulkop a', 'bulkop b', 'bulkop c'];
    const done = [];
    for (const n of names) done.push(await seedRun(engine.store, { name: n, items: [{ key: 'a', outputs: {} }] }));
    const running = await seedRun(engine.store, { name: 'bulkop running', items: [{ key: 'r' }] });
    const queued = await seedRun(engine.store, { name: 'bulkop queued', items: [{ key: 'q' }], queued: true });

    const del = await call('POST', '/v1/operations', { action: 'delete', filter: { name: 'bulkop' } });
    assert.equal(del.status, 202);
    const op = del.json();
    assert.match(String(op.id), /^op_/);
    assert.deepEqual([op.action, op.status, op.total], ['delete', 'running', 3]);
    assert.deepEqual(op.filter, { status: ['succeeded', 'partial', 'failed', 'canceled'], name: 'bulkop' });
    await engine.operations.idle();
    const finished = (await call('GET', `/v1/operations/${String(op.id)}`)).json();
    assert.deepEqual([finished.status, finished.succeeded, finished.failed, finished.error], ['succeeded', 3, 0, null]);
    assert.ok(typeof finished.finished_at === 'string');
    for (const r of done) assert.equal((await call('GET', `/v1/runs/${r.id}`)).status, 404);

    const cancel = (await call('POST', '/v1/operations', { action: 'cancel', filter: { name: 'bulkop', created_after: '2000-01-01T00:00:00Z' } })).json();
    await engine.operations.idle();
    const c = (await call('GET', `/v1/operations/${String(cancel.id)}`)).json();
    assert.deepEqual([c.status, c.total, c.succeeded, c.failed], ['succeeded', 2, 1, 1]);
    assert.match(String(c.error), /queued; it cannot become canceled/);
    assert.deepEqual(canceled, [running.id]);
    assert.equal((c.filter as { created_after: string }).created_after, '2000-01-01T00:00:00.000Z');
    assert.ok(queued);

    const list = (await call('GET', '/v1/operations?limit=1')).json() as { data: { id: string }[]; next_cursor: string };
    assert.deepEqual(
      list.data.map((o) => o.id),
      [cancel.id],
    );
    const next = (await call('GET', `/v1/operations?limit=1&cursor=${list.next_cursor}`)).json() as { data: { id: string }[] };
    assert.deepEqual(
      next.data.map((o) => o.id),
      [op.id],
    );
    assert.equal((await call('GET', '/v1/operations/op_missing')).status, 404);
  });

  test('operations: invalid requests → 422 naming the field, nothing recorded', async () => {
    const before = ((await call('GET', '/v1/operations?limit=100')).json().data as unknown[]).length;
    const cases: [unknown, string][] = [
      [{ action: 'delete', filter: {} }, 'filter'],
      [{ action: 'delete', filter: { status: 'running' } }, 'filter.status'],
      [{ action: 'explode', filter: { name: 'x' } }, 'action'],
      [{ action: 'delete', filter: { status: ['bogus'] } }, 'filter.status'],
      [{ action: 'delete', filter: { colour: 'red' } }, 'filter'],
      [{ action: 'cancel', filter: { created_before: 'soon' } }, 'filter.created_before'],
    ];
    for (const [body, field] of cases) {
      const r = await call('POST', '/v1/operations', body);
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.equal(r.json().error?.details.field, field, JSON.stringify(body));
    }
    assert.equal(((await call('GET', '/v1/operations?limit=100')).json().data as unknown[]).length, before);
  });

  test('the OpenAPI document lists the new endpoints', async () => {
    const doc = (await call('GET', '/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
    for (const [path, method] of [
      ['/v1/runs/{run_id}/export', 'get'],
      ['/v1/runs/export', 'get'],
      ['/v1/runs/count', 'get'],
      ['/v1/runs/{run_id}', 'delete'],
      ['/v1/runs/{run_id}/pin', 'post'],
      ['/v1/runs/{run_id}/unpin', 'post'],
      ['/v1/operations', 'post'],
      ['/v1/operations', 'get'],
      ['/v1/operations/{operation_id}', 'get'],
    ] as const) {
      assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`);
    }
  });
});
