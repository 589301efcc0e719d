/**
 * `runyard runs delete|export|pin|unpin|bulk` and `runyard operations`, spawning the real
 * binary against a server started in-process (no executor; runs are seeded through the store).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { silentLogger } from '../../src/engine/logger.js';
import { startRunyard, type RunningRunyard } from '../../src/server/start.js';
import type { Operation, Run } from '../../src/sdk/client.js';
import type { RunRecord } from '../../src/core/model.js';
import { runCli, type Result, useToken } from './helpers.js';
import { seedRun } from '../helpers/seed.js';

const dir = mkdtempSync(join(tmpdir(), 'runyard-cli-admin-'));
let server: RunningRunyard;
const cli = (args: string[]): Promise<Result> => runCli(args, { RUNYARD_URL: server.url });

async function json<T>(args: string[]): Promise<T> {
  const r = await cli([...args, '--json']);
  assert.equal(r.code, 0, `runyard ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

const finished = (name: string, n = 2) =>
  seedRun(server.engine.store, {
    name,
    items: Array.from({ length: n }, (_, i) => (i % 2 ? { key: `k${i}`, error: { code: 'bad', message: '=oops' } } : { key: `=k${i}`, outputs: { i } })),
  });

before(async () => {
  server = await startRunyard({ port: 0, dataDir: dir, databaseUrl: join(dir, 'r.db'), logger: silentLogger, executor: false });
  useToken(server.adminToken);
});
after(async () => {
  await server.close(1000);
  rmSync(dir, { recursive: true, force: true });
});

describe('runyard runs delete|export|pin|unpin|bulk, operations', () => {
  test('runs export RUN: stdout in each format; --output infers the format, refuses to overwrite, --force replaces', async () => {
    const run = await finished('export me', 3);
    const nd = await cli(['runs', 'export', run.id, '--format', 'ndjson']);
    assert.equal(nd.code, 0, nd.stderr);
    const lines = nd.stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.equal((JSON.parse(lines[0] ?? '') as Run).id, run.id);
    const csv = await cli(['runs', 'export', run.id, '--format', 'csv']);
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    assert.deepEqual(
      rows.map((r) => [r.key, r.status, r.error_message]),
      [
        ["'=k0", 'succeeded', ''],
        ['k1', 'failed', "'=oops"],
        ["'=k2", 'succeeded', ''],
      ],
    );
    const doc = JSON.parse((await cli(['runs', 'export', run.id])).stdout) as { run: Run; items: unknown[] };
    assert.deepEqual([doc.run.id, doc.items.length], [run.id, 3], 'json by default');

    const out = join(dir, 'out.csv');
    const first = await json<{ path: string; format: string; bytes: number }>(['runs', 'export', run.id, '--output', out]);
    assert.deepEqual(first, { path: out, format: 'csv', bytes: Buffer.byteLength(csv.stdout) });
    assert.equal(readFileSync(out, 'utf8'), csv.stdout);
    const again = await cli(['runs', 'export', run.id, '--output', out]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists; add --force/);
    writeFileSync(out, 'old');
    const forced = await cli(['runs', 'export', run.id, '--output', out, '--force', '--format', 'ndjson']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(readFileSync(out, 'utf8'), nd.stdout);
    assert.match(forced.stderr, /Wrote \d+ bytes of ndjson/);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('.partial-')),
      [],
      'no temporary file is left',
    );
  });

  test('runs export: usage errors exit 2 without creating a file; an unknown run exits 1 without creating a file', async () => {
    const run = await finished('usage');
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    const cases: [string[], RegExp][] = [
      [['runs', 'export', run.id, '--format', 'xlsx'], /expected json, ndjson, csv/],
      [['runs', 'export', run.id, '--name', 'x'], /a run id or filters, not both/],
      [['runs', 'export', run.id, '--output', sub, '--force'], /is a directory/],
      [['runs', 'export', '--status', 'bogus'], /unknown status/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const missing = join(dir, 'missing.json');
    const r = await cli(['runs', 'export', 'run_missing', '--output', missing]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not_found/);
    assert.equal(existsSync(missing), false);
  });

  test('runs export with filters: the selected runs, newest first', async () => {
    const a = await finished('filtered export A');
    const b = await finished('filtered export B');
    const r = await cli(['runs', 'export', '--name', 'filtered export', '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as Run).id),
      [b.id, a.id],
    );
  });

  test('runs pin / unpin', async () => {
    const run = await finished('pin me');
    assert.equal((await json<Run>(['runs', 'pin', run.id])).pinned, true);
    const human = await cli(['runs', 'unpin', run.id]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /Unpinned run/);
    assert.equal((await server.engine.store.getRun('wsp_default', run.id))?.pinned, false);
    assert.equal((await cli(['runs', 'pin', 'run_missing'])).code, 1);
  });

  test('runs delete RUN; an unfinished run exits 1 naming its status', async () => {
    const run = await finished('delete one');
    assert.deepEqual(await json(['runs', 'delete', run.id]), { id: run.id, deleted: true });
    assert.equal(await server.engine.store.getRun('wsp_default', run.id), undefined);
    const active = await seedRun(server.engine.store, { name: 'still going', items: [{ key: 'a' }] });
    const r = await cli(['runs', 'delete', active.id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /conflict: run .* is running/);
  });

  test('runs delete <filters>: a preview count without --yes (nothing deleted); --yes deletes and follows the operation', async () => {
    const runs: RunRecord[] = [];
    for (let i = 0; i < 3; i++) runs.push(await finished(`purge batch ${i}`));
    const active = await seedRun(server.engine.store, { name: 'purge batch running', items: [{ key: 'a' }] });
    const preview = await cli(['runs', 'delete', '--name', 'purge batch']);
    assert.equal(preview.code, 0, preview.stderr);
    assert.match(preview.stdout, /^3 runs match\. Nothing was changed: add --yes to delete them\./);
    assert.deepEqual(await json(['runs', 'delete', '--name', 'purge batch']), { action: 'delete', count: 3, started: false });
    for (const r of runs) assert.ok(await server.engine.store.getRun('wsp_default', r.id), 'the preview deleted nothing');

    const op = await json<Operation>(['runs', 'delete', '--name', 'purge batch', '--yes']);
    assert.deepEqual([op.action, op.status, op.total, op.succeeded, op.failed], ['delete', 'succeeded', 3, 3, 0]);
    for (const r of runs) assert.equal(await server.engine.store.getRun('wsp_default', r.id), undefined);
    assert.ok(await server.engine.store.getRun('wsp_default', active.id), 'the running run stays');
    const human = await cli(['operations', 'get', op.id]);
    assert.match(human.stdout, /3\/3 runs: 3 succeeded, 0 refused/);
  });

  test('runs bulk: preview counts narrowed per action; usage errors exit 2', async () => {
    await finished('bulkcli done');
    await seedRun(server.engine.store, { name: 'bulkcli running', items: [{ key: 'a' }] });
    await seedRun(server.engine.store, { name: 'bulkcli queued', items: [{ key: 'a' }], queued: true });
    assert.deepEqual(await json(['runs', 'bulk', 'cancel', '--name', 'bulkcli']), { action: 'cancel', count: 2, started: false });
    assert.deepEqual(await json(['runs', 'bulk', 'delete', '--name', 'bulkcli']), { action: 'delete', count: 1, started: false });
    assert.deepEqual(await json(['runs', 'bulk', 'retry-failed', '--name', 'bulkcli']), { action: 'retry_failed', count: 3, started: false });
    const cases: [string[], RegExp][] = [
      [['runs', 'bulk', 'explode', '--name', 'x'], /expected cancel, retry-failed or delete/],
      [['runs', 'bulk', 'delete'], /give at least one filter/],
      [['runs', 'bulk', 'delete', '--status', 'running'], /--status: runs in running cannot be deleted/],
      [['runs', 'bulk', 'cancel', '--status', 'succeeded', '--yes'], /--status: runs in succeeded cannot be canceled/],
      [['runs', 'delete'], /give at least one filter/],
      [['runs', 'delete', 'run_x', '--status', 'failed'], /a run id or filters, not both/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  test('runs bulk delete --yes --detach; operations list and get --watch', async () => {
    for (let i = 0; i < 2; i++) await finished(`detach ${i}`);
    const op = await json<Operation>(['runs', 'bulk', 'delete', '--name', 'detach', '--yes', '--detach']);
    assert.equal(op.action, 'delete');
    assert.equal(op.total, 2);
    const watched = await json<Operation>(['operations', 'get', op.id, '--watch']);
    assert.deepEqual([watched.id, watched.status, watched.succeeded], [op.id, 'succeeded', 2]);
    const list = await json<{ data: Operation[] }>(['operations', 'list', '--limit', '1']);
    assert.deepEqual(
      list.data.map((o) => o.id),
      [op.id],
    );
    const table = await cli(['operations', 'list']);
    assert.match(table.stdout, new RegExp(`${op.id} │ delete │ succeeded`));
    const missing = await cli(['operations', 'get', 'op_missing']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /not_found/);
  });
});
