/**
 * SQLite migrations: append-only numbered files `NNNN_verb_noun.sql` in `migrations/`, applied
 * in order under `BEGIN IMMEDIATE` (two processes starting at once cannot both apply one), each
 * recorded in `runyard_migrations`. A database that has a migration this code does not know is
 * on a newer schema: refuse to start rather than run against it.
 */
import type Database from 'better-sqlite3';
import { assertKnownMigrations, readMigrations, type Migration } from '../migrations.js';

export type { Migration };

/** The migrations shipped with this code, in order. */
export function sqliteMigrations(): Migration[] {
  return readMigrations('store/sqlite/migrations');
}

/** Applies every pending migration. @throws RunyardError `schema_too_new` */
export function applySqliteMigrations(db: Database.Database): void {
  const all = sqliteMigrations();
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('CREATE TABLE IF NOT EXISTS runyard_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const applied = new Set((db.prepare('SELECT id FROM runyard_migrations').all() as { id: number }[]).map((r) => r.id));
    assertKnownMigrations(applied, all);
    for (const m of all) {
      if (applied.has(m.id)) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO runyard_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(m.id, m.name, Date.now());
    }
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
