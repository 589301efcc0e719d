/**
 * Row comments (issue 14, migration 0014) on both databases: the store's slot writes (replace,
 * once, an append slot per item; concurrent writers leave one comment per slot) and
 * `GET/POST /v1/tables/{id}/rows/{row}/comments` (order, paging, author default, 404s, 422s
 * naming the field, workspace isolation).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { authedApp, type TestApp } from '../helpers/auth.js';
import { describeEachBackend, type OpenedStore } from '../helpers/backends.js';
import { FAST } from '../helpers/fixtures.js';

type Json = Record<string, unknown>;

describeEachBackend('row comments', (backend) => {
  let opened: OpenedStore;
  let engine: Engine;
  let app: TestApp;
  let tableId = '';
  let rowIds: string[] = [];

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json; text: string }> {
    const init: RequestInit = { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) };
    const res = await app.request(path, init);
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, text };
  }

  before(async () => {
    opened = await backend.open();
    engine = createEngine({ store: opened.store, producers: createProducerRegistry(), options: FAST });
    app = await authedApp(engine);
    const t = await call('POST', '/v1/tables', { name: 'tickets', format: 'csv', data: 'title\nprinter jams\nvpn down\nmouse\n' });
    tableId = String(t.json.id);
    rowIds = ((await call('GET', `/v1/tables/${tableId}/rows`)).json.data as { id: string }[]).map((r) => r.id);
  });
  after(async () => engine.store.close());

  test('POST and GET: oldest first, author defaults to the token name, pages by cursor', async () => {
    const row = rowIds[0] ?? '';
    const first = await call('POST', `/v1/tables/${tableId}/rows/${row}/comments`, { body: 'Looking into it' });
    assert.equal(first.status, 201, first.text);
    assert.match(String(first.json.id), /^cmt_/);
    assert.equal(first.json.author, 'test admin');
    assert.equal(first.json.slot, null);
    assert.equal(first.json.created_by_run, null);
    for (let i = 0; i < 4; i++)
      assert.equal((await call('POST', `/v1/tables/${tableId}/rows/${row}/comments`, { body: `note ${i}`, author: 'ada' })).status, 201);
    const page1 = await call('GET', `/v1/tables/${tableId}/rows/${row}/comments?limit=3`);
    assert.equal(page1.status, 200, page1.text);
    const data1 = page1.json.data as Json[];
    assert.deepEqual(
      data1.map((c) => c.body),
      ['Looking into it', 'note 0', 'note 1'],
    );
    const page2 = await call('GET', `/v1/tables/${tableId}/rows/${row}/comments?limit=3&cursor=${String(page1.json.next_cursor)}`);
    assert.deepEqual(
      (page2.json.data as Json[]).map((c) => c.body),
      ['note 2', 'note 3'],
    );
    assert.equal(page2.json.next_cursor, null);
    assert.deepEqual((await call('GET', `/v1/tables/${tableId}/rows/${rowIds[1] ?? ''}/comments`)).json.data, []);
  });

  test('bad input: 422 naming the field, 404 for an unknown table or row, a bad cursor names cursor', async () => {
    const row = rowIds[0] ?? '';
    for (const [body, field] of [
      [{ body: '   ' }, 'body'],
      [{ body: 'x'.repeat(20_001) }, 'body'],
      [{ body: 'ok', author: '' }, 'author'],
      [{ body: 'ok', extra: 1 }, 'extra'],
      [{}, 'body'],
    ] as [Json, string][]) {
      const res = await call('POST', `/v1/tables/${tableId}/rows/${row}/comments`, body);
      assert.equal(res.status, 422, res.text);
      assert.match(String((res.json.error as Json).message), new RegExp(field), res.text);
    }
    assert.equal((await call('POST', `/v1/tables/${tableId}/rows/row_nope/comments`, { body: 'x' })).status, 404);
    assert.equal((await call('GET', `/v1/tables/tbl_nope/rows/${row}/comments`)).status, 404);
    const other = await call('POST', '/v1/tables', { name: 'other', format: 'csv', data: 'a\n1\n' });
    assert.equal((await call('GET', `/v1/tables/${String(other.json.id)}/rows/${row}/comments`)).status, 404, 'a row of another table is not found');
    const cursor = await call('GET', `/v1/tables/${tableId}/rows/${row}/comments?cursor=nonsense`);
    assert.equal(cursor.status, 422);
    assert.equal((cursor.json.error as { details: Json }).details.field, 'cursor');
  });

  test('slot writes: replace updates the one comment, once keeps it, an append slot per item adds one each', async () => {
    const comments = engine.store.comments;
    const ws = engine.workspaceId;
    const row = rowIds[2] ?? '';
    const write = (id: string, slot: string, run: string, policy: 'replace' | 'once', body: string) =>
      comments.writeSlotComment(ws, { id, table_id: tableId, row_id: row, slot, author: `run:${run}`, body, run_id: run, policy }, Date.now());
    const a = await write('cmt_a1', 'col_1:triage', 'run_1', 'replace', 'first');
    assert.equal(a?.action, 'created');
    const b = await write('cmt_a2', 'col_1:triage', 'run_2', 'replace', 'second');
    assert.equal(b?.action, 'updated');
    assert.equal(b?.comment.id, 'cmt_a1');
    assert.equal(b?.comment.body, 'second');
    assert.equal(b?.comment.created_by_run, 'run_1');
    assert.equal(b?.comment.updated_by_run, 'run_2');
    const c = await write('cmt_a3', 'col_1:triage', 'run_3', 'once', 'third');
    assert.equal(c?.action, 'skipped_exists');
    assert.equal(c?.comment.body, 'second');
    assert.equal((await write('cmt_b1', 'col_1:label', 'run_3', 'once', 'label'))?.action, 'created');
    assert.equal((await write('cmt_c1', 'col_1:log:itm_1', 'run_4', 'replace', 'log 1'))?.action, 'created');
    assert.equal((await write('cmt_c2', 'col_1:log:itm_2', 'run_5', 'replace', 'log 2'))?.action, 'created');
    assert.equal((await write('cmt_c3', 'col_1:log:itm_2', 'run_5', 'replace', 'log 2 again'))?.action, 'updated', 'an item executed twice writes once');
    assert.equal(
      await comments.writeSlotComment(
        ws,
        { id: 'cmt_y', table_id: tableId, row_id: 'row_missing', slot: 's', author: 'a', body: 'b', run_id: 'r', policy: 'replace' },
        1,
      ),
      undefined,
      'a missing row gets nothing',
    );
    const counted = await comments.countRowComments(ws, tableId);
    assert.equal(counted.get(row), 4);
    const listed = (await call('GET', `/v1/tables/${tableId}/rows/${row}/comments`)).json.data as Json[];
    assert.deepEqual(listed.map((x) => x.slot).sort(), ['col_1:label', 'col_1:log:itm_1', 'col_1:log:itm_2', 'col_1:triage']);
  });

  test('concurrent replace writers of one slot leave exactly one comment', async () => {
    const ws = engine.workspaceId;
    const row = rowIds[1] ?? '';
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        engine.store.comments.writeSlotComment(
          ws,
          { id: `cmt_race${i}`, table_id: tableId, row_id: row, slot: 'wkr:race', author: 'run', body: `body ${i}`, run_id: `run_${i}`, policy: 'replace' },
          Date.now(),
        ),
      ),
    );
    assert.ok(results.every((r) => r !== undefined));
    const rows = await opened.exec<{ n: number | string }>('SELECT COUNT(*) AS n FROM row_comments WHERE row_id = ? AND slot = ?', [row, 'wkr:race']);
    assert.equal(Number(rows[0]?.n), 1);
  });
});
