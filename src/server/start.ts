/**
 * Composition root of `runyard up`: opens the store chosen by the database URL, migrates it,
 * builds the engine and the HTTP app, starts an executor node and listens.
 */
import { serve, type ServerType } from '@hono/node-server';
import { resolve } from 'node:path';
import { RunyardError } from '../core/errors.js';
import { DatabaseClock } from '../engine/database-clock.js';
import { createEngine, type Engine } from '../engine/engine.js';
import { createLogger, type Logger } from '../engine/logger.js';
import type { EngineOptions } from '../engine/options.js';
import { parseCustomProfiles } from '../engine/profiles.js';
import type { PriceTable } from '../core/credits.js';
import type { WorkloadProfile } from '../core/profile.js';
import { DAY_MS, Retention } from '../engine/retention.js';
import { createProducerRegistry } from '../producers/index.js';
import { nodeProducerPolicy } from './node-policy.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { isPostgresUrl, redactUrl } from '../store/postgres/connection.js';
import { openPostgresStore } from '../store/postgres/open.js';
import type { Store } from '../store/port.js';
import { createApp } from './app.js';
import { applyBootstrapPrices, bootstrapPrices, loadNodeKey, verifyNodeKey } from './node-setup.js';
import { allowedHosts, isLoopbackHost, type OriginPolicy } from './auth/origin.js';
import { bootstrapAdminToken, loginUrl } from './bootstrap.js';

/** Settings of {@link startRunyard}; each has an environment variable (DESIGN.md §7). */
export interface RunyardSettings {
  /** A file path or `sqlite:` URL, or a `postgres://` URL (scale-out). @default `<dataDir>/runyard.db` */
  databaseUrl?: string;
  /** @default 8686 (`RUNYARD_PORT`); 0 picks a free port */
  port?: number;
  /** @default '127.0.0.1' (`RUNYARD_HOST`) */
  host?: string;
  /** @default './.runyard' (`RUNYARD_DATA_DIR`) */
  dataDir?: string;
  /** Run an executor node in this process. @default true */
  executor?: boolean;
  /**
   * The directory `js` producer modules must live under; relative module paths resolve
   * against it. @default `RUNYARD_JS_DIR`, else the working directory at start
   */
  baseDir?: string;
  /**
   * Outbound `http` destinations admitted besides public addresses: CIDRs and host names,
   * comma-separated. @default `RUNYARD_EGRESS_ALLOW`; unset on a loopback address: loopback
   */
  egressAllow?: string;
  /** The only commands `shell` columns may run. @default `RUNYARD_SHELL_COMMANDS` (comma-separated), else any */
  shellCommands?: string[];
  /**
   * Create the bootstrap admin token even when listening on a non-loopback address
   * (`--create-admin-token`, `RUNYARD_CREATE_ADMIN_TOKEN=1`). @default false
   */
  createAdminToken?: boolean;
  engine?: Partial<EngineOptions>;
  /**
   * Bootstrap prices, µ per unit: when given, they become the workspace's current price version
   * at start if they differ from it (prices live in the database; `PUT /v1/prices` sets them).
   * @default parsed from `RUNYARD_PRICES` (JSON), else none (the database's prices stand)
   */
  prices?: PriceTable;
  /** Custom workload profiles. @default parsed from `RUNYARD_PROFILES` (JSON) */
  profiles?: Record<string, WorkloadProfile>;
  logger?: Logger;
  /**
   * Key of per-run secrets: 64 hex characters or the base64 of 32 bytes.
   * @default `RUNYARD_SECRET_KEY`, else `<dataDir>/secret.key` (generated once, mode 0600)
   */
  secretKey?: string;
  /**
   * Purge finished, unpinned runs older than this many days, at start and hourly
   * (`RUNYARD_RETENTION_DAYS`). @default undefined (keep every run); 0 also keeps every run
   */
  retentionDays?: number;
}

export interface RunningRunyard {
  url: string;
  /** The database URL (password redacted) or path in use. */
  database: string;
  port: number;
  engine: Engine;
  /** The admin token in `<dataDir>/admin.token`, when there (the CLI on this machine uses it). */
  adminToken?: string;
  /** What outbound `http` requests may reach, in words (printed at start). */
  egress: string;
  /** Whether this start created {@link adminToken}. */
  adminTokenCreated: boolean;
  /** A one-time console login URL (15 minutes), when the admin token is there. */
  loginUrl?: string;
  /** Graceful stop: stop listening, stop the executor (releasing in-flight items), close the store. */
  close(graceMs?: number): Promise<void>;
}

/** Default port of the API and console. */
export const DEFAULT_PORT = 8686;

/**
 * Opens and migrates the store named by `url`: a `postgres://` URL (scale-out; environment
 * `RUNYARD_DATABASE_POOL_MAX`, default 10, and `RUNYARD_DATABASE_LISTEN=off` behind a
 * transaction-mode pooler), else a SQLite file path or `sqlite:` URL.
 * @throws RunyardError `validation_failed` naming `database` for an unsupported or malformed URL;
 *   `database_unavailable` (unreachable server, unknown database, bad credentials);
 *   `schema_too_new`.
 */
export async function openStore(url: string, logger?: Logger): Promise<Store> {
  if (isPostgresUrl(url)) {
    return openPostgresStore(url, {
      // Off behind a transaction-mode pooler, where LISTEN cannot work (docs/deploy-postgres.md).
      listen: process.env.RUNYARD_DATABASE_LISTEN !== 'off',
      ...(logger ? { onError: (err: Error) => logger.warn('database connection lost', { error: err.message }) } : {}),
    });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('sqlite:') && !url.startsWith('file:')) {
    throw new RunyardError(
      'validation_failed',
      `database: unsupported URL scheme in ${JSON.stringify(redactUrl(url))} (use a file path, sqlite:PATH or postgres://)`,
      {
        field: 'database',
      },
    );
  }
  const path = url.replace(/^sqlite:(\/\/)?/, '').replace(/^file:(\/\/)?/, '');
  const store = SqliteStore.open({ path: path === ':memory:' ? path : resolve(path) });
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** Starts Runyard. Resolves once the server listens. */
export async function startRunyard(s: RunyardSettings = {}): Promise<RunningRunyard> {
  const dataDir = s.dataDir ?? process.env.RUNYARD_DATA_DIR ?? './.runyard';
  const databaseUrl = s.databaseUrl ?? process.env.RUNYARD_DATABASE_URL ?? `${dataDir}/runyard.db`;
  const host = s.host ?? process.env.RUNYARD_HOST ?? '127.0.0.1';
  const port = s.port ?? (process.env.RUNYARD_PORT ? Number(process.env.RUNYARD_PORT) : DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RunyardError('validation_failed', `port: expected an integer from 0 to 65535, got ${port}`, { field: 'port' });
  const rawRetention = s.retentionDays ?? (process.env.RUNYARD_RETENTION_DAYS || 0);
  const retentionDays = typeof rawRetention === 'number' ? rawRetention : /^\s*\d+\s*$/.test(rawRetention) ? Number(rawRetention) : NaN;
  if (!Number.isInteger(retentionDays) || retentionDays < 0 || retentionDays > 36_500)
    throw new RunyardError('validation_failed', `retention days: expected an integer from 0 (keep every run) to 36500, got ${JSON.stringify(rawRetention)}`, {
      field: 'retention_days',
    });
  const logger = s.logger ?? createLogger();
  const profiles = s.profiles ?? parseCustomProfiles(process.env.RUNYARD_PROFILES);
  const prices = bootstrapPrices(s.prices);
  const secretKey = await loadNodeKey(s.secretKey ?? process.env.RUNYARD_SECRET_KEY, dataDir);
  const store = await openStore(databaseUrl, logger);
  const clock = await DatabaseClock.start(store).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  // Egress: loopback and private ranges only through RUNYARD_EGRESS_ALLOW; a loopback-bound
  // server with no setting allows loopback so the local examples work (said at start).
  let policy: ReturnType<typeof nodeProducerPolicy>;
  try {
    policy = nodeProducerPolicy({ egressAllow: s.egressAllow, loopbackDefault: isLoopbackHost(host), shellCommands: s.shellCommands, jsDir: s.baseDir });
  } catch (err) {
    clock.stop();
    await store.close();
    throw err;
  }
  const egressNote = policy.egressNote;
  const engine = createEngine({
    store,
    producers: createProducerRegistry(policy.options),
    logger,
    clock,
    options: s.engine ?? {},
    profiles,
    secrets: secretKey.box,
  });
  let boot;
  try {
    await verifyNodeKey(store, secretKey, clock.now(), logger);
    await applyBootstrapPrices(engine, prices, logger);
    boot = await bootstrapAdminToken(engine, dataDir, { host, create: s.createAdminToken ?? process.env.RUNYARD_CREATE_ADMIN_TOKEN === '1' });
  } catch (err) {
    clock.stop();
    await store.close();
    throw err;
  }
  let baseUrl = '';
  let origins: OriginPolicy | undefined = undefined;
  const corsOrigins = (process.env.RUNYARD_CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  const app = createApp(engine, { baseUrl: () => baseUrl, origins: () => origins, corsOrigins, logger });
  const server = await new Promise<ServerType>((res, rej) => {
    const srv = serve({ fetch: app.fetch, hostname: host, port }, () => res(srv));
    srv.once('error', rej);
  });
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  // Host checks defeat DNS rebinding against a loopback server; on a wildcard or public
  // address the names clients use are unknown unless configured (RUNYARD_ALLOWED_HOSTS).
  const checkHosts = isLoopbackHost(host) || Boolean(process.env.RUNYARD_ALLOWED_HOSTS);
  origins = { hosts: checkHosts ? allowedHosts(host, actualPort) : new Set(), corsOrigins: new Set(corsOrigins) };
  if (!checkHosts) logger.warn('no Host check: set RUNYARD_ALLOWED_HOSTS to the names clients use for this server', { host });
  if (s.executor !== false) await engine.startExecutor();
  engine.operations.startSweeper();
  engine.triggers.start();
  const retention = retentionDays > 0 ? new Retention({ store, clock: engine.clock, logger, maxAgeMs: retentionDays * DAY_MS }) : undefined;
  retention?.start();
  const database = redactUrl(databaseUrl);
  logger.info('runyard up', {
    url: baseUrl,
    database,
    secret_key: secretKey.source,
    admin_token_file: boot.secret ? boot.path : null,
    egress: egressNote,
  });
  const login = boot.secret === undefined ? undefined : await loginUrl(engine, baseUrl, boot.secret);
  return {
    url: baseUrl,
    database,
    port: actualPort,
    engine,
    ...(boot.secret === undefined ? {} : { adminToken: boot.secret }),
    adminTokenCreated: boot.created,
    egress: egressNote,
    ...(login === undefined ? {} : { loginUrl: login }),
    async close(graceMs) {
      await new Promise<void>((r) => {
        server.close(() => r());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await retention?.stop();
      await engine.operations.stop();
      await engine.triggers.stop();
      await engine.stopExecutor(graceMs);
      clock.stop();
      await store.close();
    },
  };
}
