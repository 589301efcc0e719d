/**
 * Bulk operations over a real SQLite file, with an injected clock and fake cancel /
 * retry-failed actions that record their calls (delete is the store's own).
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IllegalTransitionError, RunyardError } from '../../src/core/errors.js';
import { ManualClock, ulidIds } from '../../src/core/ids.js';
import type { RunRecord } from '../../src/core/model.js';
import { silentLogger } from '../../src/engine/logger.js';
import { OperationsService, type RunActions } from '../../src/engine/operations.js';
import type { OperationRecord, Store } from '../../src/store/port.js';
import { sqliteStore } from '../helpers/fixtures.js';
import { seedRun } from '../helpers/seed.js';

const WS = 'wsp_default';

/** A gate a fake action can wait on. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('bulk operations', () => {
  let store: Store;
  let clock: ManualClock;
  let calls: { action: string; runId: string }[];
  let fakes: { cancel: RunActions['cancel']; retryFailed: RunActions['retryFailed'] };

  function service(batch = 2, actions: Partial<RunActions> = {}): OperationsService {
    return new OperationsService({
      store,
      clock,
      ids: ulidIds(),
      logger: silentLogger,
      actions: { delete: (ws, id) => store.deleteRun(ws, id), ...fakes, ...actions },
      options: { batch, heartbeatMs: 60_000, staleMs: 120_000 },
    });
  }

  /** Three finished runs (2 succeeded, 1 partial), two running, one queued, all named "bulk …"; and one "other" finished run. */
  async function seed(): Promise<{ finished: RunRecord[]; active: RunRecord[]; other: RunRecord }> {
    const t = clock.now();
    const finished = [
      await seedRun(store, { name: 'bulk a', items: [{ key: 'a', outputs: { v: 1 } }], now: t }),
      await seedRun(store, { name: 'bulk b', items: [{ key: 'b', outputs: { v: 2 } }], now: t }),
      await seedRun(store, {
        name: 'bulk c',
        items: [
          { key: 'c', outputs: { v: 3 } },
          { key: 'd', error: { code: 'bad', message: 'no' } },
        ],
        now: t,
      }),
    ];
    const other = await seedRun(store, { name: 'other', items: [{ key: 'x', outputs: {} }], now: t });
    const active = [
      await seedRun(store, { name: 'bulk running 1', items: [{ key: 'p' }], now: t }),
      await seedRun(store, { name: 'bulk running 2', items: [{ key: 'q' }], now: t }),
    ];
    active.push(await seedRun(store, { name: 'bulk queued', items: [{ key: 'r' }], now: t, queued: true }));
    assert.deepEqual(
      finished.map((r) => r.status),
      ['succeeded', 'succeeded', 'partial'],
    );
    assert.deepEqual(
      active.map((r) => r.status),
      ['running', 'running', 'queued'],
    );
    return { finished, active, other };
  }

  beforeEach(async () => {
    store = await sqliteStore();
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    calls = [];
    fakes = {
      cancel: async (_ws, runId) => {
        calls.push({ action: 'cancel', runId });
      },
      retryFailed: async (_ws, runId) => {
        calls.push({ action: 'retry_failed', runId });
      },
    };
  });
  afterEach(async () => {
    await store.close();
  });

  test('delete by filter: only finished matches go; progress counts; the record is durable and listed', async () => {
    const { finished, active, other } = await seed();
    const ops = service();
    const op = await ops.start(WS, 'delete', { name: 'bulk' });
    assert.equal(op.status, 'running');
    assert.equal(op.total, 3, 'the delete filter is narrowed to finished runs');
    assert.deepEqual(op.filter.status, ['succeeded', 'partial', 'failed', 'canceled']);
    assert.equal((await ops.list(WS, { limit: 10 })).data[0]?.id, op.id);
    await ops.idle();
    const done = await ops.get(WS, op.id);
    assert.deepEqual([done.status, done.total, done.succeeded, done.failed, done.error], ['succeeded', 3, 3, 0, null]);
    assert.equal(done.finished_at, clock.now());
    for (const r of finished) assert.equal(await store.getRun(WS, r.id), undefined);
    for (const r of [...active, other]) assert.ok(await store.getRun(WS, r.id), `${r.name} stays`);
  });

  test('cancel: refusals (illegal_transition) count as failed runs, not a failed operation', async () => {
    const { active } = await seed();
    const refused = active[1]?.id ?? '';
    const ops = service(2, {
      cancel: async (_ws, runId) => {
        calls.push({ action: 'cancel', runId });
        if (runId === refused) throw new IllegalTransitionError('run', runId, 'succeeded', 'canceled');
      },
    });
    const op = await ops.start(WS, 'cancel', { name: 'bulk' });
    assert.equal(op.total, 3, 'cancel is narrowed to unfinished runs');
    await ops.idle();
    const done = await ops.get(WS, op.id);
    assert.deepEqual([done.status, done.total, done.succeeded, done.failed], ['succeeded', 3, 2, 1]);
    assert.match(done.error ?? '', /1 of 3 runs refused; first: run .* is succeeded; it cannot become canceled/);
    assert.deepEqual(
      calls.map((c) => c.runId),
      active.map((r) => r.id).reverse(),
      'each unfinished match once, newest first',
    );
  });

  test('retry_failed goes through the injected action; an unexpected error fails the operation with the counts so far', async () => {
    const { finished } = await seed();
    let n = 0;
    const ops = service(1, {
      retryFailed: async (_ws, runId) => {
        calls.push({ action: 'retry_failed', runId });
        n += 1;
        if (n === 2) throw new Error('connection reset');
      },
    });
    const op = await ops.start(WS, 'retry_failed', { status: ['succeeded', 'partial'], name: 'bulk' });
    assert.equal(op.total, 3);
    await ops.idle();
    const done = await ops.get(WS, op.id);
    assert.deepEqual([done.status, done.succeeded, done.failed, done.error], ['failed', 1, 0, 'connection reset']);
    assert.notEqual(done.finished_at, null);
    assert.deepEqual(
      calls.map((c) => c.runId),
      [finished[2]?.id, finished[1]?.id],
    );
  });

  test('a database_unavailable error is not a per-run refusal: the operation fails', async () => {
    await seed();
    const ops = service(2, {
      cancel: async () => {
        throw new RunyardError('database_unavailable', 'database is locked');
      },
    });
    const op = await ops.start(WS, 'cancel', { name: 'bulk' });
    await ops.idle();
    const done = await ops.get(WS, op.id);
    assert.deepEqual([done.status, done.failed, done.error], ['failed', 0, 'database is locked']);
  });

  test('progress is visible while it runs; runs created after the start are not visited', async () => {
    const { active } = await seed();
    const g = gate();
    let entered = 0;
    const ops = service(1, {
      cancel: async (_ws, runId) => {
        entered += 1;
        calls.push({ action: 'cancel', runId });
        if (entered === 2) await g.wait;
      },
    });
    const op = await ops.start(WS, 'cancel', { name: 'bulk' });
    await until('the second cancel', async () => entered === 2);
    const mid = await ops.get(WS, op.id);
    assert.deepEqual([mid.status, mid.total, mid.succeeded, mid.failed], ['running', 3, 1, 0]);
    assert.deepEqual(
      (await ops.list(WS, { limit: 5 })).data.map((o) => [o.id, o.status]),
      [[op.id, 'running']],
    );
    clock.advance(1000);
    const late = await seedRun(store, { name: 'bulk late', items: [{ key: 'z' }], now: clock.now() });
    g.open();
    await ops.idle();
    const done = await ops.get(WS, op.id);
    assert.deepEqual([done.status, done.succeeded], ['succeeded', 3]);
    assert.ok(!calls.some((c) => c.runId === late.id), 'the run created later was not canceled');
    assert.deepEqual(new Set(calls.map((c) => c.runId)), new Set(active.map((r) => r.id)));
  });

  test('invalid filters are refused before anything is recorded', async () => {
    const ops = service();
    await assert.rejects(ops.start(WS, 'delete', {}), (e: RunyardError) => e.code === 'validation_failed' && e.details?.['field'] === 'filter');
    await assert.rejects(
      ops.start(WS, 'delete', { status: ['running', 'queued'] }),
      (e: RunyardError) => e.code === 'validation_failed' && e.details?.['field'] === 'filter.status',
    );
    await assert.rejects(ops.start(WS, 'cancel', { status: ['succeeded'] }), (e: RunyardError) => e.details?.['field'] === 'filter.status');
    assert.deepEqual((await ops.list(WS, { limit: 5 })).data, []);
    await assert.rejects(ops.get(WS, 'op_missing'), (e: RunyardError) => e.code === 'not_found');
  });

  test('stop() interrupts an operation in progress: it ends failed, not running forever', async () => {
    await seed();
    const g = gate();
    const ops = service(1, {
      cancel: async (_ws, runId) => {
        calls.push({ action: 'cancel', runId });
        await g.wait;
      },
    });
    const op = await ops.start(WS, 'cancel', { name: 'bulk' });
    await until('the first cancel', async () => calls.length === 1);
    const stopped = ops.stop();
    g.open();
    await stopped;
    const done = await ops.get(WS, op.id);
    assert.equal(done.status, 'failed');
    assert.match(done.error ?? '', /interrupted/);
    assert.equal(calls.length, 1);
    await assert.rejects(ops.start(WS, 'cancel', { name: 'bulk' }), (e: RunyardError) => e.code === 'conflict');
  });

  test('sweep: an operation left running by a dead node is marked failed once stale', async () => {
    const orphan: OperationRecord = {
      id: 'op_orphan',
      workspace_id: WS,
      action: 'delete',
      filter: { name: 'x' },
      status: 'running',
      total: 5,
      succeeded: 2,
      failed: 0,
      error: null,
      created_at: clock.now(),
      updated_at: clock.now(),
      finished_at: null,
    };
    await store.createOperation(orphan);
    const ops = service();
    clock.advance(60_000);
    assert.equal(await ops.sweep(), 0, 'not stale yet');
    clock.advance(61_000);
    assert.equal(await ops.sweep(), 1);
    const swept = await ops.get(WS, orphan.id);
    assert.deepEqual([swept.status, swept.succeeded, swept.finished_at], ['failed', 2, clock.now()]);
  });
});
