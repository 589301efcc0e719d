/** Retention with an injected clock, its schedule, and `startRunyard({ retentionDays })`. */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ManualClock } from '../../src/core/ids.js';
import { silentLogger } from '../../src/engine/logger.js';
import { DAY_MS, Retention } from '../../src/engine/retention.js';
import { startRunyard } from '../../src/server/start.js';
import type { Store } from '../../src/store/port.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { sqliteStore, tempDir } from '../helpers/fixtures.js';
import { seedRun } from '../helpers/seed.js';

const WS = 'wsp_default';
const done = (key: string) => [{ key, outputs: { ok: true } }];

describe('retention', () => {
  let store: Store;
  let clock: ManualClock;
  beforeEach(async () => {
    store = await sqliteStore();
    clock = new ManualClock(Date.UTC(2026, 5, 1));
  });
  afterEach(async () => store.close());

  test('purgeOnce: finished runs older than the period go (items and events too); pinned, recent and unfinished runs stay', async () => {
    const now = clock.now();
    const old = await seedRun(store, { name: 'old', items: done('a'), now: now - 40 * DAY_MS });
    const oldFailed = await seedRun(store, { name: 'old failed', items: [{ key: 'b', error: { code: 'x', message: 'y' } }], now: now - 31 * DAY_MS });
    const pinned = await seedRun(store, { name: 'pinned', items: done('c'), now: now - 90 * DAY_MS });
    await store.setPinned(WS, pinned.id, true, now);
    const recent = await seedRun(store, { name: 'recent', items: done('d'), now: now - 29 * DAY_MS });
    const unfinished = await seedRun(store, { name: 'old but running', items: [{ key: 'e' }], now: now - 100 * DAY_MS });
    const other = await seedRun(store, { ws: 'wsp_other', name: 'other ws', items: done('f'), now: now - 45 * DAY_MS });
    const retention = new Retention({ store, clock, logger: silentLogger, maxAgeMs: 30 * DAY_MS, batch: 1 });

    assert.equal(await retention.purgeOnce(), 3, 'batches of one are repeated until nothing is left');
    for (const [ws, r] of [
      [WS, old],
      [WS, oldFailed],
      ['wsp_other', other],
    ] as const) {
      assert.equal(await store.getRun(ws, r.id), undefined, `${r.name} purged`);
      assert.deepEqual(await store.listEvents(ws, r.id, 0, 10), []);
    }
    for (const r of [pinned, recent, unfinished]) assert.ok(await store.getRun(WS, r.id), `${r.name} kept`);
    assert.equal(await retention.purgeOnce(), 0);

    clock.advance(2 * DAY_MS);
    assert.equal(await retention.purgeOnce(), 1, 'two days later the recent run is past the period');
    assert.equal(await store.getRun(WS, recent.id), undefined);
    await store.setPinned(WS, pinned.id, false, clock.now());
    assert.equal(await retention.purgeOnce(), 1, 'an unpinned run is purged');
    assert.deepEqual(
      (await store.listRuns(WS, {}, { limit: 10 })).data.map((r) => r.id),
      [unfinished.id],
    );
  });

  test('start() purges at once and then on its interval; stop() ends the schedule', async () => {
    const now = clock.now();
    const first = await seedRun(store, { items: done('a'), now: now - 2 * DAY_MS });
    const retention = new Retention({ store, clock, logger: silentLogger, maxAgeMs: DAY_MS, intervalMs: 20 });
    retention.start();
    const waitGone = async (id: string) => {
      for (let i = 0; i < 200 && (await store.getRun(WS, id)); i++) await new Promise((r) => setTimeout(r, 10));
      return (await store.getRun(WS, id)) === undefined;
    };
    assert.ok(await waitGone(first.id), 'purged at start');
    const second = await seedRun(store, { items: done('b'), now: now - 2 * DAY_MS });
    assert.ok(await waitGone(second.id), 'purged by the next tick');
    await retention.stop();
    const third = await seedRun(store, { items: done('c'), now: now - 2 * DAY_MS });
    await new Promise((r) => setTimeout(r, 80));
    assert.ok(await store.getRun(WS, third.id), 'no purge after stop');
  });

  test('startRunyard({ retentionDays }) purges old finished runs at start; invalid values are refused', async () => {
    const dir = tempDir();
    const db = join(dir, 'r.db');
    const seeded = SqliteStore.open({ path: db });
    await seeded.migrate();
    const old = await seedRun(seeded, { items: done('a'), now: Date.now() - 3 * DAY_MS });
    const young = await seedRun(seeded, { items: done('b'), now: Date.now() - DAY_MS / 2 });
    await seeded.close();

    const ry = await startRunyard({ port: 0, dataDir: dir, databaseUrl: db, logger: silentLogger, executor: false, retentionDays: 1 });
    try {
      let gone = false;
      for (let i = 0; i < 200 && !gone; i++) {
        gone = (await ry.engine.store.getRun(WS, old.id)) === undefined;
        if (!gone) await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(gone, 'the 3-day-old run was purged at start');
      assert.ok(await ry.engine.store.getRun(WS, young.id), 'the 12-hour-old run stays');
    } finally {
      await ry.close();
    }
    for (const bad of [-1, 1.5, 40_000]) {
      await assert.rejects(startRunyard({ port: 0, dataDir: dir, databaseUrl: db, logger: silentLogger, retentionDays: bad }), /retention days/);
    }
  });
});
