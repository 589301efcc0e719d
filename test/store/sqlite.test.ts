/** The store conformance suite against the SQLite adapter, on a real temp file per test. */
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { storeConformance } from './conformance.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

storeConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runyard-store-'));
  dirs.push(dir);
  const store = SqliteStore.open({ path: join(dir, 'runyard.db') });
  await store.migrate();
  return store;
});
