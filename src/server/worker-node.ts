/**
 * Composition root of `runyard worker`: an executor node without the HTTP API. It opens the
 * store named by the database URL (migrating it, like any node), syncs its clock to the
 * database's, registers itself in `nodes` with heartbeats, claims and executes items, and
 * stops gracefully. Run several against one PostgreSQL to scale out (docs/deploy-postgres.md).
 */
import { DatabaseClock } from '../engine/database-clock.js';
import { createEngine, type Engine } from '../engine/engine.js';
import { createLogger, type Logger } from '../engine/logger.js';
import type { EngineOptions } from '../engine/options.js';
import { createProducerRegistry } from '../producers/index.js';
import { nodeProducerPolicy } from './node-policy.js';
import { redactUrl } from '../store/postgres/connection.js';
import { openStore } from './start.js';

/** Settings of {@link startWorker}; the database falls back to the same variables as `runyard up`. */
export interface WorkerSettings {
  /** @default `RUNYARD_DATABASE_URL`, else `<dataDir>/runyard.db` */
  databaseUrl?: string;
  /** @default `RUNYARD_DATA_DIR`, else './.runyard' */
  dataDir?: string;
  /** Base directory for `js` producer modules. @default process.cwd() */
  baseDir?: string;
  engine?: Partial<EngineOptions>;
  logger?: Logger;
}

export interface RunningWorker {
  /** This node's id (its row in `nodes`, the `lease_owner` of the items it holds). */
  nodeId: string;
  /** The database URL (password redacted) or path in use. */
  database: string;
  engine: Engine;
  /**
   * Graceful stop: no more claims; in-flight items get `graceMs` to finish, then are released;
   * then the store closes. Calling it again while stopping shortens the grace period.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts an executor node. Resolves once it is registered and claiming.
 * @throws RunyardError `validation_failed`, `database_unavailable`, `schema_too_new` (see openStore).
 */
export async function startWorker(s: WorkerSettings = {}): Promise<RunningWorker> {
  const dataDir = s.dataDir ?? process.env.RUNYARD_DATA_DIR ?? './.runyard';
  const databaseUrl = s.databaseUrl ?? process.env.RUNYARD_DATABASE_URL ?? `${dataDir}/runyard.db`;
  const logger = s.logger ?? createLogger();
  const store = await openStore(databaseUrl, logger);
  let clock: DatabaseClock;
  try {
    clock = await DatabaseClock.start(store);
  } catch (err) {
    await store.close();
    throw err;
  }
  // Same egress guard and shell allow-list as `runyard up` (no loopback default: a worker's address is unknown).
  const producers = createProducerRegistry({ baseDir: s.baseDir ?? process.cwd(), ...nodeProducerPolicy({ loopbackDefault: false }).options });
  const engine = createEngine({ store, producers, logger, clock, options: s.engine ?? {} });
  const executor = await engine.startExecutor();
  const database = redactUrl(databaseUrl);
  logger.info('runyard worker up', { node_id: executor.nodeId, database, clock_offset_ms: Math.round(clock.offsetMs) });
  let closing: Promise<void> | undefined;
  return {
    nodeId: executor.nodeId,
    database,
    engine,
    close(graceMs) {
      if (closing) return engine.stopExecutor(graceMs ?? 0).then(() => closing);
      closing = (async () => {
        await engine.stopExecutor(graceMs);
        clock.stop();
        await store.close();
      })();
      return closing;
    },
  };
}
