/**
 * Opening a PostgreSQL store at a node's start: parse the URL, reach the server, migrate.
 * Every failure is a clear error at start that names what to do; nothing is half-migrated
 * (migrations run in one transaction).
 */
import { RunyardError } from '../../core/errors.js';
import { isConnectionError, unavailable } from './connection.js';
import { PostgresStore, type PostgresOptions } from './postgres-store.js';

/**
 * Opens, checks and migrates the database at `url`.
 * @throws RunyardError `validation_failed` (malformed URL, naming `database`),
 *   `database_unavailable` (unreachable server, unknown database, bad credentials: naming
 *   host:port and what to do), `schema_too_new` (the database is ahead of this code).
 */
export async function openPostgresStore(url: string, opts: Omit<PostgresOptions, 'url'> = {}): Promise<PostgresStore> {
  const store = PostgresStore.open({ ...opts, url });
  try {
    await store.ping();
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    if (err instanceof RunyardError) throw err;
    const code = (err as { code?: unknown }).code;
    if (isConnectionError(err) || code === '3D000' || code === '28P01' || code === '28000') throw unavailable(store.target, err);
    throw new RunyardError(
      'database_unavailable',
      `cannot migrate the PostgreSQL database at ${store.target.where}: ${(err as Error).message}; nothing was changed (migrations run in one transaction): check that the user may create tables in the schema`,
      { field: 'database' },
    );
  }
  return store;
}
