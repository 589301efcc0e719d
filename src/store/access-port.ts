/**
 * The store's access part: workspaces, API tokens and console sessions, the audit log and
 * saved credentials. Reached as `store.access` so the run/item port stays as it is. Times are
 * epoch ms passed in by the caller; secrets never reach the store in clear (tokens as SHA-256
 * hashes, credentials as ciphertext).
 */
import type { Role } from '../core/access.js';
import type { Page } from './port.js';

/** A workspace (tenant). */
export interface WorkspaceRecord {
  id: string;
  name: string;
  /** The workspace whose admin created it; null for the default workspace. */
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

/** A token or session as stored (never its secret). */
export interface TokenRecord {
  id: string;
  workspace_id: string;
  name: string;
  role: Role;
  /** `api` (bearer token), `session` (console cookie) or `login` (one-time login code). */
  kind: 'api' | 'session' | 'login';
  parent_id: string | null;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** One audit entry: who (token id and name), what (method, route pattern, target id), when, outcome. */
export interface AuditRecord {
  seq: number;
  id: string;
  workspace_id: string;
  token_id: string | null;
  token_name: string | null;
  method: string;
  route: string;
  target_id: string | null;
  status: number;
  outcome: 'ok' | 'denied' | 'failed';
  created_at: number;
}

/** A saved credential's metadata (the sealed value is only read by {@link AccessStore.getCredentialBox}). */
export interface CredentialRecord {
  name: string;
  version: number;
  created_at: number;
  updated_at: number;
}

/** Workspaces, tokens, audit and credentials. Each method is one transaction. */
export interface AccessStore {
  /** Creates a workspace and its credit account. */
  createWorkspace(ws: WorkspaceRecord): Promise<WorkspaceRecord>;
  getWorkspace(id: string): Promise<WorkspaceRecord | undefined>;
  /** The workspace `ws` and the workspaces it created, oldest first. */
  listWorkspaces(ws: string): Promise<WorkspaceRecord[]>;
  /** @returns the renamed workspace, undefined when unknown */
  renameWorkspace(id: string, name: string, now: number): Promise<WorkspaceRecord | undefined>;

  /** Stores a token or session by the SHA-256 hex of its secret. */
  createToken(t: TokenRecord, hash: string): Promise<TokenRecord>;
  /** The token or session whose secret hashes to `hash` (whatever its state: the caller checks). */
  findTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  getToken(ws: string, id: string): Promise<TokenRecord | undefined>;
  /** The workspace's API tokens (not sessions), newest first. */
  listTokens(ws: string): Promise<TokenRecord[]>;
  /** Revokes a token and every session exchanged for it. @returns the token, undefined when unknown in `ws` */
  revokeToken(ws: string, id: string, now: number): Promise<TokenRecord | undefined>;
  /**
   * Spends a one-time credential (a login code): revokes it only if it is not revoked yet, as a
   * compare-and-set, so of two concurrent exchanges exactly one gets `true`.
   */
  consumeToken(ws: string, id: string, now: number): Promise<boolean>;
  /** Sets `last_used_at` (callers throttle it). */
  touchToken(id: string, now: number): Promise<void>;
  /** How many unrevoked API tokens exist in every workspace. */
  countActiveTokens(now: number): Promise<number>;

  /** Appends an audit entry (the table refuses UPDATE and DELETE). */
  appendAudit(entry: Omit<AuditRecord, 'seq'>): Promise<void>;
  /** Newest first; cursor pagination on `seq`. */
  listAudit(ws: string, opts: { limit: number; cursor?: string }): Promise<Page<AuditRecord>>;

  /** Creates or replaces (rotates: `version + 1`) a credential's sealed value. */
  putCredential(ws: string, name: string, box: string, now: number): Promise<CredentialRecord>;
  listCredentials(ws: string): Promise<CredentialRecord[]>;
  /** The sealed value, undefined when unknown. */
  getCredentialBox(ws: string, name: string): Promise<string | undefined>;
  /** @returns whether it existed */
  deleteCredential(ws: string, name: string): Promise<boolean>;
}
