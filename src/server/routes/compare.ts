/**
 * `GET /v1/runs/compare?a=<run id>&b=<run id>` (issue 14): two runs of any kind side by side:
 * status, duration, tokens, credits, error; item counts, error codes and the items whose outcome
 * differs (each with the label of its record); for worker runs also the definition version, model, instructions (a line diff), the
 * subject (its version then, does it still exist), the context per source (present or missing,
 * size, hash, diff), tool calls aligned by order and name, and the output. 404 naming the run
 * that does not exist.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { compareRuns } from '../../engine/compare.js';
import type { Engine } from '../../engine/engine.js';
import { wsOf } from '../auth/principal.js';
import { ErrorSchema, json } from '../schemas.js';

const CompareSchema = z.record(z.string(), z.unknown()).openapi('RunComparison', {
  description:
    '{a, b (each: id, kind, target_id, target_version, status, duration_ms, tokens, credits_used, error), same_target, status, duration_ms, tokens, ' +
    'credits_used, error (each {a, b, same}), items {counts, error_codes, differing[{key, label, a, b}]}, worker: null | {definition {version, model, ' +
    'tool_categories, instructions {a, b, same, diff}}, subject, context[{name, a, b, same, diff}], tool_calls[{index, a, b, same_name, ' +
    'same_arguments}], output}}',
});

/** Registered before `/v1/runs/{run_id}` so `compare` is not taken for a run id. */
export function compareRoutes(app: OpenAPIHono, engine: Engine): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/compare',
      summary: 'Compare two runs (any kind): a good run with a bad one',
      request: { query: z.object({ a: z.string().min(1), b: z.string().min(1) }) },
      responses: { 200: json(CompareSchema, 'The comparison'), 404: json(ErrorSchema, 'A run was not found'), 422: json(ErrorSchema, 'Invalid input') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json((await compareRuns(engine.store, wsOf(c), q.a, q.b)) as Record<string, unknown>, 200);
    },
  );
}
