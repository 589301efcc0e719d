/**
 * The console's read endpoints (routes/run-insight.ts) on SQLite and PostgreSQL: the newest
 * event seq, item slices by position with totals and status filters, one item with its
 * attempts rebuilt from events, and a run's timeline; plus the attempt rebuilding rules.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { authedApp, type TestApp } from '../helpers/auth.js';
import { attemptsOf } from '../../src/server/routes/run-insight.js';
import type { Engine } from '../../src/engine/engine.js';
import type { EventRecord } from '../../src/core/model.js';
import { describeEachBackend } from '../helpers/backends.js';
import { tempDir, testEngine, waitForRun, writeModule } from '../helpers/fixtures.js';

type Json = Record<string, unknown> & { error?: { code: string; message: string } };

describeEachBackend('console read API', (backend) => {
  let engine: Engine;
  let app: TestApp;
  const dir = tempDir();
  const get = async (path: string): Promise<{ status: number; json: Json }> => {
    const res = await app.request(path);
    return { status: res.status, json: (await res.json()) as Json };
  };
  const post = async (path: string, body: unknown): Promise<Json> => {
    const res = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.ok(res.ok, `${path}: ${res.status}`);
    return (await res.json()) as Json;
  };

  before(async () => {
    // Every 7th row fails for good; the rest echo their number.
    writeModule(
      dir,
      'sevens.mjs',
      "export default (i) => { if (Number(i.n) % 7 === 0) throw Object.assign(new Error('multiple of 7'), { code: 'seven', retryable: false }); return Number(i.n); };",
    );
    engine = await testEngine({ baseDir: dir, backend });
    app = await authedApp(engine);
    await engine.startExecutor();
  });
  after(async () => {
    await engine.stopExecutor();
    await engine.store.close();
  });

  test('latest seq, slices, item detail with attempts, timeline', async () => {
    assert.deepEqual((await get('/v1/events/latest')).json, { seq: 0 });
    const rows = Array.from({ length: 50 }, (_, n) => ({ n }));
    const table = await post('/v1/tables', { name: 'numbers', format: 'json', data: JSON.stringify(rows) });
    await post(`/v1/tables/${String(table.id)}/columns`, { name: 'echo', producer: 'js', config: { module: 'sevens.mjs', input: { n: '{{n}}' } } });
    const started = await post(`/v1/tables/${String(table.id)}/columns/echo/runs`, {});
    const runId = String(started.id);
    const run = await waitForRun(engine, runId);
    assert.equal(run.status, 'partial');
    assert.equal(run.items_failed, 8); // 0, 7, …, 49

    // The newest seq is the last event of the run, and nothing comes after it.
    const latest = (await get('/v1/events/latest')).json.seq as number;
    const events = await engine.store.listEvents(engine.workspaceId, runId, 0, 1000);
    assert.equal(latest, events.at(-1)!.seq);
    assert.equal((await engine.store.listEvents(engine.workspaceId, null, latest, 10)).length, 0);

    // Slices by position: any offset, the total, and a status filter.
    const mid = await get(`/v1/runs/${runId}/items/slice?offset=20&limit=10`);
    assert.equal(mid.status, 200);
    assert.equal(mid.json.total, 50);
    assert.equal(mid.json.offset, 20);
    assert.deepEqual(
      (mid.json.data as { ordinal: number }[]).map((i) => i.ordinal),
      [20, 21, 22, 23, 24, 25, 26, 27, 28, 29],
    );
    const failed = await get(`/v1/runs/${runId}/items/slice?offset=2&limit=3&status=failed`);
    assert.equal(failed.json.total, 8);
    assert.deepEqual(
      (failed.json.data as { ordinal: number }[]).map((i) => i.ordinal),
      [14, 21, 28],
    );
    const past = await get(`/v1/runs/${runId}/items/slice?offset=500`);
    assert.deepEqual([past.json.data, past.json.total], [[], 50]);
    const bad = await get(`/v1/runs/${runId}/items/slice?status=exploded`);
    assert.equal(bad.status, 422);
    assert.equal(bad.json.error?.code, 'validation_failed');
    assert.match(bad.json.error?.message ?? '', /^status: unknown value "exploded"/);
    assert.equal((await get(`/v1/runs/run_missing/items/slice`)).status, 404);

    // One failed item, retried once: two failed attempts with their errors.
    const seven = (failed.json.data as { id: string }[])[0]!;
    await post(`/v1/runs/${runId}/retry-failed`, {});
    await waitForRun(engine, runId);
    const detail = await get(`/v1/runs/${runId}/items/${seven.id}`);
    assert.equal(detail.status, 200);
    const attempts = detail.json.attempts as {
      attempt: number;
      outcome: string;
      error_code: string | null;
      error_message: string | null;
      node_id: string | null;
    }[];
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.outcome, a.error_code, a.error_message]),
      [
        [1, 'failed', 'seven', 'multiple of 7'],
        [2, 'failed', 'seven', 'multiple of 7'],
      ],
    );
    assert.ok(attempts.every((a) => a.node_id !== null));
    assert.equal((detail.json.item as { id: string }).id, seven.id);
    assert.ok((detail.json.events as { item_id: string }[]).every((e) => e.item_id === seven.id));
    assert.equal((await get(`/v1/runs/${runId}/items/itm_missing`)).status, 404);

    // An item of another run is not found through this run.
    const other = await post(`/v1/tables/${String(table.id)}/columns/echo/runs`, {});
    await waitForRun(engine, String(other.id));
    const wrongRun = await get(`/v1/runs/${String(other.id)}/items/${seven.id}`);
    assert.equal(wrongRun.status, 404);
    assert.equal(wrongRun.json.error?.code, 'not_found');

    // Timeline: phases, statistics over all items, and the first started items.
    const tl = await get(`/v1/runs/${runId}/timeline?limit=5`);
    assert.equal(tl.status, 200);
    const stats = tl.json.stats as Record<string, number | null>;
    assert.equal(stats.items_started, 50);
    assert.equal(stats.items_timed, 50);
    assert.equal(stats.attempts, 58); // 50 first attempts + 8 retries
    assert.equal(stats.items_retried, 8);
    assert.ok((stats.p50_duration_ms ?? -1) >= 0 && (stats.p50_duration_ms ?? 0) <= (stats.p95_duration_ms ?? 0));
    assert.ok((stats.p95_duration_ms ?? 0) <= (stats.max_duration_ms ?? 0));
    const items = tl.json.items as { started_at: string; wait_ms: number | null }[];
    assert.equal(items.length, 5);
    assert.ok(items.every((i, k) => k === 0 || i.started_at >= items[k - 1]!.started_at));
    assert.ok(items.every((i) => i.wait_ms !== null && i.wait_ms >= 0));
    const phases = tl.json.run as { queued_ms: number; running_ms: number };
    assert.ok(phases.queued_ms >= 0 && phases.running_ms >= 0);
  });
});

test('attempts are rebuilt from item events: retries, expired leases, releases, a running attempt', () => {
  const ev = (seq: number, type: string, data: Record<string, unknown>): EventRecord =>
    ({ id: `evt_${seq}`, workspace_id: 'w', run_id: 'r', item_id: 'i', type, data, created_at: 1_000 * seq }) as EventRecord;
  const attempts = attemptsOf([
    ev(1, 'item.started', { attempt: 1, node_id: 'n1' }),
    ev(2, 'item.retrying', { attempt: 1, code: 'timeout', next_attempt_at: 5_000 }),
    ev(5, 'item.started', { attempt: 2, node_id: 'n2' }),
    ev(7, 'item.lease_expired', { attempt: 2, node_id: 'n2' }),
    ev(8, 'item.started', { attempt: 3, node_id: 'n1' }),
    ev(9, 'item.released', { attempt: 3 }),
    ev(10, 'item.started', { attempt: 3, node_id: 'n3' }),
  ]);
  assert.deepEqual(
    attempts.map((a) => [a.attempt, a.node_id, a.outcome, a.duration_ms, a.error_code, a.next_attempt_at]),
    [
      [1, 'n1', 'retrying', 1000, 'timeout', new Date(5_000).toISOString()],
      [2, 'n2', 'lease_expired', 2000, null, null],
      [3, 'n1', 'released', 1000, null, null],
      [3, 'n3', 'running', null, null, null],
    ],
  );
  // An end event whose start was never seen still counts as an attempt.
  assert.deepEqual(
    attemptsOf([ev(3, 'item.succeeded', { attempt: 1, duration_ms: 40 })]).map((a) => [a.attempt, a.outcome, a.started_at, a.duration_ms]),
    [[1, 'succeeded', null, 40]],
  );
});
