/**
 * The connection pool of a PostgreSQL node: `pg.Pool` with BIGINT read as JS numbers, every
 * client's `error` event handled (a server restart must not crash the process), and a backoff
 * gate in front of `connect()`: while the server is unreachable, callers fail fast with
 * `database_unavailable` and the pool tries again after 100 ms, 200 ms, … up to 5 s, so that a
 * node's loops reconnect with backoff instead of hammering a restarting server.
 */
import pg from 'pg';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { isConnectionError, unavailable, type PostgresTarget } from './connection.js';

/** OID of `int8` (BIGINT, BIGSERIAL, COUNT(*)). */
const INT8_OID = 20;

/**
 * Type parsers: int8 as a JS number. Every int8 we store is epoch ms, micro-credits or a count,
 * all far below 2^53, and the store port speaks numbers (STYLE.md §5).
 */
export const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** Options of {@link createPool}. */
export interface PoolOptions {
  /** Connections this node may open for queries (LISTEN uses one more). @default 10 (`RUNYARD_DATABASE_POOL_MAX`) */
  max?: number;
  /** How long to wait for a new connection, ms. @default 5000 */
  connectTimeoutMs?: number;
  /** Called with errors of idle or busy clients (a lost connection); they are otherwise ignored. */
  onError?: (err: Error) => void;
}

/** The default pool size: `RUNYARD_DATABASE_POOL_MAX` or 10. */
export function defaultPoolMax(): number {
  const n = Number(process.env.RUNYARD_DATABASE_POOL_MAX);
  return Number.isInteger(n) && n > 0 ? n : 10;
}

/** Connection settings shared by the pool and the LISTEN client. */
export function clientConfig(target: PostgresTarget, applicationName: string, connectTimeoutMs: number): pg.ClientConfig {
  return {
    connectionString: target.url,
    application_name: applicationName,
    types: pgTypes,
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
  };
}

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;

/**
 * A pool for Kysely's `PostgresDialect`. `raw` is the underlying `pg.Pool` (migrations use it
 * directly).
 */
export class GatedPool implements PostgresPool {
  readonly raw: pg.Pool;
  private failures = 0;
  private retryAt = 0;
  private readonly wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  private ended: Promise<void> | undefined;

  constructor(
    private readonly target: PostgresTarget,
    opts: PoolOptions = {},
  ) {
    const onError = opts.onError ?? (() => {});
    this.raw = new pg.Pool({ ...clientConfig(target, 'runyard', opts.connectTimeoutMs ?? 5000), max: opts.max ?? defaultPoolMax(), idleTimeoutMillis: 30_000 });
    // Without these listeners a connection lost while idle or between two statements of a
    // transaction is an unhandled 'error' event: the process would exit.
    this.raw.on('error', onError);
    this.raw.on('connect', (client) => client.on('error', onError));
  }

  /** Checks a client out, failing fast while the backoff after a failed connect runs. */
  async connect(): Promise<PostgresPoolClient> {
    const wait = this.retryAt - Date.now();
    if (wait > 0) throw unavailable(this.target, new Error(`the last connection attempt failed; retrying in ${wait} ms`));
    let client: pg.PoolClient;
    try {
      client = await this.raw.connect();
    } catch (err) {
      if (isConnectionError(err) || (err as { code?: unknown }).code === '3D000' || (err as { code?: unknown }).code === '28P01') {
        this.failures += 1;
        const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.failures - 1));
        this.retryAt = Date.now() + delay * (0.5 + Math.random() / 2);
        throw unavailable(this.target, err);
      }
      throw err;
    }
    this.failures = 0;
    this.retryAt = 0;
    return this.wrap(client);
  }

  /** Closes every connection (idempotent). */
  end(): Promise<void> {
    this.ended ??= this.raw.end();
    return this.ended;
  }

  /** A client whose lost-connection errors surface as `database_unavailable`. */
  private wrap(client: pg.PoolClient): PostgresPoolClient {
    let w = this.wrappers.get(client);
    if (!w) {
      const target = this.target;
      w = {
        query: (async (text: string, params: readonly unknown[]) => {
          try {
            return (await client.query(text, params as unknown[])) as unknown as PostgresQueryResult<unknown>;
          } catch (err) {
            throw isConnectionError(err) ? Object.assign(unavailable(target, err), { cause: err }) : err;
          }
        }) as PostgresPoolClient['query'],
        release: () => client.release(),
      };
      this.wrappers.set(client, w);
    }
    return w;
  }
}
