/**
 * The audit middleware: every write to `/v1` (any method but GET/HEAD/OPTIONS) that reached a
 * known workspace appends one audit entry after it is answered — who (token id and name), what
 * (method, route pattern, target id), when, and the outcome. Request bodies, headers, query
 * strings, tokens and secrets are never recorded.
 */
import type { MiddlewareHandler } from 'hono';
import type { Principal } from '../../core/access.js';
import type { Engine } from '../../engine/engine.js';
import type { Logger } from '../../engine/logger.js';
import { isSafeMethod } from './middleware.js';
import { matchRoute } from './policy.js';

function outcomeOf(status: number): 'ok' | 'denied' | 'failed' {
  if (status < 400) return 'ok';
  return status === 401 || status === 403 || status === 404 ? 'denied' : 'failed';
}

/** Id of what a write acted on: the last path parameter, else the `id` a create answered with. */
async function targetOf(params: Map<string, string> | undefined, res: Response): Promise<string | null> {
  const last = params ? [...params.values()].at(-1) : undefined;
  if (last !== undefined) return last.slice(0, 200);
  if (res.status !== 201 || !(res.headers.get('content-type') ?? '').includes('json')) return null;
  try {
    const body = (await res.clone().json()) as { id?: unknown; workspace?: { id?: unknown }; token?: { id?: unknown } };
    const id = body.id ?? body.workspace?.id ?? body.token?.id;
    return typeof id === 'string' ? id.slice(0, 200) : null;
  } catch {
    return null;
  }
}

/** Appends an audit entry for every write; a failure to write it is logged, never hidden. */
export function auditWrites(engine: Engine, logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (isSafeMethod(c.req.method)) return;
    const p = c.get('principal') as Principal | undefined;
    if (!p) return;
    const route = matchRoute(c.req.method, c.req.path);
    try {
      await engine.access.audit({
        workspace_id: p.workspace_id,
        token_id: p.token_id,
        token_name: p.token_name,
        method: c.req.method,
        route: route?.pattern ?? 'unknown',
        target_id: await targetOf(route?.params, c.res),
        status: c.res.status,
        outcome: outcomeOf(c.res.status),
      });
    } catch (err) {
      logger.error('audit entry not written', { route: route?.pattern ?? 'unknown', error: (err as Error).message });
    }
  };
}
