/** SQLite-only: the committed schema snapshot matches a freshly migrated database. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const FIX = 'schema changed: run `node scripts/db-dump.js` and commit the diff';

/** The package root (the nearest folder with package.json), from src/ or dist/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found');
    dir = up;
  }
  return dir;
}

test('sqlite schema matches src/store/sqlite/schema.snapshot.sql', async () => {
  const snapshotPath = join(packageRoot(), 'src/store/sqlite/schema.snapshot.sql');
  assert.ok(existsSync(snapshotPath), `${snapshotPath} is missing: ${FIX}`);
  const dir = mkdtempSync(join(tmpdir(), 'runyard-schema-'));
  try {
    const store = SqliteStore.open({ path: join(dir, 'runyard.db') });
    await store.migrate();
    const actual = store.schemaSql();
    await store.close();
    const committed = readFileSync(snapshotPath, 'utf8').replace(/\r\n/g, '\n');
    assert.equal(actual, committed, FIX);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
