/** Schemas of the access routes (tokens, workspaces, audit, credentials, session); times ISO-8601 UTC. */
import { z } from '@hono/zod-openapi';
import { ROLES } from '../core/access.js';

/** An API token as shown (never its secret or hash). */
export const TokenSchema = z
  .object({
    id: z.string(),
    workspace_id: z.string(),
    name: z.string(),
    role: z.enum(ROLES as [string, ...string[]]),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi('Token');
/** A workspace. */
export const WorkspaceSchema = z.object({ id: z.string(), name: z.string(), created_by: z.string().nullable(), created_at: z.string() }).openapi('Workspace');
/** One audit entry: who, what, when, outcome. */
export const AuditSchema = z
  .object({
    id: z.string(),
    token_id: z.string().nullable(),
    token_name: z.string().nullable(),
    method: z.string(),
    route: z.string(),
    target_id: z.string().nullable(),
    status: z.number().int(),
    outcome: z.enum(['ok', 'denied', 'failed']),
    created_at: z.string(),
  })
  .openapi('AuditEntry');
/** A saved credential without its value. */
export const CredentialSchema = z.object({ name: z.string(), version: z.number().int(), created_at: z.string(), updated_at: z.string() }).openapi('Credential');
/** The caller: workspace, role, and the CSRF value of a console session. */
export const SessionSchema = z
  .object({ workspace_id: z.string(), workspace_name: z.string(), role: z.string(), token_name: z.string(), csrf_token: z.string().nullable() })
  .openapi('Session');
