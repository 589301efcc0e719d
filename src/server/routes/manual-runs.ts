/**
 * Manual runs (seed 000): `POST /v1/runs` queues one run of a target with an optional prompt,
 * profile, session and per-run overrides → 201 Run (200 on an idempotent replay with the same
 * `Idempotency-Key` and body; 422 with another body). The run's trigger defaults to `manual`.
 * Secrets in `overrides.secrets` are sealed before anything is written and never returned.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { ValidationError } from '../../core/errors.js';
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
        422: json(ErrorSchema, 'Invalid input (the field is named in details.field)'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const key = c.req.valid('header')['idempotency-key'];
      const { target } = body;
      if (target.type !== 'column') {
        throw new ValidationError(`target.type: only column targets can be run so far, not ${target.type}`, { field: 'target.type' });
      }
      if (target.table_id === undefined) throw new ValidationError('target.table_id: required for a column target', { field: 'target.table_id' });
      if (target.column === undefined) throw new ValidationError('target.column: required for a column target (id or name)', { field: 'target.column' });
      const { run, created } = await engine.runs.startColumnRun(wsOf(c), target.table_id, target.column, {
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
