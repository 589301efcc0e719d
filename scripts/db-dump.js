#!/usr/bin/env node
// Writes the committed schema snapshots (STYLE.md §9): migrates a fresh SQLite file and a fresh
// PostgreSQL database (an embedded server, or RUNYARD_TEST_DATABASE_URL's) with the compiled
// stores and dumps their schemas to src/store/{sqlite,postgres}/schema.snapshot.sql. Run after
// `npm run build`; commit the diff whenever a migration changes a schema.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../dist/src/store/sqlite/sqlite-store.js';
import { openPostgresStore } from '../dist/src/store/postgres/open.js';
import { startPostgres } from '../dist/test/helpers/postgres.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const dir = mkdtempSync(join(tmpdir(), 'runyard-dump-'));
try {
  const store = SqliteStore.open({ path: join(dir, 'runyard.db') });
  await store.migrate();
  write('sqlite', store.schemaSql());
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const server = await startPostgres();
try {
  const store = await openPostgresStore(await server.createDatabase(), { listen: false });
  write('postgres', await store.schemaSql());
  await store.close();
} finally {
  await server.stop();
}

function write(dialect, schema) {
  const out = join(root, `src/store/${dialect}/schema.snapshot.sql`);
  writeFileSync(out, schema);
  console.log(`wrote ${out} (${schema.length} bytes)`);
}
