/**
 * Opens a second connection to a store's database from another thread of the same process
 * (the executor's heartbeat thread, engine/lease-keeper-thread.ts). It does not migrate: the
 * node that owns the location already did.
 */
import { assertNever } from '../core/status.js';
import type { Store, StoreLocation } from './port.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

/**
 * A store on the database at `location`: SQLite, its own connection to the file (WAL: it reads
 * and writes beside the first); PostgreSQL, a pool of at most `maxConnections` without LISTEN.
 * @throws RunyardError `database_unavailable` (SQLite file), `validation_failed` (bad URL)
 */
export function openStoreAt(location: StoreLocation, maxConnections = 1): Store {
  switch (location.dialect) {
    case 'sqlite':
      return SqliteStore.open({ path: location.path });
    case 'postgres':
      return PostgresStore.open({ url: location.url, listen: false, max: maxConnections });
    default:
      return assertNever(location);
  }
}
