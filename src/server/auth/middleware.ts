/**
 * Authentication and authorisation of every `/v1` request, before any route runs:
 * 1. the route's least role from the policy table (policy.ts; unknown routes: `admin`);
 * 2. the credential: `Authorization: Bearer ryd_…`, else the console session cookie (then a
 *    write must also carry `x-csrf-token`); a token in the URL is refused, never used;
 * 3. the per-token rate limit (`429` + `Retry-After`);
 * 4. the role check (`403 forbidden` naming the role needed).
 * Failures are typed errors answered by the one error handler; "unknown", "expired" and
 * "revoked" give the same 401 body.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { roleAllows, type Principal } from '../../core/access.js';
import { ForbiddenError, RunyardError, UnauthorizedError } from '../../core/errors.js';
import type { Engine } from '../../engine/engine.js';
import { matchRoute } from './policy.js';
import type { RateLimiter } from './rate-limit.js';

/** Name of the console session cookie. */
export const SESSION_COOKIE = 'runyard_session';
/** Header carrying the CSRF value on cookie-authenticated writes. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const URL_TOKEN_PARAMS = ['token', 'access_token', 'api_key', 'apikey'];

/** Whether a method changes nothing (reads). */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/** Parses `Authorization: Bearer <token>` (scheme case-insensitive, one space, nothing else). */
function bearerOf(c: Context): string | undefined | null {
  const h = c.req.header('authorization');
  if (h === undefined) return undefined;
  const m = /^bearer ([^\s,]+)$/i.exec(h);
  return m ? (m[1] ?? null) : null;
}

async function resolvePrincipal(c: Context, engine: Engine): Promise<Principal | undefined> {
  const bearer = bearerOf(c);
  if (bearer === null) return undefined;
  if (bearer !== undefined) return engine.access.authenticate(bearer, 'bearer');
  const cookie = getCookie(c, SESSION_COOKIE);
  return cookie === undefined ? undefined : engine.access.authenticate(cookie, 'session');
}

/** The authentication middleware for `/v1/*`. */
export function authenticate(engine: Engine, limiter: RateLimiter): MiddlewareHandler {
  return async (c, next) => {
    const route = matchRoute(c.req.method, c.req.path);
    const need = route?.need ?? 'admin';
    if (need === 'public') return next();
    const url = new URL(c.req.url);
    if (URL_TOKEN_PARAMS.some((p) => url.searchParams.has(p))) {
      throw new UnauthorizedError('tokens are not accepted in the URL (they end up in logs and history): send "Authorization: Bearer ryd_…"');
    }
    const principal = await resolvePrincipal(c, engine);
    if (!principal) throw new UnauthorizedError();
    c.set('principal', principal);
    c.set('openStream', () => limiter.openStream(principal.token_id));
    const wait = limiter.take(principal.token_id);
    if (wait > 0) {
      c.header('retry-after', String(Math.ceil(wait / 1000)));
      throw new RunyardError('rate_limited', `too many requests with token "${principal.token_name}"; retry after ${Math.ceil(wait / 1000)} s`, {
        retry_after_s: Math.ceil(wait / 1000),
      });
    }
    if (!roleAllows(principal.role, need)) {
      throw new ForbiddenError(`${c.req.method} ${route?.pattern ?? c.req.path} needs the ${need} role; this token is ${principal.role}`, need);
    }
    if (principal.via === 'session' && !isSafeMethod(c.req.method) && principal.session_id !== undefined) {
      const sent = c.req.header(CSRF_HEADER);
      if (sent !== engine.access.csrfToken(principal.session_id)) {
        throw new ForbiddenError(`a console write needs the ${CSRF_HEADER} header of its session (GET /v1/session)`, principal.role);
      }
    }
    await next();
  };
}
