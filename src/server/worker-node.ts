/**
 * Composition root of `runyard worker`: an executor node without the HTTP API. It opens the
 * store named by the database URL (migrating it, like any node), syncs its clock to the
 * database's, registers itself in `nodes` with heartbeats, claims and executes items, and
 * stops gracefully. Run several against one PostgreSQL to scale out (docs/deploy-postgres.md).
 *
 * It executes exactly as an `up` node does: items are priced by their run's price version (in
 * the database), and run secrets are opened with the same key, loaded the same way
 * (`RUNYARD_SECRET_KEY`, else `<data dir>/secret.key`) and checked against the database's
 * recorded fingerprint (node-setup.ts).
 */
import { DatabaseClock } from '../engine/database-clock.js';
import { createEngine, type Engine } from '../engine/engine.js';
import { createLogger, type Logger } from '../engine/logger.js';
import type { EngineOptions } from '../engine/options.js';
import { createProducerRegistry } from '../producers/index.js';
import { nodeProducerPolicy } from './node-policy.js';
import { redactUrl } from '../store/postgres/connection.js';
import { loadNodeKey, verifyNodeKey } from './node-setup.js';
import { openStore } from './start.js';

/** Settings of {@link startWorker}; the database falls back to the same variables as `runyard up`. */
export interface WorkerSettings {
  /** @default `RUNYARD_DATABASE_URL`, else `<dataDir>/runyard.db` */
  databaseUrl?: string;
  /** @default `RUNYARD_DATA_DIR`, else './.runyard' */
  dataDir?: string;
  /** The directory `js` producer modules resolve against and must live under. @default `RUNYARD_JS_DIR`, else process.cwd() */
  baseDir?: string;
  engine?: Partial<EngineOptions>;
  logger?: Logger;
  /**
   * Key of per-run secrets, as for `runyard up`: 64 hex characters or the base64 of 32 bytes.
   * @default `RUNYARD_SECRET_KEY`, else `<dataDir>/secret.key` (generated once, mode 0600)
   */
  secretKey?: string;
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
 * @throws RunyardError `validation_failed` (database URL, malformed secret key), `database_unavailable`,
 *   `schema_too_new` (see openStore); `secret_key_mismatch` when the database's secrets were
 *   sealed with another key (engine/secret-key-check.ts).
 */
export async function startWorker(s: WorkerSettings = {}): Promise<RunningWorker> {
  const dataDir = s.dataDir ?? process.env.RUNYARD_DATA_DIR ?? './.runyard';
  const databaseUrl = s.databaseUrl ?? process.env.RUNYARD_DATABASE_URL ?? `${dataDir}/runyard.db`;
  const logger = s.logger ?? createLogger();
  const key = await loadNodeKey(s.secretKey ?? process.env.RUNYARD_SECRET_KEY, dataDir);
  const store = await openStore(databaseUrl, logger);
  let clock: DatabaseClock | undefined;
  try {
    clock = await DatabaseClock.start(store);
    await verifyNodeKey(store, key, clock.now(), logger);
  } catch (err) {
    clock?.stop();
    await store.close();
    throw err;
  }
  if (process.env.RUNYARD_PRICES?.trim()) logger.warn('RUNYARD_PRICES is read by `runyard up` only; a worker prices items by the database (GET /v1/prices)');
  // Same egress guard and shell allow-list as `runyard up`, but no loopback default: a worker
  // cannot know whether the API that creates its columns listens on loopback (an `up` on a
  // public address refuses loopback), so loopback needs RUNYARD_EGRESS_ALLOW, even on SQLite.
  const policy = nodeProducerPolicy({ loopbackDefault: false, jsDir: s.baseDir });
  const producers = createProducerRegistry(policy.options);
  const engine = createEngine({ store, producers, logger, clock, options: s.engine ?? {}, secrets: key.box });
  const executor = await engine.startExecutor();
  // Every node runs the trigger loops: one PostgreSQL decides each slot and fire once.
  engine.triggers.start();
  const database = redactUrl(databaseUrl);
  logger.info('runyard worker up', {
    node_id: executor.nodeId,
    database,
    clock_offset_ms: Math.round(clock.offsetMs),
    secret_key: key.source,
    egress: policy.egressNote,
  });
  let closing: Promise<void> | undefined;
  return {
    nodeId: executor.nodeId,
    database,
    engine,
    close(graceMs) {
      if (closing) return engine.stopExecutor(graceMs ?? 0).then(() => closing);
      closing = (async () => {
        await engine.triggers.stop();
        await engine.stopExecutor(graceMs);
        clock.stop();
        await store.close();
      })();
      return closing;
    },
  };
}
