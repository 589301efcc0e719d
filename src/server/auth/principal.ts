/**
 * The request's principal (who is calling, in which workspace, with which role), set by the
 * authentication middleware before any `/v1` route runs.
 */
import type { Context } from 'hono';
import type { Principal } from '../../core/access.js';
import { UnauthorizedError } from '../../core/errors.js';

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal;
    /** Opens an event-stream slot of the caller's token; undefined when at its cap. */
    openStream: () => (() => void) | undefined;
  }
}

/** The caller. @throws UnauthorizedError when no middleware authenticated the request */
export function principalOf(c: Context): Principal {
  const p = c.get('principal') as Principal | undefined;
  if (!p) throw new UnauthorizedError();
  return p;
}

/** The caller's workspace id: every query of a route is scoped to it. */
export function wsOf(c: Context): string {
  return principalOf(c).workspace_id;
}
