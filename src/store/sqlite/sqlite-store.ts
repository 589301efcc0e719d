/**
 * The SQLite adapter (embedded default): better-sqlite3 through Kysely, WAL journal,
 * `synchronous=FULL` (an acknowledged write survives power loss, not only a process crash;
 * reliability.md §1a), and `BEGIN IMMEDIATE` for every write transaction so writers queue on
 * the lock instead of failing with SQLITE_BUSY on upgrade.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { RunyardError } from '../../core/errors.js';
import { ulidIds } from '../../core/ids.js';
import type { Database as Schema } from '../sql/schema.js';
import type { Db, SqlContext } from '../sql/context.js';
import type { StoreLocation } from '../port.js';
import { SqlStore } from '../sql/sql-store.js';
import { applySqliteMigrations } from './migrate.js';
import { sqliteHotPath } from './hot-path.js';

/** Options for {@link SqliteStore.open}. */
export interface SqliteOptions {
  /** File path, or `:memory:` (tests only: a memory database is lost on close). */
  path: string;
  /** How long a second process waits for the write lock, ms. @default 10000 */
  busyTimeoutMs?: number;
  /**
   * Use the prepared-statement hot path (`./hot-path.ts`) for the per-item writes; false runs
   * their dialect-neutral Kysely forms instead (the conformance suite runs both on SQLite).
   * @default true
   */
  hotPath?: boolean;
}

/** Prepared statements kept per SQL text; the engine issues a small set of shapes over and over. */
const STATEMENT_CACHE_SIZE = 512;

/**
 * Kysely's SQLite driver prepares every statement on every execution (about a fifth of the
 * engine's CPU in a profile of a 20,000-item run); this hands it cached statements instead.
 * Safe because better-sqlite3 runs each statement to completion synchronously.
 */
function cachingDatabase(raw: Database.Database) {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => raw.close(),
    prepare(text: string) {
      let stmt = cache.get(text);
      if (!stmt) {
        stmt = raw.prepare(text);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

/**
 * Switches a connection to WAL. Several processes opening one fresh file at once race for the
 * switch, and SQLite answers `SQLITE_BUSY` to the losers without calling the busy handler
 * when it detects a possible deadlock: retry until `busyMs` has passed.
 * @throws the last SQLite error once `busyMs` is over
 */
function setJournalModeWal(raw: Database.Database, busyMs: number): void {
  const deadline = Date.now() + busyMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      raw.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() + pause > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
  }
}

export class SqliteStore extends SqlStore {
  readonly dialect = 'sqlite' as const;
  readonly location: StoreLocation | undefined;
  protected readonly ctx: SqlContext;

  private constructor(
    private readonly raw: Database.Database,
    private readonly kysely: Db,
    path: string,
    hotPath: boolean,
  ) {
    super();
    this.location = path === ':memory:' ? undefined : { dialect: 'sqlite', path };
    const ids = ulidIds();
    this.ctx = {
      db: kysely,
      dialect: 'sqlite',
      newId: (p) => ids.next(p),
      tx: (fn) => this.transaction(fn),
      ...(hotPath ? { hot: sqliteHotPath(raw) } : {}),
    };
  }

  /**
   * Opens (creating it and its folder if needed) a database file and sets the pragmas. Does
   * not migrate: call {@link migrate}.
   * @throws RunyardError `database_unavailable` when the file cannot be opened.
   */
  static open(opts: SqliteOptions): SqliteStore {
    let raw: Database.Database;
    try {
      if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
      const busyMs = opts.busyTimeoutMs ?? 10_000;
      // The busy timeout is in force from the open, before the first statement that takes a
      // lock: the journal-mode change below needs the file to itself for a moment.
      raw = new Database(opts.path, { timeout: busyMs });
      setJournalModeWal(raw, busyMs);
      raw.pragma('synchronous = FULL');
      raw.pragma('foreign_keys = ON');
    } catch (err) {
      throw new RunyardError('database_unavailable', `cannot open SQLite database ${opts.path}: ${(err as Error).message}`, { field: 'database' });
    }
    const kysely = new Kysely<Schema>({ dialect: new SqliteDialect({ database: cachingDatabase(raw) }) });
    return new SqliteStore(raw, kysely, opts.path, opts.hotPath ?? true);
  }

  /** Applies pending migrations under `BEGIN IMMEDIATE`. @throws RunyardError `schema_too_new` */
  async migrate(): Promise<void> {
    applySqliteMigrations(this.raw);
  }

  /** The schema as `CREATE` statements, for the committed snapshot. */
  schemaSql(): string {
    const rows = this.raw.prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC, name").all() as {
      sql: string;
    }[];
    return `${rows.map((r) => `${r.sql};`).join('\n\n')}\n`;
  }

  async close(): Promise<void> {
    await this.kysely.destroy();
  }

  private transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.kysely.connection().execute(async (conn) => {
      await sql`BEGIN IMMEDIATE`.execute(conn);
      try {
        const out = await fn(conn);
        await sql`COMMIT`.execute(conn);
        return out;
      } catch (err) {
        if (this.raw.inTransaction) await sql`ROLLBACK`.execute(conn);
        throw err;
      }
    });
  }
}
