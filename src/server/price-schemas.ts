/** Request and response schemas of the price routes (routes/prices.ts); amounts in integer µ. */
import { z } from '@hono/zod-openapi';

/** Price key → µ per unit (core/credits.ts `PriceTable`). */
const PricesMap = z.record(z.string(), z.number()).openapi({
  description:
    'Price key → integer micro-credits per unit. Keys: `js_call`, `http_call`, `command_second`, `row`, `tokens:<model>:input` and `tokens:<model>:output` (per 1,000 tokens); a key not listed costs 0',
  example: { js_call: 1000, command_second: 50 },
});

/** One price version as the API shows it (`GET`/`PUT /v1/prices`). */
export const PriceVersionSchema = z
  .object({
    workspace_id: z.string(),
    version: z.number().int().nullable().openapi({ description: 'Counts up from 1 with every change; null: prices were never set (runs are free)' }),
    prices: PricesMap,
    prices_credits: z.record(z.string(), z.number()).openapi({ description: 'The same prices in credits' }),
    source: z.enum(['api', 'env']).nullable().openapi({ description: '`api` (PUT /v1/prices) or `env` (RUNYARD_PRICES at a node start)' }),
    created_at: z.string().nullable(),
    changed: z.boolean().optional().openapi({ description: 'PUT only: false when the prices equal the current version (nothing written)' }),
  })
  .openapi('PriceVersion');

/** Body of `PUT /v1/prices`. */
export const PutPricesBody = z.object({ prices: PricesMap }).strict().openapi('PutPrices');
