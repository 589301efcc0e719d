/**
 * Definitions and manual runs that execute code on the server need `admin` (issue 17): adding a
 * column whose producer is `shell` or `js`, and `POST /v1/runs` of such a target (a manual run
 * carries a prompt and env/secret overrides that steer the code). Starting a run of an existing
 * column (`…/columns/{column}/runs`), retries and reruns stay `operator`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { CODE_PRODUCERS, roleAllows } from '../../core/access.js';
import { ForbiddenError } from '../../core/errors.js';
import type { TargetRef } from '../../core/kind.js';
import type { Engine } from '../../engine/engine.js';
import { kindReader } from '../../engine/runs-service.js';
import { principalOf } from './principal.js';

async function bodyOf(c: Context): Promise<Record<string, unknown> | undefined> {
  if (!(c.req.header('content-type') ?? '').includes('json')) return undefined;
  try {
    const b: unknown = await c.req.json();
    return b !== null && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // the route's validation answers
  }
}

function requireAdmin(c: Context, producer: string, what: string): void {
  const p = principalOf(c);
  if (!roleAllows(p.role, 'admin')) {
    throw new ForbiddenError(`${what} with the ${producer} producer runs code on the server and needs the admin role; this token is ${p.role}`, 'admin');
  }
}

/** `POST /v1/tables/{table_id}/columns`: a `shell`/`js` column needs admin. */
export function columnCodeGuard(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'POST') {
      const producer = (await bodyOf(c))?.producer;
      if (typeof producer === 'string' && CODE_PRODUCERS.has(producer)) requireAdmin(c, producer, 'a column');
    }
    await next();
  };
}

/**
 * `POST /v1/runs`: a manual run whose target resolves to a `shell`/`js` producer needs admin,
 * whatever its kind (the target is resolved by its kind module, as the route will). A target
 * that does not resolve passes through: the route answers it (422, 404).
 */
export function manualRunCodeGuard(engine: Engine): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'POST') {
      const target = (await bodyOf(c))?.target;
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
        const type = (target as { type?: unknown }).type;
        if (typeof type === 'string' && engine.kinds.has(type)) {
          const kind = engine.kinds.get(type);
          let producer: string | undefined;
          try {
            producer = (await kind.resolve(kind.parseTarget(target as TargetRef), kindReader(engine.store, principalOf(c).workspace_id))).producer;
          } catch {
            producer = undefined; // the route answers an unresolvable target
          }
          if (producer !== undefined && CODE_PRODUCERS.has(producer)) requireAdmin(c, producer, 'a manual run');
        }
      }
    }
    await next();
  };
}
