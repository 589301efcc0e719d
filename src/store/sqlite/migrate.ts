/**
 * SQLite migrations: append-only numbered files `NNNN_verb_noun.sql` in `migrations/`, applied
 * in order under `BEGIN IMMEDIATE` (two processes starting at once cannot both apply one), each
 * recorded in `runyard_migrations`. A database that has a migration this code does not know is
 * on a newer schema: refuse to start rather than run against it.
 */
import type Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { RunyardError } from '../../core/errors.js';
import { sourceDir } from '../source-dir.js';

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/** The migrations shipped with this code, in order. */
export function sqliteMigrations(): Migration[] {
  const dir = sourceDir('store/sqlite/migrations');
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ id: Number(f.slice(0, 4)), name: f.replace(/\.sql$/, ''), sql: readFileSync(`${dir}/${f}`, 'utf8') }));
}

/** Applies every pending migration. @throws RunyardError `schema_too_new` */
export function applySqliteMigrations(db: Database.Database): void {
  const all = sqliteMigrations();
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('CREATE TABLE IF NOT EXISTS runyard_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const applied = new Set((db.prepare('SELECT id FROM runyard_migrations').all() as { id: number }[]).map((r) => r.id));
    const known = new Set(all.map((m) => m.id));
    const unknown = [...applied].filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new RunyardError(
        'schema_too_new',
        `the database has migration ${Math.max(...unknown)} but this Runyard knows up to ${Math.max(0, ...known)}: upgrade Runyard before starting it on this database`,
        { field: 'database' },
      );
    }
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
