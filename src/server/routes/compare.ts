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

const pairOf = <T extends z.ZodType>(t: T) => z.object({ a: t, b: t, same: z.boolean() });
const DiffLineSchema = z
  .object({ op: z.enum([' ', '-', '+']), text: z.string() })
  .openapi('DiffLine', { description: 'A line kept (` `), only in a (`-`), only in b (`+`)' });
const Tokens = z.object({ input: z.number().int(), output: z.number().int() });
const RunError = z.object({ code: z.string(), message: z.string() }).passthrough().nullable();
const SideSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    target_id: z.string(),
    target_version: z.number().int(),
    status: z.string(),
    duration_ms: z.number().nullable().openapi({ description: 'started → finished, ms (null unfinished)' }),
    tokens: Tokens,
    credits_used: z.number().int().openapi({ description: 'micro-credits' }),
    error: RunError,
  })
  .openapi('RunSide');
const SourceSide = z.object({
  present: z.boolean(),
  type: z.string().optional(),
  chars: z.number().int().optional(),
  hash: z.string().optional(),
  truncated: z.boolean().optional(),
  rows: z.number().int().nullable().optional(),
  missing: z.string().nullable().optional(),
});
const ToolCall = z.object({ key: z.string(), name: z.string(), arguments: z.unknown(), decision: z.unknown(), output: z.unknown() });
const OutputSide = z.object({ location: z.unknown(), action: z.string().nullable(), preview: z.string() }).nullable();
const SubjectSide = z.object({
  table_id: z.string(),
  row_id: z.string(),
  version_then: z.string().nullable(),
  exists_now: z.boolean(),
  version_now: z.string().nullable(),
});
const CompareSchema = z
  .object({
    a: SideSchema,
    b: SideSchema,
    same_target: z.boolean(),
    status: pairOf(z.string()),
    duration_ms: pairOf(z.number().nullable()),
    tokens: pairOf(Tokens),
    credits_used: pairOf(z.number().int()),
    error: pairOf(RunError),
    items: z.object({
      counts: pairOf(z.record(z.string(), z.number().int())),
      error_codes: pairOf(z.record(z.string(), z.number().int())),
      differing: z
        .array(z.object({ key: z.string(), label: z.string().nullable(), a: z.unknown(), b: z.unknown() }))
        .openapi({ description: 'Keys whose outcome differs (at most 200), each with the label of the record it stands for (null: none)' }),
    }),
    worker: z
      .object({
        definition: z.object({
          version: pairOf(z.number().int()),
          model: pairOf(z.string()),
          tool_categories: pairOf(z.array(z.string())),
          instructions: pairOf(z.string()).extend({ diff: z.array(DiffLineSchema) }),
        }),
        subject: pairOf(SubjectSide),
        context: z.array(z.object({ name: z.string(), a: SourceSide, b: SourceSide, same: z.boolean(), diff: z.array(DiffLineSchema) })),
        tool_calls: z.array(
          z.object({ index: z.number().int(), a: ToolCall.nullable(), b: ToolCall.nullable(), same_name: z.boolean(), same_arguments: z.boolean() }),
        ),
        output: pairOf(OutputSide).extend({ preview_diff: z.array(DiffLineSchema) }),
      })
      .nullable()
      .openapi({ description: 'Worker runs only: what their specs froze and what they did' }),
  })
  .openapi('RunComparison');

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
      return c.json(await compareRuns(engine.store, wsOf(c), q.a, q.b), 200);
    },
  );
}
