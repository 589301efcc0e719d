/**
 * PostgreSQL-only: migrations run under an advisory lock in one transaction (concurrent starts
 * are safe, a failure leaves nothing half-done), refuse a newer schema, match the committed
 * snapshot; opening a bad URL, an unreachable server, an unknown database or wrong
 * credentials fails at once with an error that names what to do.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RunyardError } from '../../src/core/errors.js';
import { postgresMigrations } from '../../src/store/postgres/migrate.js';
import { openPostgresStore } from '../../src/store/postgres/open.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { closedPort } from '../cli/helpers.js';
import { postgresForFile } from '../helpers/postgres.js';
import { newRun, T0, WS } from './conformance.js';

const run = promisify(execFile);
const postgres = postgresForFile();
const KNOWN = postgresMigrations().map((m) => m.id);
const FIX = 'schema changed: run `npm run build && node scripts/db-dump.js` and commit the diff';

async function migrationIds(url: string): Promise<number[]> {
  const rows = await (await postgres()).query<{ id: number }>(url, 'SELECT id FROM runyard_migrations ORDER BY id');
  return rows.map((r) => Number(r.id));
}

async function tableNames(url: string): Promise<string[]> {
  const rows = await (await postgres()).query<{ t: string }>(url, "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
  return rows.map((r) => r.t);
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof RunyardError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    assert.equal(err.details?.['field'], 'database');
    return true;
  });
}

describe('postgres migrations', () => {
  test('schema matches src/store/postgres/schema.snapshot.sql', async () => {
    const snapshotPath = join(packageRoot(), 'src/store/postgres/schema.snapshot.sql');
    assert.ok(existsSync(snapshotPath), `${snapshotPath} is missing: ${FIX}`);
    const store = await openPostgresStore(await (await postgres()).createDatabase(), { listen: false });
    const actual = await store.schemaSql();
    await store.close();
    assert.equal(actual, readFileSync(snapshotPath, 'utf8').replace(/\r\n/g, '\n'), FIX);
  });

  test('a database with an unknown migration (9999) → schema_too_new naming it, and nothing changes', async () => {
    const url = await (await postgres()).createDatabase();
    (await openPostgresStore(url, { listen: false })).close();
    await (await postgres()).query(url, "INSERT INTO runyard_migrations (id, name, applied_at) VALUES (9999, '9999_from_the_future', 0)");
    const tables = await tableNames(url);
    await rejectsWith(openPostgresStore(url, { listen: false }), 'schema_too_new', /migration 9999 .*upgrade Runyard/);
    assert.deepEqual(await migrationIds(url), [...KNOWN, 9999]);
    assert.deepEqual(await tableNames(url), tables);
  });

  test('migrating twice is a no-op: same schema, same migration rows, data kept', async () => {
    const url = await (await postgres()).createDatabase();
    const store = await openPostgresStore(url, { listen: false });
    const schema = await store.schemaSql();
    const { run: created } = await store.createRun(WS, newRun(WS, { items: 2 }), T0);
    await store.migrate();
    assert.equal(await store.schemaSql(), schema);
    assert.equal((await store.getRun(WS, created.id))?.items_total, 2);
    await store.close();
    const again = await openPostgresStore(url, { listen: false });
    assert.equal(await again.schemaSql(), schema);
    await again.close();
    assert.deepEqual(await migrationIds(url), KNOWN);
  });

  test('a migration that fails leaves the schema exactly as it was (one transaction)', async () => {
    const url = await (await postgres()).createDatabase();
    // A table in the way of migration 0002: 0001 applies, then 0002 fails; both must roll back.
    await (await postgres()).query(url, 'CREATE TABLE operations (id TEXT)');
    await rejectsWith(openPostgresStore(url, { listen: false }), 'database_unavailable', /operations.*already exists.*nothing was changed/);
    assert.deepEqual(await tableNames(url), ['operations'], 'no table of 0001 and no runyard_migrations');
  });

  test('six processes migrating one fresh database at once all succeed (advisory lock)', async () => {
    const url = await (await postgres()).createDatabase();
    const moduleUrl = new URL('../../src/store/postgres/open.js', import.meta.url).href;
    const startAt = Date.now() + 1500;
    // Each child connects first, then waits for a common start time so their migrations overlap.
    const code = `
      const { PostgresStore } = await import(${JSON.stringify(new URL('../../src/store/postgres/postgres-store.js', import.meta.url).href)});
      await import(${JSON.stringify(moduleUrl)});
      const store = PostgresStore.open({ url: ${JSON.stringify(url)}, listen: false });
      await store.ping();
      await new Promise((r) => setTimeout(r, Math.max(0, ${startAt} - Date.now())));
      await store.migrate();
      await store.close();
      console.log('ok');`;
    const results = await Promise.all(Array.from({ length: 6 }, () => run(process.execPath, ['--input-type=module', '-e', code], { timeout: 30_000 })));
    for (const r of results) assert.equal(r.stdout.trim(), 'ok', r.stderr);
    assert.deepEqual(await migrationIds(url), KNOWN);
  });
});

describe('opening a postgres database: bad input fails at start, saying what to do', () => {
  test('a malformed URL → validation_failed naming database (and never the password)', async () => {
    for (const url of ['postgres://', 'postgres://user:secret@/db', 'postgres://host:5432', 'postgres://u:secret@host:notaport/db']) {
      await assert.rejects(openPostgresStore(url), (err: unknown) => {
        assert.ok(err instanceof RunyardError);
        assert.equal(err.code, 'validation_failed', url);
        assert.equal(err.details?.['field'], 'database');
        assert.match(err.message, /^database: .*expected postgres:\/\/user:password@host:5432\/database/);
        assert.doesNotMatch(err.message, /secret/);
        return true;
      });
    }
  });

  test('an unreachable server → database_unavailable naming host:port and what to check, within seconds', async () => {
    const port = await closedPort();
    const started = Date.now();
    await rejectsWith(
      openPostgresStore(`postgres://u:secret@127.0.0.1:${port}/db`),
      'database_unavailable',
      new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED.*is the server running`),
    );
    assert.ok(Date.now() - started < 10_000);
  });

  test('an unknown database and wrong credentials → database_unavailable saying which', async () => {
    const server = await postgres();
    const good = new URL(await server.createDatabase());
    const missing = new URL(good);
    missing.pathname = '/no_such_database';
    await rejectsWith(openPostgresStore(missing.toString()), 'database_unavailable', /database "no_such_database" does not exist: create it/);
    if (!server.external) {
      const wrong = new URL(good);
      wrong.password = 'not-the-password';
      await assert.rejects(openPostgresStore(wrong.toString()), (err: unknown) => {
        assert.ok(err instanceof RunyardError);
        assert.match(err.message, /authentication failed for user "postgres": check the user and password/);
        assert.doesNotMatch(err.message, /not-the-password/);
        return true;
      });
    }
  });

  test('the store reads int8 as numbers and the database clock as epoch ms', async () => {
    const store = await (await postgres()).freshStore();
    const t = await store.databaseTime();
    assert.equal(typeof t, 'number');
    assert.ok(Math.abs(t - Date.now()) < 5_000, 'same machine: the clocks agree');
    const { run } = await store.createRun(WS, newRun(WS, { items: 1 }), 2 ** 52);
    assert.equal((await store.getRun(WS, run.id))?.created_at, 2 ** 52);
    await store.close();
    assert.ok(store instanceof PostgresStore);
  });
});
