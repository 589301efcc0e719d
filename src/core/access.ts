/**
 * Who may do what (DESIGN.md §1 "token / role"): the four roles in order of power, the
 * principal a request acts as, and the pure rules over them. No I/O: hashing and randomness
 * live in engine/access.ts.
 */

/**
 * Roles, least to most powerful; each includes everything the roles before it may do.
 * - `viewer`: read runs, items, events, exports, tables, credits.
 * - `operator`: control runs (pause, resume, cancel, retry, rerun, delete, pin), start runs of
 *   existing targets, bulk operations.
 * - `editor`: create and edit tables and columns (except code-running producers).
 * - `admin`: tokens, workspaces, credentials, prices, grants and adjustments, the audit log,
 *   and any definition or manual run that executes code on the server (`shell`, `js`).
 */
export const Role = { viewer: 'viewer', operator: 'operator', editor: 'editor', admin: 'admin' } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Every role, least powerful first. */
export const ROLES: readonly Role[] = ['viewer', 'operator', 'editor', 'admin'];

const RANK = new Map<string, number>(ROLES.map((r, i) => [r, i]));

/** Whether `value` names a role (looked up in a Map: `toString` or `__proto__` are not roles). */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && RANK.has(value);
}

/** Whether a holder of `held` may do what needs `needed`. */
export function roleAllows(held: Role, needed: Role): boolean {
  return (RANK.get(held) ?? -1) >= (RANK.get(needed) ?? Number.POSITIVE_INFINITY);
}

/** Producers that execute code on the server: their columns and manual runs need `admin`. */
export const CODE_PRODUCERS: ReadonlySet<string> = new Set(['shell', 'js']);

/** The identity a request acts as, resolved from a bearer token or a console session cookie. */
export interface Principal {
  /** The API token's id (`tok_…`); for a session, the token it was exchanged for. */
  token_id: string;
  token_name: string;
  workspace_id: string;
  role: Role;
  /** `session` when authenticated by the console cookie (then writes need the CSRF header). */
  via: 'bearer' | 'session';
  /** The session's own id when `via` is `session`. */
  session_id?: string;
}

/** Prefix of every API token; secret scanners can match `ryd_[0-9a-f]{40}[0-9a-f]{8}`. */
export const TOKEN_PREFIX = 'ryd_';

/** Shape of a token: prefix, 40 hex characters (160 random bits), 8 hex characters of CRC-32. */
export const TOKEN_PATTERN = /^ryd_[0-9a-f]{48}$/;
