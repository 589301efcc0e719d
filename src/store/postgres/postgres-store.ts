/**
 * The PostgreSQL adapter (scale-out): the dialect-neutral SQL of `../sql/` through Kysely's
 * `PostgresDialect` over a `pg.Pool`. Many stateless nodes share one database:
 *
 * - write transactions are `BEGIN … COMMIT` on one pooled connection (READ COMMITTED); a
 *   transaction aborted by a serialization failure or a deadlock is run again (up to 4 times);
 * - claims lock rows (`FOR UPDATE SKIP LOCKED` on items, the run row before its free slots are
 *   counted), so nodes never claim the same item and a run's concurrency holds across nodes
 *   (see `../sql/leasing.ts`);
 * - the per-item writes of a batch are one statement each over `unnest` arrays (`hot-path.ts`);
 * - wake-ups go through LISTEN/NOTIFY (`listener.ts`), with polling as the fallback; so do the
 *   claim-demand signals of starved nodes, which keep claims fair between nodes;
 * - {@link databaseTime} is the server's clock, which the engine uses for every lease time.
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import { ulidIds } from '../../core/ids.js';
import type { Database as Schema } from '../sql/schema.js';
import type { Db, SqlContext } from '../sql/context.js';
import type { ClaimDemand, StoreLocation } from '../port.js';
import { SqlStore } from '../sql/sql-store.js';
import { isRetryableTransactionError, parsePostgresUrl, type PostgresTarget } from './connection.js';
import { WORK_CHANNEL, WorkListener } from './listener.js';
import { applyPostgresMigrations } from './migrate.js';
import { GatedPool, type PoolOptions } from './pool.js';
import { dumpSchema } from './schema-dump.js';
import { postgresHotPath } from './hot-path.js';

/** Options for {@link PostgresStore.open}. */
export interface PostgresOptions extends PoolOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /**
   * Use LISTEN/NOTIFY for cross-node wake-ups. Turn it off behind a transaction-mode pooler
   * (PgBouncer `pool_mode=transaction`), where LISTEN does not work; nodes then find work by
   * polling only. @default true
   */
  listen?: boolean;
  /**
   * Use the one-statement-per-batch hot path (`./hot-path.ts`) for the per-item writes; false
   * runs their dialect-neutral Kysely forms instead. @default true
   */
  hotPath?: boolean;
}

/** Payload prefix of a demand signal on the work channel (a plain wake-up has an empty payload). */
const DEMAND_PREFIX = 'demand:';

/** Attempts of a transaction aborted by a serialization failure or deadlock. */
const TX_ATTEMPTS = 4;

export class PostgresStore extends SqlStore {
  readonly dialect = 'postgres' as const;
  protected readonly ctx: SqlContext;
  /** The server, for messages (never the password). */
  readonly target: PostgresTarget;
  readonly location: StoreLocation;
  private readonly listener: WorkListener | undefined;
  private closed = false;

  private constructor(
    private readonly pool: GatedPool,
    private readonly kysely: Db,
    target: PostgresTarget,
    listen: boolean,
    hotPath: boolean,
    onError: (err: Error) => void,
  ) {
    super();
    this.target = target;
    this.location = { dialect: 'postgres', url: target.url };
    const ids = ulidIds();
    this.ctx = {
      db: kysely,
      dialect: 'postgres',
      newId: (p) => ids.next(p),
      tx: (fn) => this.transaction(fn),
      // Delivered at commit to every node LISTENing; nothing if the transaction rolls back.
      notifyWork: async (db) => {
        await sql`SELECT pg_notify(${WORK_CHANNEL}, '')`.execute(db);
      },
      ...(hotPath ? { hot: postgresHotPath() } : {}),
    };
    this.listener = listen ? new WorkListener(target, onError) : undefined;
  }

  /**
   * Creates the pool. Connects lazily: call {@link ping} or {@link migrate} to find out whether
   * the server is there.
   * @throws RunyardError `validation_failed` naming `database` for a malformed URL.
   */
  static open(opts: PostgresOptions): PostgresStore {
    const target = parsePostgresUrl(opts.url);
    const onError = opts.onError ?? (() => {});
    const pool = new GatedPool(target, { ...opts, onError });
    const kysely = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
    return new PostgresStore(pool, kysely, target, opts.listen ?? true, opts.hotPath ?? true, onError);
  }

  /** Round trip to the server. @throws RunyardError `database_unavailable` */
  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.kysely);
  }

  /** Applies pending migrations under an advisory lock, in one transaction. @throws RunyardError `schema_too_new` */
  async migrate(): Promise<void> {
    await applyPostgresMigrations(this.pool.raw);
  }

  /** The server's clock (`clock_timestamp()`), epoch ms. */
  override async databaseTime(): Promise<number> {
    const r = await sql<{ t: number }>`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS t`.execute(this.kysely);
    return Number(r.rows[0]?.t);
  }

  /** Wake-ups from other nodes (LISTEN); never called when LISTEN is turned off. */
  subscribeWork(fn: () => void): () => void {
    return this.listener
      ? this.listener.subscribe((payload) => {
          if (!payload.startsWith(DEMAND_PREFIX)) fn();
        })
      : () => {};
  }

  /** Announces a starved node's demand on the work channel (`demand:` + JSON), at once (no transaction). */
  async signalClaimDemand(node_id: string, run_ids: string[]): Promise<void> {
    if (run_ids.length === 0) return;
    const payload = DEMAND_PREFIX + JSON.stringify({ node_id, run_ids } satisfies ClaimDemand);
    await sql`SELECT pg_notify(${WORK_CHANNEL}, ${payload})`.execute(this.kysely);
  }

  /** Other nodes' demand signals (LISTEN); never called when LISTEN is turned off. */
  subscribeClaimDemand(fn: (demand: ClaimDemand) => void): () => void {
    if (!this.listener) return () => {};
    return this.listener.subscribe((payload) => {
      if (!payload.startsWith(DEMAND_PREFIX)) return;
      try {
        const d = JSON.parse(payload.slice(DEMAND_PREFIX.length)) as ClaimDemand;
        if (typeof d.node_id === 'string' && Array.isArray(d.run_ids)) fn(d);
      } catch {
        // Not ours: ignore.
      }
    });
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.listener?.listening ?? false;
  }

  /** The schema as text, for the committed snapshot. */
  schemaSql(): Promise<string> {
    return dumpSchema(this.pool.raw);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.listener?.stop();
    await this.kysely.destroy();
    // Kysely ends the pool only if it ever used it; migrations use it directly.
    await this.pool.end();
  }

  private async transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.kysely.transaction().execute(fn);
      } catch (err) {
        if (attempt >= TX_ATTEMPTS || !isRetryableTransactionError(err)) throw err;
        await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
      }
    }
  }
}
