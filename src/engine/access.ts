/**
 * Tokens, console sessions, workspaces, the audit log and saved credentials (issue 17).
 *
 * Secrets: an API token is `ryd_` + 40 hex characters (160 random bits) + 8 hex characters of
 * CRC-32 over the random part (a scanner can recognise a leaked token without a database
 * lookup; a typo is refused before any query). Only its SHA-256 is stored; the token itself is
 * returned once, at creation. Console sessions and one-time login codes are tokens of their own
 * kinds with short expiries, tied to the token they were exchanged for: revoking that token
 * ends them.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { isRole, TOKEN_PATTERN, TOKEN_PREFIX, type Principal, type Role } from '../core/access.js';
import { NotFoundError, RunyardError, ValidationError } from '../core/errors.js';
import type { Clock, IdSource } from '../core/ids.js';
import type { AccessStore, AuditRecord, CredentialRecord, TokenRecord, WorkspaceRecord } from '../store/access-port.js';
import type { Page } from '../store/port.js';
import type { SecretBox } from './secrets.js';

/** Console session lifetime, ms. @default 12 h */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** One-time login code lifetime, ms. @default 15 min */
export const LOGIN_CODE_TTL_MS = 15 * 60 * 1000;
/** `last_used_at` is written at most this often per token, ms. */
const TOUCH_EVERY_MS = 10_000;
/** Longest token, workspace or credential name, characters. */
export const MAX_NAME = 200;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(text: string): string {
  let c = 0xffffffff;
  for (const b of Buffer.from(text, 'utf8')) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}

/** A fresh token secret: `ryd_<40 hex><crc32 hex>`. */
export function newTokenSecret(): string {
  const body = randomBytes(20).toString('hex');
  return `${TOKEN_PREFIX}${body}${crc32(body)}`;
}

/** Whether `text` has the token shape and a valid checksum (no database lookup). */
export function isWellFormedToken(text: string): boolean {
  return TOKEN_PATTERN.test(text) && crc32(text.slice(4, 44)) === text.slice(44);
}

/** SHA-256 hex of a token secret: what the store keeps. */
export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Checks a user-given name: 1–200 characters, no control characters. @throws ValidationError naming `field` */
export function checkName(value: string, field: string): string {
  const v = value.trim();
  // eslint-disable-next-line no-control-regex
  if (v.length === 0 || v.length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(v))
    throw new ValidationError(`${field}: expected 1 to ${MAX_NAME} characters without control characters`, { field });
  return v;
}

export interface AccessDeps {
  store: AccessStore;
  clock: Clock;
  ids: IdSource;
  secrets?: SecretBox | undefined;
}

/** A token as the API shows it (never its secret or hash). */
export type TokenView = TokenRecord;

/** The access service: tokens, sessions, workspaces, audit, credentials. */
export class AccessService {
  readonly #d: AccessDeps;
  readonly #touched = new Map<string, number>();
  readonly #csrfKey = randomBytes(32);

  constructor(deps: AccessDeps) {
    this.#d = deps;
  }

  /**
   * Creates an API token. @returns the stored record and the secret (shown once).
   * @throws ValidationError naming `name`, `role` or `expires_at` (must be in the future)
   */
  async createToken(ws: string, input: { name: string; role: string; expires_at?: number | null }): Promise<{ token: TokenRecord; secret: string }> {
    const name = checkName(input.name, 'name');
    if (!isRole(input.role)) throw new ValidationError(`role: expected viewer, operator, editor or admin`, { field: 'role' });
    const now = this.#d.clock.now();
    const expires = input.expires_at ?? null;
    if (expires !== null && expires <= now) throw new ValidationError('expires_at: must be in the future', { field: 'expires_at' });
    return this.#issue(ws, name, input.role, 'api', null, expires);
  }

  async #issue(ws: string, name: string, role: Role, kind: 'api' | 'session' | 'login', parent: string | null, expires: number | null) {
    const secret = newTokenSecret();
    const token: TokenRecord = {
      id: this.#d.ids.next('tok'),
      workspace_id: ws,
      name,
      role,
      kind,
      parent_id: parent,
      created_at: this.#d.clock.now(),
      expires_at: expires,
      last_used_at: null,
      revoked_at: null,
    };
    await this.#d.store.createToken(token, hashToken(secret));
    return { token, secret };
  }

  /** The live record behind a secret of one of `kinds`, or undefined (unknown, revoked, expired: all alike). */
  async #lookup(secret: string, kinds: readonly string[]): Promise<TokenRecord | undefined> {
    if (!isWellFormedToken(secret)) return undefined;
    const t = await this.#d.store.findTokenByHash(hashToken(secret));
    const now = this.#d.clock.now();
    if (!t || !kinds.includes(t.kind) || t.revoked_at !== null || (t.expires_at !== null && t.expires_at <= now)) return undefined;
    return t;
  }

  /** The principal of a bearer token or session secret; undefined when it is not valid now. */
  async authenticate(secret: string, via: 'bearer' | 'session'): Promise<Principal | undefined> {
    const t = await this.#lookup(secret, via === 'bearer' ? ['api'] : ['session']);
    if (!t) return undefined;
    let tokenId = t.id;
    let tokenName = t.name;
    if (t.kind === 'session' && t.parent_id !== null) {
      const parent = await this.#d.store.getToken(t.workspace_id, t.parent_id);
      if (!parent || parent.revoked_at !== null || (parent.expires_at !== null && parent.expires_at <= this.#d.clock.now())) return undefined;
      tokenId = parent.id;
      tokenName = parent.name;
    }
    const now = this.#d.clock.now();
    if ((this.#touched.get(t.id) ?? 0) + TOUCH_EVERY_MS <= now) {
      this.#touched.set(t.id, now);
      await this.#d.store.touchToken(t.id, now);
    }
    return { token_id: tokenId, token_name: tokenName, workspace_id: t.workspace_id, role: t.role, via, ...(via === 'session' ? { session_id: t.id } : {}) };
  }

  /** A one-time console login code for a token (the URL `runyard up` prints). */
  async createLoginCode(token: TokenRecord): Promise<string> {
    const { secret } = await this.#issue(token.workspace_id, token.name, token.role, 'login', token.id, this.#d.clock.now() + LOGIN_CODE_TTL_MS);
    return secret;
  }

  /**
   * Exchanges a bearer token or a one-time login code for a console session.
   * @returns the session secret (the cookie value), its principal and expiry (ms); undefined when the credential is not valid
   */
  async startSession(credential: string): Promise<{ secret: string; principal: Principal; expires_at: number } | undefined> {
    const t = await this.#lookup(credential, ['api', 'login']);
    if (!t) return undefined;
    let parent = t;
    if (t.kind === 'login') {
      // One use: of two concurrent exchanges of one code, only the one that spends it wins.
      if (!(await this.#d.store.consumeToken(t.workspace_id, t.id, this.#d.clock.now()))) return undefined;
      const p = t.parent_id === null ? undefined : await this.#d.store.getToken(t.workspace_id, t.parent_id);
      if (!p || p.revoked_at !== null) return undefined;
      parent = p;
    }
    const expires = Math.min(this.#d.clock.now() + SESSION_TTL_MS, parent.expires_at ?? Number.MAX_SAFE_INTEGER);
    const { token, secret } = await this.#issue(parent.workspace_id, parent.name, parent.role, 'session', parent.id, expires);
    return {
      secret,
      expires_at: expires,
      principal: { token_id: parent.id, token_name: parent.name, workspace_id: parent.workspace_id, role: parent.role, via: 'session', session_id: token.id },
    };
  }

  /** Ends a console session (log out). */
  async endSession(p: Principal): Promise<void> {
    if (p.session_id !== undefined) await this.#d.store.revokeToken(p.workspace_id, p.session_id, this.#d.clock.now());
  }

  /** The CSRF value a session's writes must carry (`x-csrf-token`): an HMAC of the session id. */
  csrfToken(sessionId: string): string {
    return createHmac('sha256', this.#csrfKey).update(sessionId).digest('base64url');
  }

  listTokens(ws: string): Promise<TokenRecord[]> {
    return this.#d.store.listTokens(ws);
  }

  /** Revokes a token (and its sessions); effective on the next request. @throws NotFoundError */
  async revokeToken(ws: string, id: string): Promise<TokenRecord> {
    const t = await this.#d.store.getToken(ws, id);
    if (!t) throw new NotFoundError('token', id);
    const r = await this.#d.store.revokeToken(ws, id, this.#d.clock.now());
    if (!r) throw new NotFoundError('token', id);
    return r;
  }

  /** How many usable API tokens exist in the database. */
  activeTokenCount(): Promise<number> {
    return this.#d.store.countActiveTokens(this.#d.clock.now());
  }

  /** The token behind a secret when it is a usable API token. */
  async tokenOf(secret: string): Promise<TokenRecord | undefined> {
    return this.#lookup(secret, ['api']);
  }

  // ---- workspaces ---------------------------------------------------------------------------
  /** Creates a workspace managed by `ws` and a first admin token in it (secret shown once). */
  async createWorkspace(ws: string, name: string): Promise<{ workspace: WorkspaceRecord; token: TokenRecord; secret: string }> {
    const now = this.#d.clock.now();
    const w: WorkspaceRecord = { id: this.#d.ids.next('wsp'), name: checkName(name, 'name'), created_by: ws, created_at: now, updated_at: now };
    await this.#d.store.createWorkspace(w);
    const { token, secret } = await this.#issue(w.id, 'admin', 'admin', 'api', null, null);
    return { workspace: w, token, secret };
  }

  /** `ws` itself and the workspaces it created. */
  listWorkspaces(ws: string): Promise<WorkspaceRecord[]> {
    return this.#d.store.listWorkspaces(ws);
  }

  /** A workspace `ws` may manage (itself or one it created). @throws NotFoundError otherwise */
  async managedWorkspace(ws: string, id: string): Promise<WorkspaceRecord> {
    const w = await this.#d.store.getWorkspace(id);
    if (!w || (w.id !== ws && w.created_by !== ws)) throw new NotFoundError('workspace', id);
    return w;
  }

  /** Renames a workspace `ws` manages. @throws NotFoundError; ValidationError naming `name` */
  async renameWorkspace(ws: string, id: string, name: string): Promise<WorkspaceRecord> {
    await this.managedWorkspace(ws, id);
    const w = await this.#d.store.renameWorkspace(id, checkName(name, 'name'), this.#d.clock.now());
    if (!w) throw new NotFoundError('workspace', id);
    return w;
  }

  // ---- audit --------------------------------------------------------------------------------
  /** Appends an audit entry for a write. */
  async audit(e: Omit<AuditRecord, 'seq' | 'id' | 'created_at'>): Promise<void> {
    await this.#d.store.appendAudit({ ...e, id: this.#d.ids.next('aud'), created_at: this.#d.clock.now() });
  }

  listAudit(ws: string, opts: { limit: number; cursor?: string }): Promise<Page<AuditRecord>> {
    return this.#d.store.listAudit(ws, opts);
  }

  // ---- credentials --------------------------------------------------------------------------
  #box(): SecretBox {
    if (!this.#d.secrets) throw new RunyardError('validation_failed', 'credentials: no secret key is configured on this node', { field: 'value' });
    return this.#d.secrets;
  }

  /** Saves or rotates a credential, sealed with the secret key. The value is never returned. */
  async putCredential(ws: string, name: string, value: string): Promise<CredentialRecord> {
    const n = checkName(name, 'name');
    if (!/^[A-Za-z0-9_.-]+$/.test(n)) throw new ValidationError('name: letters, digits, "_", "." and "-" only', { field: 'name' });
    if (value.length === 0 || value.length > 64 * 1024) throw new ValidationError('value: expected 1 to 65536 characters', { field: 'value' });
    const sealed = this.#box().seal({ value });
    return this.#d.store.putCredential(ws, n, sealed ?? '', this.#d.clock.now());
  }

  listCredentials(ws: string): Promise<CredentialRecord[]> {
    return this.#d.store.listCredentials(ws);
  }

  /** The clear value of a credential, for the engine only (never for the API). @throws NotFoundError */
  async revealCredential(ws: string, name: string): Promise<string> {
    const box = await this.#d.store.getCredentialBox(ws, name);
    if (box === undefined) throw new NotFoundError('credential', name);
    return this.#box().open(box).value ?? '';
  }

  /** @throws NotFoundError */
  async deleteCredential(ws: string, name: string): Promise<void> {
    if (!(await this.#d.store.deleteCredential(ws, name))) throw new NotFoundError('credential', name);
  }
}
