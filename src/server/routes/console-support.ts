/**
 * Read routes the console's forms and table view need (issue 6 §4–5):
 * - `GET /v1/profiles` → `{ data: Profile[] }`: the workload profiles a run may name (built-in
 *   `small`, `standard`, `large` plus custom ones from `RUNYARD_PROFILES`), for the manual run
 *   form's select.
 * - `GET /v1/tables/{table_id}/grid?limit&cursor` → GridPage: one page of rows in ordinal order,
 *   each with the status of every column's cell, so a table view draws per-cell status with one
 *   request per page instead of one per cell. Values are previews (strings cut at
 *   {@link PREVIEW_CHARS} characters, flagged `truncated`); the whole cell is at
 *   `GET /v1/tables/{table_id}/cells/{row_id}/{column}`.
 * Errors: 404 `not_found` for an unknown table, 422 `validation_failed` for a bad limit or cursor.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Engine } from '../../engine/engine.js';
import type { ServerContext } from '../context.js';
import { presentColumn } from '../present.js';
import { ColumnSchema, ErrorSchema, json, limitParam } from '../schemas.js';
import { wsOf } from '../auth/principal.js';

/** Longest preview of a row field or a cell value in a grid page, characters. */
export const PREVIEW_CHARS = 200;

export const ProfileSchema = z
  .object({
    name: z.string(),
    concurrency: z.number().int().openapi({ description: 'Items of one run executing at once' }),
    item_timeout_ms: z.number().int().openapi({ description: 'Time budget of one attempt, ms' }),
    max_attempts: z.number().int(),
  })
  .openapi('Profile');

const PreviewSchema = z.object({ text: z.string(), truncated: z.boolean() }).openapi('Preview', {
  description: `A value as display text (JSON for non-strings), cut at ${PREVIEW_CHARS} characters`,
});

export const GridCellSchema = z
  .object({
    status: z.string(),
    value: PreviewSchema.nullable().openapi({ description: 'null when the cell has no value yet' }),
    error_code: z.string().nullable(),
    attempts: z.number().int(),
    run_id: z.string(),
  })
  .openapi('GridCell');

export const GridRowSchema = z
  .object({
    id: z.string(),
    ordinal: z.number().int(),
    data: z.record(z.string(), PreviewSchema),
    cells: z.record(z.string(), GridCellSchema.nullable()).openapi({ description: 'By column id; null when the column never ran on this row' }),
  })
  .openapi('GridRow');

export const GridPageSchema = z
  .object({ columns: z.array(ColumnSchema), data: z.array(GridRowSchema), next_cursor: z.string().nullable() })
  .openapi('GridPage');

/** A value as display text cut at {@link PREVIEW_CHARS}. */
export function preview(v: unknown): { text: string; truncated: boolean } {
  let text: string;
  if (typeof v === 'string') text = v;
  else {
    try {
      text = JSON.stringify(v) ?? String(v);
    } catch {
      text = String(v);
    }
  }
  return text.length > PREVIEW_CHARS ? { text: text.slice(0, PREVIEW_CHARS), truncated: true } : { text, truncated: false };
}

export function consoleSupportRoutes(app: OpenAPIHono, engine: Engine, _sc: ServerContext): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/profiles',
      summary: 'List the workload profiles a run or column may name',
      responses: { 200: json(z.object({ data: z.array(ProfileSchema) }), 'Profiles, built-in first') },
    }),
    (c) =>
      c.json(
        {
          data: engine.profiles.names().map((name) => {
            const p = engine.profiles.resolve(name);
            return { name: p.name, concurrency: p.concurrency, item_timeout_ms: p.itemTimeoutMs, max_attempts: p.retry.maxAttempts };
          }),
        },
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tables/{table_id}/grid',
      summary: 'One page of rows with the status of every cell (value previews)',
      request: {
        params: z.object({ table_id: z.string().openapi({ param: { name: 'table_id', in: 'path' } }) }),
        query: z.object({ limit: limitParam, cursor: z.string().optional() }),
      },
      responses: { 200: json(GridPageSchema, 'Rows with cells'), 404: json(ErrorSchema, 'Not found'), 422: json(ErrorSchema, 'Invalid input') },
    }),
    async (c) => {
      const { table_id } = c.req.valid('param');
      const q = c.req.valid('query');
      await engine.tables.getTable(wsOf(c), table_id);
      const columns = await engine.store.listColumns(wsOf(c), table_id);
      const page = await engine.store.listRows(wsOf(c), table_id, { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
      const data = await Promise.all(
        page.data.map(async (row) => {
          const cells: Record<string, z.infer<typeof GridCellSchema> | null> = {};
          for (const col of columns) {
            const cell = await engine.store.getCell(wsOf(c), table_id, row.id, col.id);
            cells[col.id] = cell
              ? {
                  status: cell.status,
                  value: cell.value === null || cell.value === undefined ? null : preview(cell.value),
                  error_code: cell.error?.code ?? null,
                  attempts: cell.attempt,
                  run_id: cell.run_id,
                }
              : null;
          }
          return { id: row.id, ordinal: row.ordinal, data: Object.fromEntries(Object.entries(row.data).map(([k, v]) => [k, preview(v)])), cells };
        }),
      );
      return c.json({ columns: columns.map(presentColumn), data, next_cursor: page.next_cursor }, 200);
    },
  );
}
