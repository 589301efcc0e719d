/**
 * Items labelled by their record (issue 14 item 7), over real HTTP on both databases: a column
 * run's items are labelled by their row's first non-empty text field (a number field is
 * skipped), in the item list, the item slice, one item and the export; after
 * `PATCH /v1/tables/{id} {label_column}` by that field; a worker run's items and its subject by
 * the subject row; an unknown field is a 422 naming `label_column`, an unknown table a 404.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RunyardClient } from '../../src/sdk/client.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.js';
import { startFlowApp, type FlowApp, type Json } from '../helpers/flow-app.js';
import { tempDir, writeModule } from '../helpers/fixtures.js';

const ROWS = [
  { n: 1, title: 'Login fails', code: 'T-1' },
  { n: 2, title: '   ', code: 'T-2', note: 'Refund\nlate' },
  { n: 3, title: 'x'.repeat(120), code: 'T-3' },
];

describeEachBackend('items labelled by their record', (backend) => {
  let app: FlowApp;
  let fake: FakeLlm;
  let tableId: string;
  let rowIds: string[];

  before(async () => {
    const dir = tempDir();
    writeModule(dir, 'double.mjs', 'export default (i) => Number(i.n) * 2;');
    fake = await startFakeLlm({ respond: () => ({ text: 'P2 · owner: identity team' }) });
    app = await startFlowApp(backend, dir);
    const t = await app.call('POST', '/v1/tables', { name: 'tickets', format: 'json', data: JSON.stringify(ROWS) });
    assert.equal(t.status, 201, t.text);
    tableId = t.json.id as string;
    assert.equal(t.json.label_column, null);
    rowIds = ((await app.call('GET', `/v1/tables/${tableId}/rows`)).json.data as Json[]).map((r) => r.id as string);
    const col = await app.call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'double',
      producer: 'js',
      config: { module: 'double.mjs', input: { n: '{{n}}' } },
    });
    assert.equal(col.status, 201, col.text);
  });

  after(async () => {
    await app.close();
    await fake.close();
  });

  async function columnRun(): Promise<string> {
    const r = await app.call('POST', `/v1/tables/${tableId}/columns/double/runs`, {});
    assert.equal(r.status, 201, r.text);
    assert.equal((await app.finished(r.json.id as string)).status, 'succeeded');
    return r.json.id as string;
  }

  /** key (row id) → label, from each place items are listed. */
  async function labels(runId: string): Promise<Record<string, unknown>[]> {
    const list = (await app.call('GET', `/v1/runs/${runId}/items?limit=10`)).json.data as Json[];
    const slice = (await app.call('GET', `/v1/runs/${runId}/items/slice?limit=10`)).json.data as Json[];
    const one = (await app.call('GET', `/v1/runs/${runId}/items/${list[0]!.id as string}`)).json.item as Json;
    const exported = (await app.call('GET', `/v1/runs/${runId}/export?format=json`)).json.items as Json[];
    const byKey = (items: Json[]) => Object.fromEntries(items.map((i) => [i.key as string, i.label]));
    return [byKey(list), byKey(slice), { [one.key as string]: one.label }, byKey(exported)];
  }

  test('a column run: the first text field by default, the chosen label column after PATCH; bad choices refused', { timeout: 120_000 }, async () => {
    const runId = await columnRun();
    const [list, slice, one, exported] = await labels(runId);
    const want = { [rowIds[0]!]: 'Login fails', [rowIds[1]!]: 'T-2', [rowIds[2]!]: `${'x'.repeat(79)}…` };
    assert.deepEqual(list, want, 'the first non-empty text field, at most 80 characters');
    assert.deepEqual(slice, want);
    assert.deepEqual(exported, want);
    assert.equal(Object.values(one!)[0], 'Login fails');

    const patched = await app.call('PATCH', `/v1/tables/${tableId}`, { label_column: 'code' });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.json.label_column, 'code');
    assert.equal((await app.call('GET', `/v1/tables/${tableId}`)).json.label_column, 'code');
    const [after] = await labels(runId);
    assert.deepEqual(after, { [rowIds[0]!]: 'T-1', [rowIds[1]!]: 'T-2', [rowIds[2]!]: 'T-3' }, 'the same run, now labelled by code');

    const bad = await app.call('PATCH', `/v1/tables/${tableId}`, { label_column: 'nope' });
    assert.equal(bad.status, 422, bad.text);
    assert.equal(((bad.json.error as Json).details as Json).field, 'label_column');
    assert.match((bad.json.error as Json).message as string, /nope/);
    assert.equal((await app.call('GET', `/v1/tables/${tableId}`)).json.label_column, 'code', 'a refused choice changes nothing');
    const missing = await app.call('PATCH', '/v1/tables/tbl_missing', { label_column: 'code' });
    assert.equal(missing.status, 404, missing.text);
    const shape = await app.call('PATCH', `/v1/tables/${tableId}`, { label_column: 7 });
    assert.equal(shape.status, 422, shape.text);

    // An editor clears it through the SDK; a viewer may not.
    const viewer = await app.token('viewer', 'labels viewer');
    assert.equal((await app.call('PATCH', `/v1/tables/${tableId}`, { label_column: null }, {}, viewer)).status, 403);
    const client = new RunyardClient({ baseUrl: app.base, token: await app.token('editor', 'labels editor') });
    assert.equal((await client.setTableLabelColumn(tableId, null)).label_column, null);
    assert.deepEqual((await labels(runId))[0], want);
  });

  test('a worker run: its items and its subject carry the subject row label', { timeout: 120_000 }, async () => {
    const w = await app.call('POST', '/v1/workers', { name: 'triage', template_key: 'triage_ticket', model: { model: 'm', base_url: fake.baseUrl } });
    assert.equal(w.status, 201, w.text);
    const r = await app.call('POST', `/v1/workers/${w.json.id as string}/runs`, { subject: { table_id: tableId, row_id: rowIds[0] } });
    assert.equal(r.status, 201, r.text);
    const runId = (r.json.run as Json).id as string;
    assert.equal((await app.finished(runId)).status, 'succeeded');
    const items = await app.items(runId);
    assert.ok(items.length >= 2);
    for (const i of items) assert.equal(i.label, 'Login fails', String(i.key));
    assert.equal(((await app.call('GET', `/v1/runs/${runId}`)).json.subject as Json).label, 'Login fails');
    const listed = ((await app.call('GET', '/v1/runs?kind=worker')).json.data as Json[]).find((x) => x.id === runId)!;
    assert.equal((listed.subject as Json).label, 'Login fails');
    // A column run has no subject: nothing is added.
    const col = await columnRun();
    assert.equal((await app.call('GET', `/v1/runs/${col}`)).json.subject, null);
  });
});
