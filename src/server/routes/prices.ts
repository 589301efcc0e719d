/**
 * Prices (engine/prices.ts), µ per unit, versioned per workspace:
 * - `GET /v1/prices[?version=N]` → the current version (or version N): `{ version, prices, source, created_at }`;
 *   `version: null` and `prices: {}` when prices were never set (runs are free)
 * - `PUT /v1/prices` `{ prices: { js_call: 1000, … } }` → a new current version, unless equal to
 *   the current one (`changed: false`). Runs already created keep the version they started with.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { toCredits, type PriceVersion } from '../../core/credits.js';
import { ValidationError } from '../../core/errors.js';
import type { Engine } from '../../engine/engine.js';
import { wsOf } from '../auth/principal.js';
import { iso } from '../present.js';
import { PriceVersionSchema, PutPricesBody } from '../price-schemas.js';
import { ErrorSchema, json } from '../schemas.js';

function present(ws: string, v: PriceVersion | undefined) {
  const prices = v?.prices ?? {};
  return {
    workspace_id: ws,
    version: v?.version ?? null,
    prices: { ...prices },
    prices_credits: Object.fromEntries(Object.entries(prices).map(([k, n]) => [k, toCredits(n)])),
    source: v?.source ?? null,
    created_at: v ? iso(v.created_at) : null,
  };
}

/** Registers the price routes. */
export function priceRoutes(app: OpenAPIHono, engine: Engine): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/prices',
      summary: "The workspace's current prices, or one version of them",
      request: { query: z.object({ version: z.string().optional().openapi({ description: 'A version number; default the current one' }) }) },
      responses: {
        200: json(PriceVersionSchema, 'A price version'),
        404: json(ErrorSchema, 'No such version'),
        422: json(ErrorSchema, 'Invalid input'),
      },
    }),
    async (c) => {
      const ws = wsOf(c);
      const q = c.req.valid('query');
      let version: number | undefined;
      if (q.version !== undefined) {
        version = /^\d{1,9}$/.test(q.version) ? Number(q.version) : NaN;
        if (!(version >= 1)) throw new ValidationError('version: expected a whole number from 1', { field: 'version' });
      }
      return c.json(present(ws, await engine.prices.get(ws, version)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/prices',
      summary: 'Set the prices: a new version for runs created from now on',
      request: { body: { content: { 'application/json': { schema: PutPricesBody } }, required: true } },
      responses: { 200: json(PriceVersionSchema, 'The current version'), 422: json(ErrorSchema, 'Invalid input (the field names the price key)') },
    }),
    async (c) => {
      const ws = wsOf(c);
      const { version, created } = await engine.prices.set(ws, c.req.valid('json').prices, 'api');
      return c.json({ ...present(ws, version), changed: created }, 200);
    },
  );
}
