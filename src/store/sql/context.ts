/**
 * What the dialect-neutral SQL repository code needs from an adapter: a Kysely instance, the
 * dialect name for the few places SQL differs, and a write-transaction runner (SQLite:
 * `BEGIN IMMEDIATE`; PostgreSQL: `BEGIN`).
 */
import type { Kysely } from 'kysely';
import { ValidationError } from '../../core/errors.js';
import type { Page } from '../port.js';
import type { HotPath } from './hot-path.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface SqlContext {
  readonly db: Db;
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `fn` in one write transaction; commits when it resolves, rolls back when it throws. */
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Makes ids (events, lease tokens, items, sink rows) inside repository code. */
  newId(prefix: 'evt' | 'lse' | 'led' | 'itm' | 'row' | 'cmt' | 'flw' | 'wai'): string;
  /**
   * Tells other processes, at commit of the transaction `db`, that work became claimable (a new
   * run, released or recovered items). PostgreSQL: NOTIFY; absent on SQLite, whose processes
   * find work by polling.
   */
  notifyWork?(db: Db): Promise<void>;
  /** The adapter's own statements for the per-item hot path; absent: the Kysely forms. */
  readonly hot?: HotPath;
}

/** JSON text for a column, or null. */
export function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** Parses a JSON column; null stays null. */
export function fromJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

/** Opaque cursor text for a keyset position. */
export function encodeCursor(value: string | number): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * Reads a cursor made by {@link encodeCursor}.
 * @returns undefined when the text is not a cursor of the expected type (the caller raises
 * `validation_failed` naming `cursor`).
 */
export function decodeCursor<T extends string | number>(cursor: string, type: 'string' | 'number'): T | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return typeof v === type ? (v as T) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The keyset position carried by a page's `cursor` option, or undefined for the first page.
 * @throws ValidationError (`validation_failed`, `details.field = 'cursor'`) when the text is not
 * a cursor of the expected type
 */
export function cursorAfter<T extends string | number>(cursor: string | undefined, type: 'string' | 'number'): T | undefined {
  if (cursor === undefined) return undefined;
  const v = decodeCursor<T>(cursor, type);
  if (v === undefined) throw new ValidationError('cursor is not a valid cursor', { field: 'cursor' });
  return v;
}

/**
 * The tail of a keyset page: `rows` were read with `limit + 1` in list order; the page keeps the
 * first `limit`, mapped, and its cursor is the last one's `key` when more rows follow.
 */
export function keysetPage<R, T>(rows: R[], limit: number, map: (row: R) => T, key: (item: T) => string | number): Page<T> {
  const data = rows.slice(0, limit).map(map);
  const last = data.at(-1);
  return { data, next_cursor: rows.length > limit && last !== undefined ? encodeCursor(key(last)) : null };
}

/** Escapes LIKE wildcards so user text matches literally (used with `ESCAPE '\'`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
