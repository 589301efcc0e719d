/**
 * Credits (amounts in integer micro-credits `*_micro`, with decimal credits alongside):
 * - `GET /v1/credits/balance` → `{ granted, captured, outstanding, adjusted, available }`
 * - `GET /v1/credits/ledger?run_id&kind&limit&cursor` → ledger entries, oldest first
 * - `POST /v1/credits/grants` `{ amount_micro, reason?, workspace_id? }` (Idempotency-Key honoured)
 * - `POST /v1/credits/adjustments` `{ amount_micro (±), reason }`
 * - `GET /v1/usage?window=1h|24h|7d|30d` → runs, items, tokens, credits by target, provider and
 *   model: `{window, since, runs, items, input_tokens, output_tokens, credits_used,
 *   credits_used_micro, by_target: {id: {runs, items, credits_used}}, by_provider / by_model:
 *   {name: {items, input_tokens, output_tokens, credits_used}}}` (credits in the groups are µ;
 *   `by_model` counts only items whose usage names a model)
 * - `GET /v1/runs/{run_id}/provider-summary` → calls, successes, failures, p50/p95, credits per provider
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { toCredits, type Balance, type LedgerKind } from '../../core/credits.js';
import { ValidationError } from '../../core/errors.js';
import type { Engine } from '../../engine/engine.js';
import { USAGE_WINDOWS, type UsageWindow } from '../../engine/credits.js';
import { iso } from '../present.js';
import { ErrorSchema, limitParam, json } from '../schemas.js';
import { wsOf } from '../auth/principal.js';

const errors = { 402: json(ErrorSchema, 'Not enough credits'), 404: json(ErrorSchema, 'Not found'), 422: json(ErrorSchema, 'Invalid input') };

const BalanceSchema = z
  .object({
    workspace_id: z.string(),
    granted_micro: z.number().int(),
    captured_micro: z.number().int(),
    outstanding_micro: z.number().int(),
    adjusted_micro: z.number().int(),
    available_micro: z.number().int(),
    available: z.number(),
  })
  .openapi('Balance');

const LedgerEntrySchema = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    kind: z.enum(['grant', 'reserve', 'capture', 'release', 'adjust']),
    amount_micro: z.number().int(),
    amount: z.number(),
    run_id: z.string().nullable(),
    item_id: z.string().nullable(),
    idempotency_key: z.string(),
    reason: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('LedgerEntry');

const amountMicro = z.number().openapi({ description: 'Integer micro-credits (1 credit = 1,000,000)' });
const GrantBody = z
  .object({ amount_micro: amountMicro, reason: z.string().max(500).optional(), workspace_id: z.string().optional() })
  .strict()
  .openapi('Grant');
const AdjustBody = z
  .object({ amount_micro: amountMicro, reason: z.string().min(1).max(500), workspace_id: z.string().optional() })
  .strict()
  .openapi('Adjustment');

function presentBalance(ws: string, b: Balance) {
  return {
    workspace_id: ws,
    granted_micro: b.granted,
    captured_micro: b.captured,
    outstanding_micro: b.outstanding,
    adjusted_micro: b.adjusted,
    available_micro: b.available,
    available: toCredits(b.available),
  };
}

export function creditRoutes(app: OpenAPIHono, engine: Engine): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/credits/balance',
      summary: 'The workspace balance, derived from the ledger',
      responses: { 200: json(BalanceSchema, 'Balance') },
    }),
    async (c) => c.json(presentBalance(wsOf(c), await engine.store.getBalance(wsOf(c))), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/credits/ledger',
      summary: 'Ledger entries, oldest first',
      request: { query: z.object({ run_id: z.string().optional(), kind: z.string().optional(), limit: limitParam, cursor: z.string().optional() }) },
      responses: { 200: json(z.object({ data: z.array(LedgerEntrySchema), next_cursor: z.string().nullable() }), 'Entries'), 422: errors[422] },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const kinds = q.kind?.split(',').map((k) => {
        if (!['grant', 'reserve', 'capture', 'release', 'adjust'].includes(k))
          throw new ValidationError(`kind: unknown ledger entry kind ${JSON.stringify(k)}`, { field: 'kind' });
        return k as LedgerKind;
      });
      const page = await engine.store.listLedger(
        wsOf(c),
        { ...(q.run_id ? { run_id: q.run_id } : {}), ...(kinds ? { kind: kinds } : {}) },
        { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) },
      );
      const data = page.data.map((e) => ({ ...e, amount_micro: e.amount, amount: toCredits(e.amount), created_at: iso(e.created_at) }));
      return c.json({ data, next_cursor: page.next_cursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/credits/grants',
      summary: 'Grant credits (a plan refill or top-up); runs waiting for credits start',
      request: {
        headers: z.object({ 'idempotency-key': z.string().max(255).optional() }),
        body: { content: { 'application/json': { schema: GrantBody } }, required: true },
      },
      responses: { 201: json(BalanceSchema, 'The balance after the grant'), 200: json(BalanceSchema, 'Already granted with this Idempotency-Key'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const target = body.workspace_id === undefined ? wsOf(c) : (await engine.access.managedWorkspace(wsOf(c), body.workspace_id)).id;
      const res = await engine.credits.grant(target, body.amount_micro, body.reason ?? null, c.req.valid('header')['idempotency-key']);
      return c.json(presentBalance(target, res.balance), res.created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/credits/adjustments',
      summary: 'Adjust the balance up or down, with a reason',
      request: {
        headers: z.object({ 'idempotency-key': z.string().max(255).optional() }),
        body: { content: { 'application/json': { schema: AdjustBody } }, required: true },
      },
      responses: {
        201: json(BalanceSchema, 'The balance after the adjustment'),
        200: json(BalanceSchema, 'Already adjusted with this Idempotency-Key'),
        ...errors,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const target = body.workspace_id === undefined ? wsOf(c) : (await engine.access.managedWorkspace(wsOf(c), body.workspace_id)).id;
      const res = await engine.credits.adjust(target, body.amount_micro, body.reason, c.req.valid('header')['idempotency-key']);
      return c.json(presentBalance(target, res.balance), res.created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/usage',
      summary: 'Usage in a rolling window: runs, items, tokens and credits by target, provider and model',
      request: { query: z.object({ window: z.enum(Object.keys(USAGE_WINDOWS) as [UsageWindow, ...UsageWindow[]]).default('24h') }) },
      responses: {
        200: json(
          z.record(z.string(), z.unknown()).openapi('Usage', {
            description:
              '{window, since, runs, items, input_tokens, output_tokens, credits_used (credits), credits_used_micro, by_target: {target_id: {runs, items, ' +
              'credits_used µ}}, by_provider: {provider: {items, input_tokens, output_tokens, credits_used µ}}, by_model: {model: {items, input_tokens, ' +
              'output_tokens, credits_used µ}} (items whose usage names a model)}',
          }),
          'Usage',
        ),
        422: errors[422],
      },
    }),
    async (c) => {
      const u = await engine.credits.usage(wsOf(c), c.req.valid('query').window);
      return c.json({ ...u, since: iso(u.since), credits_used_micro: u.credits_used, credits_used: toCredits(u.credits_used) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/{run_id}/provider-summary',
      summary: 'Per provider: calls, successes, failures, p50/p95 latency and credits',
      request: { params: z.object({ run_id: z.string().openapi({ param: { name: 'run_id', in: 'path' } }) }) },
      responses: {
        200: json(
          z.object({
            data: z.array(
              z.object({
                provider: z.string(),
                calls: z.number().int(),
                successes: z.number().int(),
                failures: z.number().int(),
                p50_ms: z.number().nullable(),
                p95_ms: z.number().nullable(),
                credits_used_micro: z.number().int(),
              }),
            ),
          }),
          'Providers',
        ),
        404: errors[404],
      },
    }),
    async (c) => {
      const stats = await engine.credits.providerSummary(wsOf(c), c.req.valid('param').run_id);
      return c.json({ data: stats.map(({ credits_used, ...s }) => ({ ...s, credits_used_micro: credits_used })) }, 200);
    },
  );
}
