/** `runyard up --retention-days N` / `RUNYARD_RETENTION_DAYS` as a real process. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS } from '../../src/engine/retention.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { spawnRunyard, type RunyardProcess } from '../helpers/proc.js';
import { seedRun } from '../helpers/seed.js';
import { runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'runyard-retention-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function seeded(name: string): Promise<{ db: string; old: string; pinned: string; young: string }> {
  const db = join(dir, `${name}.db`);
  const store = SqliteStore.open({ path: db });
  await store.migrate();
  const done = [{ key: 'a', outputs: { ok: true } }];
  const old = await seedRun(store, { items: done, now: Date.now() - 10 * DAY_MS });
  const pinned = await seedRun(store, { items: done, now: Date.now() - 10 * DAY_MS });
  await store.setPinned('wsp_default', pinned.id, true, Date.now());
  const young = await seedRun(store, { items: done, now: Date.now() - DAY_MS });
  await store.close();
  return { db, old: old.id, pinned: pinned.id, young: young.id };
}

async function status(ry: RunyardProcess, runId: string): Promise<number> {
  return (await ry.fetch(`${ry.url}/v1/runs/${runId}`)).status;
}

describe('runyard up retention', () => {
  for (const [how, args, env] of [
    ['--retention-days 7', ['--retention-days', '7'], {}],
    ['RUNYARD_RETENTION_DAYS=7', [], { RUNYARD_RETENTION_DAYS: '7' }],
  ] as const) {
    test(`${how}: finished unpinned runs older than 7 days are purged at start`, async () => {
      const s = await seeded(how.replace(/\W+/g, '_'));
      const ry = await spawnRunyard(['--database', s.db, '--no-executor', ...args], env);
      try {
        let gone = false;
        for (let i = 0; i < 100 && !gone; i++) {
          gone = (await status(ry, s.old)) === 404;
          if (!gone) await new Promise((r) => setTimeout(r, 50));
        }
        assert.ok(gone, 'the 10-day-old run was purged');
        assert.equal(await status(ry, s.pinned), 200, 'the pinned run stays');
        assert.equal(await status(ry, s.young), 200, 'the 1-day-old run stays');
      } finally {
        await ry.kill();
      }
    });
  }

  test('invalid values: the flag is a usage error (exit 2); the variable a start error (exit 1)', async () => {
    for (const v of ['-1', 'abc', '1.5', '40000']) {
      const r = await runCli(['up', '--port', '0', '--data-dir', join(dir, 'bad'), '--retention-days', v]);
      assert.equal(r.code, 2, `${v}: ${r.stderr}`);
    }
    const env = await runCli(['up', '--port', '0', '--data-dir', join(dir, 'bad')], { RUNYARD_RETENTION_DAYS: 'ten' });
    assert.equal(env.code, 1);
    assert.match(env.stderr, /retention days: expected an integer .* got "ten"/);
  });
});
