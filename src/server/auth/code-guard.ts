/**
 * Definitions and manual runs that execute code on the server need `admin` (issue 17): adding a
 * column whose producer is `shell` or `js`, and `POST /v1/runs` of such a target (a manual run
 * carries a prompt and env/secret overrides that steer the code). Starting a run of an existing
 * column (`…/columns/{column}/runs`), retries and reruns stay `operator`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { CODE_PRODUCERS, roleAllows } from '../../core/access.js';
import { ForbiddenError } from '../../core/errors.js';
import type { Engine } from '../../engine/engine.js';
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

/** `POST /v1/runs`: a manual run of a `shell`/`js` column needs admin. */
export function manualRunCodeGuard(engine: Engine): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'POST') {
      const target = (await bodyOf(c))?.target as { type?: unknown; table_id?: unknown; column?: unknown } | undefined;
      if (target && target.type === 'column' && typeof target.table_id === 'string' && typeof target.column === 'string') {
        const col = await engine.store.getColumn(principalOf(c).workspace_id, target.table_id, target.column);
        if (col && CODE_PRODUCERS.has(col.producer)) requireAdmin(c, col.producer, 'a manual run');
      }
    }
    await next();
  };
}
