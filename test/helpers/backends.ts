/**
 * One suite, two databases (STYLE.md §6): `describeEachBackend` runs a suite once against
 * SQLite and once against PostgreSQL (embedded, or `RUNYARD_TEST_DATABASE_URL`). Call it at
 * the top level of a test file; the PostgreSQL server starts on first use and stops after the
 * file's last test.
 */
import { describe } from 'node:test';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { Store } from '../../src/store/port.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir } from './fixtures.js';
import { postgresForFile, type PgServer } from './postgres.js';

/** A fresh migrated store, and raw SQL on its database (`?` placeholders on both). */
export interface OpenedStore {
  store: Store;
  exec<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  open(): Promise<OpenedStore>;
}

let pg: (() => Promise<PgServer>) | undefined;

/** Both backends. */
export function backends(): Backend[] {
  pg ??= postgresForFile();
  const server = pg;
  return [
    {
      name: 'sqlite',
      async open() {
        const path = join(tempDir(), 'runyard.db');
        const store = SqliteStore.open({ path });
        await store.migrate();
        return {
          store,
          async exec<R>(text: string, params: unknown[] = []) {
            const raw = new Database(path);
            try {
              const stmt = raw.prepare(text);
              return (stmt.reader ? stmt.all(...params) : (stmt.run(...params), [])) as R[];
            } finally {
              raw.close();
            }
          },
        };
      },
    },
    {
      name: 'postgres',
      async open() {
        const s = await server();
        const store = await s.freshStore({ listen: true });
        return {
          store,
          exec: <R>(text: string, params: unknown[] = []) => {
            let i = 0;
            return s.query(
              store.target.url,
              text.replace(/\?/g, () => `$${++i}`),
              params,
            ) as Promise<R[]>;
          },
        };
      },
    },
  ];
}

/** `describe(title on <backend>, …)` for each backend. */
export function describeEachBackend(title: string, fn: (backend: Backend) => void): void {
  for (const backend of backends()) describe(`${title} on ${backend.name}`, () => fn(backend));
}
