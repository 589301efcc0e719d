/**
 * PostgreSQL connection settings and failures: parsing and redacting a `postgres://` URL, and
 * turning driver errors into Runyard errors that say what went wrong and what to do.
 */
import { RunyardError } from '../../core/errors.js';

/** A parsed, validated PostgreSQL URL. */
export interface PostgresTarget {
  /** The URL as given (it may hold a password: never print it, print {@link redacted}). */
  url: string;
  /** `host:port` for messages. */
  where: string;
  database: string;
  user: string;
  /** The URL with its password replaced by `***`. */
  redacted: string;
}

/** True for `postgres://` and `postgresql://` URLs. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The URL with its password replaced by `***` (safe to print and log); anything else as is. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

/**
 * Parses a `postgres://user:password@host:port/database` URL.
 * @throws RunyardError `validation_failed` naming `database` when it is not a usable URL.
 */
export function parsePostgresUrl(url: string): PostgresTarget {
  const bad = (why: string) =>
    new RunyardError('validation_failed', `database: ${why} in ${JSON.stringify(redactUrl(url))} (expected postgres://user:password@host:5432/database)`, {
      field: 'database',
    });
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('not a valid URL');
  }
  if (!/^postgres(ql)?:$/i.test(u.protocol)) throw bad('not a postgres:// URL');
  if (!u.hostname) throw bad('no host');
  if (u.port !== '' && !/^\d+$/.test(u.port)) throw bad('an invalid port');
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) throw bad('no database name');
  const user = decodeURIComponent(u.username);
  return { url, where: `${u.hostname}:${u.port || '5432'}`, database, user, redacted: redactUrl(url) };
}

/** SQLSTATE codes and socket errors that mean "the server is not there right now". */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[123]|53300)/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** True when `err` says the connection to the server failed or was lost (retrying may help). */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof RunyardError) return err.code === 'database_unavailable';
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code)) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed|not queryable/i.test(
    message,
  );
}

/** True for errors after which the whole transaction may simply be run again. */
export function isRetryableTransactionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40001' || code === '40P01';
}

/**
 * A `database_unavailable` error for a failure to connect or a lost connection, naming the
 * server (never the password) and what to do.
 */
export function unavailable(target: Pick<PostgresTarget, 'where' | 'database' | 'user'>, err: unknown): RunyardError {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const detail = typeof e?.message === 'string' && e.message !== '' ? e.message : code || String(err);
  let advice: string;
  if (code === '28P01' || code === '28000') advice = `authentication failed for user ${JSON.stringify(target.user)}: check the user and password in the URL`;
  else if (code === '3D000') advice = `database ${JSON.stringify(target.database)} does not exist: create it (CREATE DATABASE) or fix the URL`;
  else if (code === '53300') advice = 'the server has no free connection slots: lower RUNYARD_DATABASE_POOL_MAX on the nodes or raise max_connections';
  else advice = 'is the server running and reachable from this machine? check the host and port in --database / RUNYARD_DATABASE_URL';
  return new RunyardError('database_unavailable', `cannot use PostgreSQL at ${target.where}: ${detail} (${advice})`, {
    field: 'database',
    ...(code ? { cause_code: code } : {}),
  });
}
