/**
 * R18 (reduced) on PostgreSQL: three `runyard worker` processes share one database and an
 * every-second schedule for 60 s, as issue 15 asks (`RY_SCHEDULE_SECONDS` to change it); one node is killed with
 * SIGKILL mid-way and replaced. Afterwards: exactly one fire and one run per slot (the unique
 * schedule + slot key), no slot skipped while nodes ran, and every fire the killed node held
 * was routed by another node's sweep.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir, until } from '../helpers/fixtures.js';
import { postgresForFile } from '../helpers/postgres.js';
import { controlEngine, numbersTable, recorderModule, spawnWorker, type WorkerProcess } from '../helpers/cluster.js';

const SECONDS = Number(process.env.RY_SCHEDULE_SECONDS ?? 60);
const postgres = postgresForFile();

test(`three nodes, an every-second schedule for ${SECONDS} s, kill -9 of one: one run per slot`, { timeout: 360_000 }, async () => {
  const server = await postgres();
  const url = await server.createDatabase();
  const dir = tempDir('runyard-sched-');
  const control = await controlEngine(url, dir);
  const live: WorkerProcess[] = await Promise.all([1, 2, 3].map(() => spawnWorker(url)));
  const everyone = [...live];
  try {
    const tableId = await numbersTable(control, 1, recorderModule(dir, join(dir, 'calls.log')));
    const ws = control.workspaceId;
    const s = await control.triggers.schedules.createSchedule(ws, {
      name: 'tick',
      cron: '* * * * * *',
      timezone: 'UTC',
      catch_up: 'none',
      target: { type: 'column', table_id: tableId, column: 'echo' },
      mode: 'dry_run',
    });
    const started = Date.now();
    // Conditions, not fixed times: a third of the slots fired, then the kill; three more slots
    // fired by the survivors, then the replacement; every slot of the window fired, then pause.
    const fired = async (n: number) =>
      until(`${n} slots fired`, 120_000, async () => ((await control.triggers.fires(ws, s.id, 10_000)).length >= n ? true : undefined));
    await fired(Math.floor(SECONDS / 3));
    const victim = live.shift();
    assert.ok(victim);
    await victim.kill('SIGKILL');
    const killedAt = Date.now();
    await fired(Math.floor(SECONDS / 3) + 3);
    const replacement = await spawnWorker(url);
    live.push(replacement);
    everyone.push(replacement);
    await fired(SECONDS);
    await control.triggers.schedules.setScheduleStatus(ws, s.id, 'paused');
    // The killed node's leased fires come back after the fire lease (30 s by default).
    await until('no fire left pending', 90_000, async () =>
      (await control.triggers.fires(ws, s.id, 10_000)).every((f) => f.status !== 'pending') ? true : undefined,
    );
    const fires = await control.triggers.fires(ws, s.id, 10_000);
    const slots = fires.map((f) => f.slot_at ?? 0).sort((a, b) => a - b);
    assert.ok(slots.length >= SECONDS - 3, `${slots.length} slots fired in ${SECONDS} s`);
    assert.equal(new Set(slots).size, slots.length, 'one fire per slot');
    for (let i = 1; i < slots.length; i++)
      assert.equal((slots[i] ?? 0) - (slots[i - 1] ?? 0), 1000, `slot gap before ${new Date(slots[i] ?? 0).toISOString()}`);
    assert.deepEqual(
      fires.filter((f) => f.status !== 'started').map((f) => `${f.cause} ${f.status} ${f.reason ?? ''}`),
      [],
    );
    const runs = await control.store.listRuns(ws, { trigger: ['schedule'] }, { limit: 1000 });
    assert.equal(runs.data.length, fires.length, 'one run per fire');
    assert.equal(new Set(runs.data.map((r) => r.idempotency_key)).size, runs.data.length);
    assert.deepEqual(new Set(runs.data.map((r) => r.id)), new Set(fires.map((f) => f.run_id)));
    console.log(`# ${fires.length} slots over ${SECONDS} s on 3 nodes, node killed at +${Math.round((killedAt - started) / 1000)} s: one run per slot, no gap`);
  } finally {
    await Promise.all(everyone.map((w) => w.kill('SIGKILL')));
    await control.close();
  }
});
