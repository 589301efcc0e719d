/**
 * The store conformance suite against the SQLite adapter without its hot path: the
 * dialect-neutral Kysely forms of the per-item statements (lease, outcome, events, cells), which
 * only PostgreSQL runs in production, run here on SQLite too, so the two forms cannot drift.
 */
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

storeConformance('sqlite without the hot path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runyard-store-'));
  dirs.push(dir);
  const store = SqliteStore.open({ path: join(dir, 'runyard.db'), hotPath: false });
  await store.migrate();
  return store;
});
