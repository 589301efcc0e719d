/**
 * Structured logging (pino). The engine logs through this small interface so tests can
 * capture lines, and so secrets are redacted in one place ({@link REDACTED_LOG_FIELDS}).
 */
import { pino } from 'pino';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Fields whose values are censored in every log line, at the top level and one level down:
 * anything that can carry per-run env values, secrets or credentials. Code logs names
 * (`secret_names`), never these; this is the net under that rule.
 */
export const REDACTED_LOG_FIELDS = [
  'overrides',
  'secrets',
  'env',
  'sealed_secrets',
  'authorization',
  'body',
  'token',
  'cookie',
  'credential',
  'value',
] as const;

/**
 * A pino logger writing JSON lines to stderr.
 * @param level `debug` | `info` | `warn` | `error` | `silent`; @default process.env.RUNYARD_LOG_LEVEL ?? 'info'
 */
export function createLogger(level = process.env.RUNYARD_LOG_LEVEL ?? 'info'): Logger {
  const paths = REDACTED_LOG_FIELDS.flatMap((f) => [f, `*.${f}`]);
  const p = pino({ level, base: { pid: process.pid }, redact: { paths, censor: '[REDACTED]' } }, pino.destination(2));
  return {
    debug: (msg, f) => p.debug(f ?? {}, msg),
    info: (msg, f) => p.info(f ?? {}, msg),
    warn: (msg, f) => p.warn(f ?? {}, msg),
    error: (msg, f) => p.error(f ?? {}, msg),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
