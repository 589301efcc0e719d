/**
 * The HTTP application: `/v1` REST routes, `/openapi.json`, `/healthz`, one error handler, and
 * the web console at `/` (console.ts).
 * Built on Hono with zod-openapi, so request validation and the OpenAPI document come from
 * the same schemas.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { silentLogger } from '../engine/logger.js';
import { auditWrites } from './auth/audit.js';
import { columnCodeGuard, manualRunCodeGuard } from './auth/code-guard.js';
import { authenticate } from './auth/middleware.js';
import { hostOriginGuard } from './auth/origin.js';
import { limitSettings, RateLimiter } from './auth/rate-limit.js';
import { accessRoutes } from './routes/access.js';
import { jsonBodyGuard } from './body-guard.js';
import type { Engine } from '../engine/engine.js';
import type { ServerContext } from './context.js';
import { errorBody, onError, zodErrorBody } from './errors.js';
import { consoleRoutes } from './console.js';
import { consoleSupportRoutes } from './routes/console-support.js';
import { controlRoutes } from './routes/control.js';
import { creditRoutes } from './routes/credits.js';
import { manualRunRoutes } from './routes/manual-runs.js';
import { exportRoutes } from './routes/export.js';
import { operationRoutes } from './routes/operations.js';
import { priceRoutes } from './routes/prices.js';
import { runAdminRoutes } from './routes/run-admin.js';
import { runInsightRoutes } from './routes/run-insight.js';
import { runRoutes } from './routes/runs.js';
import { tableRoutes } from './routes/tables.js';
import { ingestionRoutes } from './routes/ingestions.js';
import { commentRoutes } from './routes/comments.js';
import { flowRoutes } from './routes/flows.js';
import { triggerRoutes } from './routes/triggers.js';
import { workerRoutes } from './routes/workers.js';
import { compareRoutes } from './routes/compare.js';

/** Largest request body of a table import, bytes (it carries the whole file). @default 64 MiB */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Largest request body of every other route, bytes (a manual run may carry 100 overrides of 32 KiB). @default 4 MiB */
export const MAX_SMALL_BODY_BYTES = 4 * 1024 * 1024;

/**
 * The body limit of a request, bytes; undefined for the raw import, which counts its streamed
 * body itself (routes/tables.ts): hono's limiter reads a body ahead without back-pressure, so
 * a fast client could fill the server's memory with it.
 */
function bodyLimitOf(method: string, path: string): number | undefined {
  if (method !== 'POST') return MAX_SMALL_BODY_BYTES;
  const p = path.replace(/\/+$/, '');
  return p === '/v1/tables/import' ? undefined : p === '/v1/tables' ? MAX_BODY_BYTES : MAX_SMALL_BODY_BYTES;
}

/** A body limit counted as the bytes stream in (chunked bodies too): 413 as soon as it is passed. */
function limitBody(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: (c) => {
      c.header('connection', 'close');
      return c.json(errorBody('payload_too_large', `body: larger than ${maxSize} bytes`, { field: 'body' }), 413);
    },
  });
}

/**
 * Builds the app for an engine. Every `/v1` route is behind, in order: the Host/Origin guard,
 * security headers, the body limit, the write audit, authentication + role (auth/policy.ts)
 * and, for definitions that run code, the admin guard. Routes registered here later inherit
 * all of it.
 */
export function createApp(engine: Engine, sc: ServerContext): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) {
        const where = result.target === 'json' ? 'body' : result.target === 'param' ? 'path' : result.target === 'header' ? 'header' : 'query';
        return c.json(zodErrorBody(result.error, where), 422);
      }
      return undefined;
    },
  });
  app.onError(onError);
  app.notFound((c) => c.json(errorBody('route_not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.use(
    '*',
    hostOriginGuard(() => sc.origins?.()),
  );
  app.use('*', secureHeaders({ strictTransportSecurity: false, xFrameOptions: 'DENY' }));
  const corsOrigins = sc.corsOrigins ?? [];
  if (corsOrigins.length > 0) {
    app.use('/v1/*', cors({ origin: corsOrigins, credentials: false, allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'last-event-id'] }));
  }
  app.use('/v1/*', (c, next) => {
    const max = bodyLimitOf(c.req.method, c.req.path);
    return max === undefined ? next() : limitBody(max)(c, next);
  });
  const limiter = new RateLimiter(sc.limits ?? limitSettings());
  app.use('/v1/*', auditWrites(engine, sc.logger ?? silentLogger));
  app.use('/v1/*', authenticate(engine, limiter));
  app.use('/v1/*', jsonBodyGuard());
  app.use('/v1/tables/:table_id/columns', columnCodeGuard());
  app.use('/v1/runs', manualRunCodeGuard(engine));
  app.get('/healthz', (c) => c.json({ ok: true }));
  accessRoutes(app, engine, { secureCookies: () => sc.secureCookies === true });
  tableRoutes(app, engine, sc);
  commentRoutes(app, engine);
  consoleSupportRoutes(app, engine, sc);
  // Before runRoutes: `/v1/runs/count` and `/v1/runs/export` must win over `/v1/runs/{run_id}`.
  exportRoutes(app, engine, sc);
  compareRoutes(app, engine);
  runAdminRoutes(app, engine, sc);
  runRoutes(app, engine, sc);
  runInsightRoutes(app, engine, sc);
  controlRoutes(app, engine, sc);
  creditRoutes(app, engine);
  priceRoutes(app, engine);
  manualRunRoutes(app, engine, sc);
  operationRoutes(app, engine);
  ingestionRoutes(app, engine, sc);
  flowRoutes(app, engine, sc);
  triggerRoutes(app, engine, sc);
  workerRoutes(app, engine, sc);
  app.doc('/openapi.json', {
    openapi: '3.0.3',
    info: {
      title: 'Runyard API',
      version: '0.1.0',
      description: 'Runs, items, events, tables and columns. Errors: {"error": {"code", "message", "details"}}.',
    },
  });
  // Last: the console answers GET paths no API route took.
  consoleRoutes(app);
  return app;
}
