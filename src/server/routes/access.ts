/**
 * Tokens, workspaces, the audit log and saved credentials (admin), and the console session.
 * - `POST /v1/tokens` `{name, role, expires_at?, workspace_id?}` → 201 `{token, secret}` (the
 *   secret is shown once); `GET /v1/tokens`; `DELETE /v1/tokens/{token_id}` revokes it and its
 *   console sessions at once
 * - `POST /v1/workspaces` `{name}` → 201 `{workspace, token, secret}` (a first admin token of the
 *   new workspace); `GET /v1/workspaces` (this one and those it created); `PATCH …/{id}` `{name}`
 * - `GET /v1/audit` newest first; `GET /v1/credentials`, `PUT /v1/credentials/{name}` `{value}`
 *   (create or rotate), `DELETE /v1/credentials/{name}`; values are never returned
 * - `POST /v1/session` (public) exchanges `Authorization: Bearer` or `{code}` (a one-time login
 *   code) for an `HttpOnly; SameSite=Strict` cookie (`Secure` over TLS); `GET /v1/session` says
 *   who is calling (and the CSRF value for writes); `DELETE /v1/session` logs out
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { deleteCookie, setCookie } from 'hono/cookie';
import { ROLES } from '../../core/access.js';
import { UnauthorizedError } from '../../core/errors.js';
import type { Engine } from '../../engine/engine.js';
import type { TokenRecord } from '../../store/access-port.js';
import { principalOf, wsOf } from '../auth/principal.js';
import { SESSION_COOKIE } from '../auth/middleware.js';
import { iso } from '../present.js';
import { ErrorSchema, json, limitParam } from '../schemas.js';
import { AuditSchema, CredentialSchema, SessionSchema, TokenSchema, WorkspaceSchema } from '../access-schemas.js';

const errors = {
  401: json(ErrorSchema, 'No valid credential'),
  403: json(ErrorSchema, 'Role too low'),
  404: json(ErrorSchema, 'Not found'),
  422: json(ErrorSchema, 'Invalid input'),
};
const name = z.string().min(1).max(200);

function presentToken(t: TokenRecord) {
  return {
    id: t.id,
    workspace_id: t.workspace_id,
    name: t.name,
    role: t.role,
    created_at: iso(t.created_at) ?? '',
    expires_at: iso(t.expires_at),
    last_used_at: iso(t.last_used_at),
    revoked_at: iso(t.revoked_at),
  };
}

function presentWorkspace(w: { id: string; name: string; created_by: string | null; created_at: number }) {
  return { id: w.id, name: w.name, created_by: w.created_by, created_at: iso(w.created_at) ?? '' };
}

/** Registers the access routes. `secureCookies`: mark the session cookie `Secure` (TLS). */
export function accessRoutes(app: OpenAPIHono, engine: Engine, opts: { secureCookies: () => boolean }): void {
  const a = engine.access;

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tokens',
      summary: 'Create an API token (the secret is returned once)',
      request: {
        body: {
          content: {
            'application/json': {
              schema: z.object({
                name,
                role: z.enum(ROLES as [string, ...string[]]),
                expires_at: z.iso.datetime().optional(),
                workspace_id: z.string().optional(),
              }),
            },
          },
          required: true,
        },
      },
      responses: { 201: json(z.object({ token: TokenSchema, secret: z.string() }), 'The token and its secret'), ...errors },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const ws = b.workspace_id === undefined ? wsOf(c) : (await a.managedWorkspace(wsOf(c), b.workspace_id)).id;
      const { token, secret } = await a.createToken(ws, {
        name: b.name,
        role: b.role,
        expires_at: b.expires_at === undefined ? null : Date.parse(b.expires_at),
      });
      return c.json({ token: presentToken(token), secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tokens',
      summary: "The workspace's API tokens (never their secrets)",
      responses: { 200: json(z.object({ data: z.array(TokenSchema) }), 'Tokens'), ...errors },
    }),
    async (c) => c.json({ data: (await a.listTokens(wsOf(c))).map(presentToken) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/tokens/{token_id}',
      summary: 'Revoke a token and its console sessions (effective on the next request)',
      request: { params: z.object({ token_id: z.string() }) },
      responses: { 200: json(TokenSchema, 'The revoked token'), ...errors },
    }),
    async (c) => c.json(presentToken(await a.revokeToken(wsOf(c), c.req.valid('param').token_id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/workspaces',
      summary: 'Create a workspace managed by this one, with a first admin token (secret returned once)',
      request: { body: { content: { 'application/json': { schema: z.object({ name }) } }, required: true } },
      responses: { 201: json(z.object({ workspace: WorkspaceSchema, token: TokenSchema, secret: z.string() }), 'The workspace'), ...errors },
    }),
    async (c) => {
      const r = await a.createWorkspace(wsOf(c), c.req.valid('json').name);
      return c.json({ workspace: presentWorkspace(r.workspace), token: presentToken(r.token), secret: r.secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/workspaces',
      summary: 'This workspace and those it created',
      responses: { 200: json(z.object({ data: z.array(WorkspaceSchema) }), 'Workspaces'), ...errors },
    }),
    async (c) => c.json({ data: (await a.listWorkspaces(wsOf(c))).map(presentWorkspace) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/workspaces/{workspace_id}',
      summary: 'Rename a workspace',
      request: { params: z.object({ workspace_id: z.string() }), body: { content: { 'application/json': { schema: z.object({ name }) } }, required: true } },
      responses: { 200: json(WorkspaceSchema, 'The workspace'), ...errors },
    }),
    async (c) => c.json(presentWorkspace(await a.renameWorkspace(wsOf(c), c.req.valid('param').workspace_id, c.req.valid('json').name)), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit',
      summary: 'The audit log of writes, newest first',
      request: { query: z.object({ limit: limitParam, cursor: z.string().optional() }) },
      responses: { 200: json(z.object({ data: z.array(AuditSchema), next_cursor: z.string().nullable() }), 'Entries'), ...errors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await a.listAudit(wsOf(c), { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
      const data = page.data.map((e) => ({
        id: e.id,
        token_id: e.token_id,
        token_name: e.token_name,
        method: e.method,
        route: e.route,
        target_id: e.target_id,
        status: e.status,
        outcome: e.outcome,
        created_at: iso(e.created_at) ?? '',
      }));
      return c.json({ data, next_cursor: page.next_cursor }, 200);
    },
  );

  const presentCredential = (r: { name: string; version: number; created_at: number; updated_at: number }) => ({
    name: r.name,
    version: r.version,
    created_at: iso(r.created_at) ?? '',
    updated_at: iso(r.updated_at) ?? '',
  });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/credentials',
      summary: 'Saved credentials (names and versions, never values)',
      responses: { 200: json(z.object({ data: z.array(CredentialSchema) }), 'Credentials'), ...errors },
    }),
    async (c) => c.json({ data: (await a.listCredentials(wsOf(c))).map(presentCredential) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/credentials/{name}',
      summary: 'Save or rotate a credential (encrypted at rest; definitions refer to it by name)',
      request: {
        params: z.object({ name: z.string() }),
        body: { content: { 'application/json': { schema: z.object({ value: z.string().min(1).max(65536) }) } }, required: true },
      },
      responses: { 200: json(CredentialSchema, 'The credential (without its value)'), ...errors },
    }),
    async (c) => c.json(presentCredential(await a.putCredential(wsOf(c), c.req.valid('param').name, c.req.valid('json').value)), 200),
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/credentials/{name}',
      summary: 'Delete a credential',
      request: { params: z.object({ name: z.string() }) },
      responses: { 204: { description: 'Deleted' }, ...errors },
    }),
    async (c) => {
      await a.deleteCredential(wsOf(c), c.req.valid('param').name);
      return c.body(null, 204);
    },
  );

  const sessionView = async (p: ReturnType<typeof principalOf>) => ({
    workspace_id: p.workspace_id,
    workspace_name: (await engine.store.access.getWorkspace(p.workspace_id))?.name ?? p.workspace_id,
    role: p.role,
    token_name: p.token_name,
    csrf_token: p.session_id === undefined ? null : a.csrfToken(p.session_id),
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/session',
      summary: 'Console login: exchange a bearer token or a one-time login code for a session cookie',
      request: { body: { content: { 'application/json': { schema: z.object({ code: z.string().max(200).optional() }) } }, required: false } },
      responses: { 201: json(SessionSchema, 'The session (cookie set)'), ...errors },
    }),
    async (c) => {
      const header = c.req.header('authorization');
      const bearer = header === undefined ? undefined : /^bearer ([^\s,]+)$/i.exec(header)?.[1];
      const body = c.req.header('content-type') ? c.req.valid('json') : {};
      const credential = bearer ?? body.code;
      const s = credential === undefined ? undefined : await a.startSession(credential);
      if (!s) throw new UnauthorizedError('the token or login code is not valid (unknown, expired, revoked or already used)');
      setCookie(c, SESSION_COOKIE, s.secret, {
        httpOnly: true,
        sameSite: 'Strict',
        secure: opts.secureCookies() || new URL(c.req.url).protocol === 'https:',
        path: '/',
        maxAge: Math.max(1, Math.floor((s.expires_at - engine.clock.now()) / 1000)),
      });
      c.set('principal', s.principal);
      return c.json(await sessionView(s.principal), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/session',
      summary: 'Who is calling: workspace, role, and the CSRF value for console writes',
      responses: { 200: json(SessionSchema, 'The caller'), ...errors },
    }),
    async (c) => c.json(await sessionView(principalOf(c)), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/session',
      summary: 'Log out: end the console session',
      responses: { 204: { description: 'Logged out' }, ...errors },
    }),
    async (c) => {
      await a.endSession(principalOf(c));
      deleteCookie(c, SESSION_COOKIE, { path: '/' });
      return c.body(null, 204);
    },
  );
}
