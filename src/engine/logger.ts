/**
 * Structured logging (pino). The engine logs through this small interface so tests can
 * capture lines and so secrets can be redacted in one place later.
 */
import { pino } from 'pino';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * A pino logger writing JSON lines to stderr.
 * @param level `debug` | `info` | `warn` | `error` | `silent`; @default process.env.RUNYARD_LOG_LEVEL ?? 'info'
 */
export function createLogger(level = process.env.RUNYARD_LOG_LEVEL ?? 'info'): Logger {
  const p = pino({ level, base: { pid: process.pid } }, pino.destination(2));
  return {
    debug: (msg, f) => p.debug(f ?? {}, msg),
    info: (msg, f) => p.info(f ?? {}, msg),
    warn: (msg, f) => p.warn(f ?? {}, msg),
    error: (msg, f) => p.error(f ?? {}, msg),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
