/**
 * Rules shared by every adapter's migrator: migrations are `NNNN_verb_noun.sql` files applied in
 * order, and a database holding a migration this code does not know is on a newer schema.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { RunyardError } from '../core/errors.js';
import { sourceDir } from './source-dir.js';

/** One migration file. */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/** File names a migrator accepts: `0001_create_core_tables.sql`. */
const MIGRATION_FILE = /^\d{4}_[a-z0-9_]+\.sql$/;

/** The migrations shipped in `src/<rel>` (e.g. `store/sqlite/migrations`), in order. */
export function readMigrations(rel: string): Migration[] {
  const dir = sourceDir(rel);
  return readdirSync(dir)
    .filter((f) => MIGRATION_FILE.test(f))
    .sort()
    .map((f) => ({ id: Number(f.slice(0, 4)), name: f.replace(/\.sql$/, ''), sql: readFileSync(`${dir}/${f}`, 'utf8') }));
}

/**
 * Refuses a database that has applied a migration this code does not ship.
 * @throws RunyardError `schema_too_new` naming the newest unknown migration and what to do
 */
export function assertKnownMigrations(applied: Iterable<number>, known: readonly Migration[]): void {
  const ids = new Set(known.map((m) => m.id));
  const unknown = [...applied].filter((id) => !ids.has(id));
  if (unknown.length > 0) {
    throw new RunyardError(
      'schema_too_new',
      `the database has migration ${Math.max(...unknown)} but this Runyard knows up to ${Math.max(0, ...ids)}: upgrade Runyard before starting it on this database`,
      { field: 'database' },
    );
  }
}
