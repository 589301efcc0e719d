/**
 * PostgreSQL migrations: append-only numbered files `NNNN_verb_noun.sql` in `migrations/`
 * (the same numbers and meaning as SQLite's), applied in order in ONE transaction that first
 * takes a transaction-scoped advisory lock. Nodes starting at once queue on the lock and find
 * the work done; DDL is transactional in PostgreSQL, so a failing migration leaves the schema
 * exactly as it was (never half-migrated). A database that has a migration this code does not
 * know is on a newer schema: refuse to start rather than run against it (`schema_too_new`).
 */
import type pg from 'pg';
import { assertKnownMigrations, readMigrations, type Migration } from '../migrations.js';

export type { Migration };

/**
 * Key of the advisory lock that serialises migrations (any fixed 64-bit number; this one is
 * "runyard" in ASCII, so it will not collide with another application's lock by accident).
 */
export const MIGRATION_LOCK_KEY = '0x72756e79617264';

/** The migrations shipped with this code, in order. */
export function postgresMigrations(): Migration[] {
  return readMigrations('store/postgres/migrations');
}

/** Applies every pending migration. @throws RunyardError `schema_too_new` */
export async function applyPostgresMigrations(pool: pg.Pool, now: () => number = Date.now): Promise<void> {
  const all = postgresMigrations();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}::bigint)`);
    await client.query('CREATE TABLE IF NOT EXISTS runyard_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const applied = new Set((await client.query<{ id: number }>('SELECT id FROM runyard_migrations')).rows.map((r) => Number(r.id)));
    assertKnownMigrations(applied, all);
    for (const m of all) {
      if (applied.has(m.id)) continue;
      // No parameters: the simple query protocol runs every statement of the file.
      await client.query(m.sql);
      await client.query('INSERT INTO runyard_migrations (id, name, applied_at) VALUES ($1, $2, $3)', [m.id, m.name, now()]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
