/**
 * Tables, rows, columns, cells, and starting a column run.
 * - `POST /v1/tables` import (CSV, JSON array, NDJSON) atomically → 201 Table
 * - `POST /v1/tables/import?name=&format=` the raw file, streamed in batches → 201 Table
 * - `GET /v1/tables`, `GET /v1/tables/{table_id}`, `GET /v1/tables/{table_id}/rows`
 * - `PATCH /v1/tables/{table_id}` `{label_column: string | null}` → Table: the field that labels
 *   its rows in item lists (422 naming `label_column` when the table has no such field)
 * - `POST /v1/tables/{table_id}/columns` → 201 Column; `GET /v1/tables/{table_id}/columns`
 * - `POST /v1/tables/{table_id}/columns/{column}/runs` → 201 Run (200 on an idempotent replay)
 * - `GET /v1/tables/{table_id}/cells/{row_id}/{column}` → Cell
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { Engine } from '../../engine/engine.js';
import { presentCell, presentColumn, presentOne, presentRow, presentTable } from '../present.js';
import {
  AddColumnBody,
  CellSchema,
  ColumnSchema,
  ErrorSchema,
  ImportTableBody,
  limitParam,
  pageOf,
  PatchTableBody,
  RowSchema,
  RunSchema,
  StartRunBody,
  TableSchema,
  json,
} from '../schemas.js';
import type { ServerContext } from '../context.js';
import { errorBody } from '../errors.js';
import { manualRunOptions } from './manual-runs.js';
import { wsOf } from '../auth/principal.js';

const errors = {
  404: json(ErrorSchema, 'Not found'),
  422: json(ErrorSchema, 'Invalid input'),
};
/** Largest raw import body (`POST /v1/tables/import`), bytes: streamed, so memory stays bounded. */
export const MAX_IMPORT_BODY_BYTES = 1024 * 1024 * 1024;

/** The import format a Content-Type names. @throws ValidationError naming `format` when it names none */
function formatOfContentType(type: string | undefined): 'csv' | 'json' | 'ndjson' {
  const t = (type ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (t === 'text/csv') return 'csv';
  if (t === 'application/x-ndjson' || t === 'application/ndjson') return 'ndjson';
  if (t === 'application/json') return 'json';
  throw new ValidationError('format: give ?format=csv|json|ndjson or a Content-Type of text/csv, application/x-ndjson or application/json', {
    field: 'format',
  });
}

class BodyTooLarge extends Error {}

/** `body` as it streams in, counted: @throws BodyTooLarge once more than `max` bytes arrived */
async function* limited(body: AsyncIterable<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.byteLength;
    if (seen > max) throw new BodyTooLarge();
    yield chunk;
  }
}

const TableId = z.object({ table_id: z.string().openapi({ param: { name: 'table_id', in: 'path' } }) });

export function tableRoutes(app: OpenAPIHono, engine: Engine, sc: ServerContext): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tables',
      summary: 'Import a table (CSV, JSON array or NDJSON); all rows or none are written',
      request: { body: { content: { 'application/json': { schema: ImportTableBody } }, required: true } },
      responses: { 201: json(TableSchema, 'The table'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const t = await engine.tables.importTable(wsOf(c), body.name, body.format, body.data);
      return c.json(presentTable(t), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tables/import',
      summary: 'Import a table from the raw file (streamed: CSV and NDJSON of any size in bounded memory); all rows or none are written',
      description:
        'The body is the file itself. `format` defaults from the Content-Type (`text/csv`, `application/x-ndjson`, `application/json`). ' +
        `CSV and NDJSON are parsed as they arrive and written in batches; the table is listed only once its last row is in. Body limit ${MAX_IMPORT_BODY_BYTES / 1024 / 1024} MiB.`,
      request: {
        query: z.object({
          name: z.string().min(1).max(200).openapi({ description: 'The table name' }),
          format: z.enum(['csv', 'json', 'ndjson']).optional().openapi({ description: 'The file format; default from the Content-Type' }),
        }),
        body: {
          content: {
            'text/csv': { schema: z.string() },
            'application/x-ndjson': { schema: z.string() },
          },
          required: true,
        },
      },
      responses: { 201: json(TableSchema, 'The table'), 413: json(ErrorSchema, 'The body is over the limit'), ...errors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const format = q.format ?? formatOfContentType(c.req.header('content-type'));
      const raw = c.req.raw.body;
      if (!raw) throw new ValidationError('body: the file is missing', { field: 'body' });
      const tooLarge = () => {
        c.header('connection', 'close');
        return c.json(errorBody('payload_too_large', `body: larger than ${MAX_IMPORT_BODY_BYTES} bytes`, { field: 'body' }), 413);
      };
      if (Number(c.req.header('content-length') ?? 0) > MAX_IMPORT_BODY_BYTES) return tooLarge();
      try {
        const t = await engine.tables.importTableStream(wsOf(c), q.name, format, limited(raw as unknown as AsyncIterable<Uint8Array>, MAX_IMPORT_BODY_BYTES));
        return c.json(presentTable(t), 201);
      } catch (err) {
        if (err instanceof BodyTooLarge) return tooLarge();
        throw err;
      }
    },
  );

  app.openapi(
    createRoute({ method: 'get', path: '/v1/tables', summary: 'List tables', responses: { 200: json(z.object({ data: z.array(TableSchema) }), 'Tables') } }),
    async (c) => c.json({ data: (await engine.store.listTables(wsOf(c))).map(presentTable) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tables/{table_id}',
      summary: 'Get a table',
      request: { params: TableId },
      responses: { 200: json(TableSchema, 'The table'), ...errors },
    }),
    async (c) => c.json(presentTable(await engine.tables.getTable(wsOf(c), c.req.valid('param').table_id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/tables/{table_id}',
      summary: "Choose the field that labels the table's rows in item lists and run cards (null: the first non-empty text field)",
      request: { params: TableId, body: { content: { 'application/json': { schema: PatchTableBody } }, required: true } },
      responses: { 200: json(TableSchema, 'The table'), ...errors },
    }),
    async (c) => c.json(presentTable(await engine.tables.setLabelColumn(wsOf(c), c.req.valid('param').table_id, c.req.valid('json').label_column)), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tables/{table_id}/rows',
      summary: 'List rows in order',
      request: { params: TableId, query: z.object({ limit: limitParam, cursor: z.string().optional() }) },
      responses: { 200: json(pageOf(RowSchema, 'RowPage'), 'Rows'), ...errors },
    }),
    async (c) => {
      const { table_id } = c.req.valid('param');
      const q = c.req.valid('query');
      await engine.tables.getTable(wsOf(c), table_id);
      const page = await engine.store.listRows(wsOf(c), table_id, { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
      return c.json({ data: page.data.map(presentRow), next_cursor: page.next_cursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tables/{table_id}/columns',
      summary: 'Add a column: a producer plus input templates over row fields',
      request: { params: TableId, body: { content: { 'application/json': { schema: AddColumnBody } }, required: true } },
      responses: { 201: json(ColumnSchema, 'The column'), 409: json(ErrorSchema, 'Name taken'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const col = await engine.tables.addColumn(wsOf(c), c.req.valid('param').table_id, {
        name: body.name,
        producer: body.producer,
        config: body.config,
        ...(body.profile === undefined ? {} : { profile: body.profile }),
      });
      return c.json(presentColumn(col), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tables/{table_id}/columns',
      summary: 'List columns',
      request: { params: TableId },
      responses: { 200: json(z.object({ data: z.array(ColumnSchema) }), 'Columns'), ...errors },
    }),
    async (c) => {
      const { table_id } = c.req.valid('param');
      await engine.tables.getTable(wsOf(c), table_id);
      return c.json({ data: (await engine.store.listColumns(wsOf(c), table_id)).map(presentColumn) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tables/{table_id}/columns/{column}/runs',
      summary: 'Run a column over every row (Idempotency-Key honoured)',
      request: {
        params: TableId.extend({ column: z.string().openapi({ param: { name: 'column', in: 'path' }, description: 'Column id or name' }) }),
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        body: { content: { 'application/json': { schema: StartRunBody } }, required: false },
      },
      responses: { 201: json(RunSchema, 'The new run'), 200: json(RunSchema, 'The run created earlier with this Idempotency-Key'), ...errors },
    }),
    async (c) => {
      const { table_id, column } = c.req.valid('param');
      const key = c.req.valid('header')['idempotency-key'];
      const body = (c.req.header('content-type') ? c.req.valid('json') : undefined) ?? {};
      const { run, created } = await engine.runs.startColumnRun(wsOf(c), table_id, column, {
        ...manualRunOptions(body),
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.profile === undefined ? {} : { profile: body.profile }),
        ...(body.mode === undefined ? {} : { mode: body.mode }),
        ...(body.smoke_test_items === undefined ? {} : { smoke_test_items: body.smoke_test_items }),
        ...(body.budget_micro === undefined ? {} : { budget_micro: body.budget_micro }),
        ...(body.tags === undefined ? {} : { tags: body.tags }),
        trigger: { type: body.trigger ?? 'api', actor: body.actor ?? null },
        ...(key === undefined ? {} : { idempotency_key: key }),
      });
      return c.json(await presentOne(engine, sc.baseUrl(), run), created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tables/{table_id}/cells/{row_id}/{column}',
      summary: 'Inspect a cell: value, status, inputs, error, attempts, provenance',
      request: {
        params: TableId.extend({
          row_id: z.string().openapi({ param: { name: 'row_id', in: 'path' } }),
          column: z.string().openapi({ param: { name: 'column', in: 'path' } }),
        }),
      },
      responses: { 200: json(CellSchema, 'The cell'), ...errors },
    }),
    async (c) => {
      const { table_id, row_id, column } = c.req.valid('param');
      await engine.tables.getTable(wsOf(c), table_id);
      const col = await engine.store.getColumn(wsOf(c), table_id, column);
      if (!col) throw new NotFoundError('column', column);
      if (!(await engine.store.getRow(wsOf(c), table_id, row_id))) throw new NotFoundError('row', row_id);
      const cell = await engine.store.getCell(wsOf(c), table_id, row_id, col.id);
      if (!cell) throw new NotFoundError('cell', `${row_id}/${col.name}`);
      const item = await engine.store.getItem(wsOf(c), cell.item_id);
      return c.json(presentCell(cell, col, item), 200);
    },
  );
}
