#!/usr/bin/env node
// Writes the committed SQLite schema snapshot (STYLE.md §9): migrates a fresh temp database with
// the compiled store and dumps its schema to src/store/sqlite/schema.snapshot.sql. Run after
// `npm run build`; commit the diff whenever a migration changes the schema.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../dist/src/store/sqlite/sqlite-store.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'src/store/sqlite/schema.snapshot.sql');
const dir = mkdtempSync(join(tmpdir(), 'runyard-dump-'));
try {
  const store = SqliteStore.open({ path: join(dir, 'runyard.db') });
  await store.migrate();
  const schema = store.schemaSql();
  await store.close();
  writeFileSync(out, schema);
  console.log(`wrote ${out} (${schema.length} bytes)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
