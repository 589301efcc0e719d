/**
 * Manual runs (seed 000): `POST /v1/runs` queues one run of a target with an optional prompt,
 * profile, session and per-run overrides → 201 Run (200 on an idempotent replay with the same
 * `Idempotency-Key` and body; 422 with another body). The run's trigger defaults to `manual`.
 * Secrets in `overrides.secrets` are sealed before anything is written and never returned.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Engine } from '../../engine/engine.js';
import type { ManualRunFields } from '../../engine/run-overrides.js';
import type { ServerContext } from '../context.js';
import { ManualRunBody } from '../manual-run-schemas.js';
import { presentOne } from '../present.js';
import { ErrorSchema, RunSchema, json } from '../schemas.js';
import { wsOf } from '../auth/principal.js';

/**
 * The manual-run fields of a parsed request body, without `undefined` entries
 * (`exactOptionalPropertyTypes`). Shared with the column-run route.
 */
export function manualRunOptions(body: { prompt?: string | undefined; session_id?: string | undefined; overrides?: unknown }): ManualRunFields {
  const out: ManualRunFields = {};
  if (body.prompt !== undefined) out.prompt = body.prompt;
  if (body.session_id !== undefined) out.session_id = body.session_id;
  if (body.overrides !== undefined) out.overrides = body.overrides as NonNullable<ManualRunFields['overrides']>;
  return out;
}

export function manualRunRoutes(app: OpenAPIHono, engine: Engine, sc: ServerContext): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/runs',
      summary: 'Queue a manual run of a target: prompt, profile, session and per-run env/secret overrides (Idempotency-Key honoured)',
      request: {
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        body: { content: { 'application/json': { schema: ManualRunBody } }, required: true },
      },
      responses: {
        201: json(RunSchema, 'The new run'),
        200: json(RunSchema, 'The run created earlier with this Idempotency-Key'),
        404: json(ErrorSchema, 'Target not found'),
        422: json(ErrorSchema, 'Invalid input, or a target of no registered kind (the field is named in details.field)'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const key = c.req.valid('header')['idempotency-key'];
      // The target's kind reads and checks its own fields (422 naming `target.<field>`).
      const { run, created } = await engine.runs.startRun(wsOf(c), body.target, {
        ...manualRunOptions(body),
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.profile === undefined ? {} : { profile: body.profile }),
        ...(body.tags === undefined ? {} : { tags: body.tags }),
        trigger: { type: body.trigger ?? 'manual', actor: body.actor ?? null },
        ...(key === undefined ? {} : { idempotency_key: key }),
      });
      return c.json(await presentOne(engine, sc.baseUrl(), run), created ? 201 : 200);
    },
  );
}
