/** SQLite-only: migrations refuse a newer schema, are idempotent, and are race-safe across processes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { RunyardError } from '../../src/core/errors.js';
import { sqliteMigrations } from '../../src/store/sqlite/migrate.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { newRun, T0, WS } from './conformance.js';

const run = promisify(execFile);

function dbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'runyard-migrate-')), 'runyard.db');
}

function migrationIds(path: string): number[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT id FROM runyard_migrations ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  } finally {
    db.close();
  }
}

const KNOWN = sqliteMigrations().map((m) => m.id);

describe('sqlite migrations', () => {
  test('a database with an unknown migration (9999) → migrate() rejects with schema_too_new and changes nothing', async () => {
    const path = dbPath();
    const first = SqliteStore.open({ path });
    await first.migrate();
    await first.close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO runyard_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(9999, '9999_from_the_future', 0);
    raw.close();

    const store = SqliteStore.open({ path });
    await assert.rejects(store.migrate(), (err: unknown) => {
      assert.ok(err instanceof RunyardError);
      assert.equal(err.code, 'schema_too_new');
      assert.match(err.message, /9999/);
      return true;
    });
    await store.close();
    assert.deepEqual(migrationIds(path), [...KNOWN, 9999]);
  });

  test('migrating twice is a no-op: same schema, same migration rows, data kept', async () => {
    const path = dbPath();
    const store = SqliteStore.open({ path });
    await store.migrate();
    const schema = store.schemaSql();
    const { run: created } = await store.createRun(WS, newRun(WS, { items: 2 }), T0);
    await store.migrate();
    assert.equal(store.schemaSql(), schema);
    assert.equal((await store.getRun(WS, created.id))?.items_total, 2);
    await store.close();
    assert.deepEqual(migrationIds(path), KNOWN);

    const reopened = SqliteStore.open({ path });
    await reopened.migrate();
    assert.equal(reopened.schemaSql(), schema);
    await reopened.close();
    assert.deepEqual(migrationIds(path), KNOWN);
  });

  test('two stores on one file migrating at once both succeed', async () => {
    const path = dbPath();
    const a = SqliteStore.open({ path });
    const b = SqliteStore.open({ path });
    await Promise.all([a.migrate(), b.migrate()]);
    assert.equal(a.schemaSql(), b.schemaSql());
    await Promise.all([a.close(), b.close()]);
    assert.deepEqual(migrationIds(path), KNOWN);
  });

  test('four processes migrating one fresh file at once all succeed', async () => {
    const path = dbPath();
    const moduleUrl = new URL('../../src/store/sqlite/sqlite-store.js', import.meta.url).href;
    const startAt = Date.now() + 400;
    // Each child waits for a common start time so that their migrations really overlap.
    const code = `
      const { SqliteStore } = await import(${JSON.stringify(moduleUrl)});
      await new Promise((r) => setTimeout(r, Math.max(0, ${startAt} - Date.now())));
      const store = SqliteStore.open({ path: ${JSON.stringify(path)} });
      await store.migrate();
      await store.close();
      console.log('ok');`;
    const results = await Promise.all(Array.from({ length: 4 }, () => run(process.execPath, ['--input-type=module', '-e', code], { timeout: 15_000 })));
    for (const r of results) assert.equal(r.stdout.trim(), 'ok', r.stderr);
    assert.deepEqual(migrationIds(path), KNOWN);
    const check = SqliteStore.open({ path });
    await check.migrate();
    await check.close();
  });
});
