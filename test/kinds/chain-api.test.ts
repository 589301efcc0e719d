/**
 * What a kind writes, through the engine and the HTTP API, on both databases (issue 11, points
 * 2 and 3): the `chain` test kind sets its run's phase at each step and a result summary at its
 * end, written with the completion or answer that planned them and shown by `GET /v1/runs/{id}`
 * (with a `run.phase` event per change in the run's events); its rows sink upserts each step's
 * output into a table by key, so a rerun leaves one row per key, and a dry run writes none.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { createKindRegistry } from '../../src/kinds/index.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { authedApp, type TestApp } from '../helpers/auth.js';
import { describeEachBackend } from '../helpers/backends.js';
import { FAST, tempDir, until, waitForRun, writeModule } from '../helpers/fixtures.js';

type Json = Record<string, unknown>;

describeEachBackend('chain kind through the API: phase, result summary, rows sink', (backend) => {
  let engine: Engine;
  let app: TestApp;

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json; text: string }> {
    const init: RequestInit = { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) };
    const res = await app.request(path, init);
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, text };
  }

  async function newTable(name: string, csv: string): Promise<string> {
    const t = await call('POST', '/v1/tables', { name, format: 'csv', data: csv });
    assert.equal(t.status, 201, t.text);
    return t.json.id as string;
  }

  async function rowsOf(tableId: string): Promise<{ ordinal: number; data: Json }[]> {
    const res = await call('GET', `/v1/tables/${tableId}/rows?limit=100`);
    assert.equal(res.status, 200, res.text);
    return (res.json.data as { ordinal: number; data: Json }[]).map((r) => ({ ordinal: r.ordinal, data: r.data }));
  }

  /** Waits for the run to wait at its input step, checks its phase there, and answers it. */
  async function answerWait(runId: string, phase: string, answer: Json): Promise<void> {
    const waiting = await until('the chain to wait for its answer', 20_000, async () => {
      const r = await call('GET', `/v1/runs/${runId}`);
      return r.json.status === 'waiting_for_input' ? r.json : undefined;
    });
    assert.equal(waiting.phase, phase, 'GET /v1/runs shows the phase while the run waits');
    const items = (await engine.store.listItems(engine.workspaceId, runId, {}, { limit: 100 })).data;
    const item = items.find((i) => i.status === 'waiting_for_input');
    assert.ok(item);
    const res = await call('POST', `/v1/runs/${runId}/items/${item.id}/respond`, { answer });
    assert.equal(res.status, 200, res.text);
  }

  before(async () => {
    const dir = tempDir();
    writeModule(dir, 'step.mjs', "export default (input) => ({ id: 'k' + input.step, step: Number(input.step), note: input.note ?? null });");
    const { store } = await backend.open();
    const kinds = createKindRegistry({ testKinds: true });
    engine = createEngine({ store, producers: createProducerRegistry({ baseDir: dir }), options: FAST, kinds });
    app = await authedApp(engine);
    await engine.startExecutor();
  });

  after(async () => {
    await engine.stopExecutor();
    await engine.store.close();
  });

  const target = (tableId: string, note: string, waitAt?: number) => ({
    type: 'chain',
    steps: 3,
    ...(waitAt === undefined ? {} : { wait_at: waitAt }),
    producer: 'js',
    config: { module: 'step.mjs', input: { step: '{{step}}', note } },
    sink: { table_id: tableId, key: 'id' },
  });

  test(
    'phase per step and the summary at the end are visible in GET /v1/runs/{id}; rows land by key; a rerun replaces them',
    { timeout: 120_000 },
    async () => {
      const tableId = await newTable('chain out', 'id,step\nseed,-1\n');
      const created = await call('POST', '/v1/runs', { target: target(tableId, 'first', 1) });
      assert.equal(created.status, 201, created.text);
      const runId = created.json.id as string;
      assert.equal(created.json.kind, 'chain');
      assert.equal(created.json.phase, 'step_0', 'the first phase the kind planned');
      assert.equal(created.json.result_summary, null);

      await answerWait(runId, 'step_1', { id: 'k1', answered: true });
      await waitForRun(engine, runId);
      const done = await call('GET', `/v1/runs/${runId}`);
      assert.equal(done.status, 200, done.text);
      assert.equal(done.json.status, 'succeeded');
      assert.equal(done.json.phase, null, 'the last step cleared the phase');
      assert.equal(done.json.result_summary, '3 steps done');
      assert.deepEqual(done.json.output, { steps: 3, last: { value: { id: 'k2', step: 2, note: 'first' } } });

      const events = await call('GET', `/v1/runs/${runId}/events`);
      const phases = (events.json.data as { type: string; data: Json }[]).filter((e) => e.type === 'run.phase').map((e) => [e.data.from, e.data.to]);
      assert.deepEqual(phases, [
        ['step_0', 'step_1'],
        ['step_1', 'step_2'],
        ['step_2', null],
      ]);

      const rows = await rowsOf(tableId);
      assert.deepEqual(rows, [
        { ordinal: 0, data: { id: 'seed', step: '-1' } },
        { ordinal: 1, data: { id: 'k0', step: 0, note: 'first' } },
        { ordinal: 2, data: { id: 'k1', answered: true } },
        { ordinal: 3, data: { id: 'k2', step: 2, note: 'first' } },
      ]);

      // A rerun (pin=version) executes every step again: the same keys, the rows replaced in place.
      const again = await call('POST', `/v1/runs/${runId}/rerun`, { pin: 'version' });
      assert.equal(again.status, 201, again.text);
      const rerunId = again.json.id as string;
      assert.equal(again.json.phase, 'step_0');
      await answerWait(rerunId, 'step_1', { id: 'k1', answered: 'again' });
      assert.equal((await waitForRun(engine, rerunId)).status, 'succeeded');
      const after = await rowsOf(tableId);
      assert.equal(after.length, 4, 'a replayed rows sink adds no row');
      assert.deepEqual(after[2], { ordinal: 2, data: { id: 'k1', answered: 'again' } });
      const table = await call('GET', `/v1/tables/${tableId}`);
      assert.equal(table.json.row_count, 4);
      assert.deepEqual(table.json.fields, ['id', 'step', 'note', 'answered']);
    },
  );

  test('a dry run of a chain with a rows sink writes no row', { timeout: 60_000 }, async () => {
    const tableId = await newTable('dry out', 'id\n');
    const { run } = await engine.runs.startRun(engine.workspaceId, target(tableId, 'dry'), { mode: 'dry_run' });
    const done = await waitForRun(engine, run.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.items_total, 3, 'the chain still advanced');
    assert.equal(done.result_summary, '3 steps done');
    assert.deepEqual(await rowsOf(tableId), []);
    assert.equal((await call('GET', `/v1/tables/${tableId}`)).json.row_count, 0);
  });

  test('a sink naming an unknown table (404) or no key field (422 naming target.sink.key) is refused', async () => {
    const res = await call('POST', '/v1/runs', { target: target('tbl_nope', 'x') });
    assert.equal(res.status, 404, res.text);
    const bad = await call('POST', '/v1/runs', { target: { ...target('tbl_nope', 'x'), sink: { table_id: 'tbl_nope' } } });
    assert.equal(bad.status, 422, bad.text);
    assert.equal((bad.json.error as { details: Json }).details.field, 'target.sink.key');
  });
});
