/**
 * The HTTP application: `/v1` REST routes, `/openapi.json`, `/healthz`, one error handler, and
 * the web console at `/` (console.ts).
 * Built on Hono with zod-openapi, so request validation and the OpenAPI document come from
 * the same schemas.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
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

/** Largest request body, bytes (a table import carries the whole file). @default 64 MiB */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Builds the app for an engine. */
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
    '/v1/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json(errorBody('payload_too_large', `body: larger than ${MAX_BODY_BYTES} bytes`, { field: 'body' }), 413),
    }),
  );
  app.get('/healthz', (c) => c.json({ ok: true }));
  tableRoutes(app, engine, sc);
  consoleSupportRoutes(app, engine, sc);
  // Before runRoutes: `/v1/runs/count` and `/v1/runs/export` must win over `/v1/runs/{run_id}`.
  exportRoutes(app, engine, sc);
  runAdminRoutes(app, engine, sc);
  runRoutes(app, engine, sc);
  runInsightRoutes(app, engine, sc);
  controlRoutes(app, engine, sc);
  creditRoutes(app, engine);
  priceRoutes(app, engine);
  manualRunRoutes(app, engine, sc);
  operationRoutes(app, engine);
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
