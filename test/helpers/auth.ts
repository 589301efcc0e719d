/**
 * Authentication for tests, in one place: every `/v1` route needs a token (issue 17).
 * - {@link authedApp}: the in-process app plus `request()` that sends an admin token;
 * - {@link tokenFor}: a token of any role (and workspace) straight from the engine;
 * - {@link authFetch}: `fetch` with `Authorization: Bearer` for tests over real HTTP.
 */
import type { Role } from '../../src/core/access.js';
import type { Engine } from '../../src/engine/engine.js';
import { createApp } from '../../src/server/app.js';
import type { ServerContext } from '../../src/server/context.js';

/** A token secret of `role` in `workspace` (default: the engine's default workspace). */
export async function tokenFor(engine: Engine, role: Role = 'admin', workspace = engine.workspaceId, name = `test ${role}`): Promise<string> {
  return (await engine.access.createToken(workspace, { name, role })).secret;
}

/** The in-process app and its admin token; `request` adds the token unless the caller sets `authorization`. */
export interface TestApp {
  app: ReturnType<typeof createApp>;
  token: string;
  request(path: string, init?: RequestInit): Promise<Response>;
}

/** `createApp` plus an admin token of the default workspace sent on every request. */
export async function authedApp(engine: Engine, sc: ServerContext = { baseUrl: () => 'http://runyard.test' }, role: Role = 'admin'): Promise<TestApp> {
  const app = createApp(engine, sc);
  const token = await tokenFor(engine, role);
  return {
    app,
    token,
    request(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
      return Promise.resolve(app.request(path, { ...init, headers }));
    },
  };
}

/** `fetch` sending `Authorization: Bearer <token>` (unless the init sets one). */
export function authFetch(token: string | undefined): typeof fetch {
  return (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (token !== undefined && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
}
