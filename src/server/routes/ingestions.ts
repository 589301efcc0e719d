/**
 * Ingestion sources and runs (issue 16).
 * - `POST /v1/ingestions` a source definition → 201 IngestionSource (version 1); 422 naming the
 *   field (`records_path`, `pagination.cursor_path`, `request.headers.Authorization`, …); 404
 *   when `table_id` names no table
 * - `GET /v1/ingestions` → every source at its latest version
 * - `GET /v1/ingestions/{source_id}?version=N` → a version (default latest)
 * - `POST /v1/ingestions/{source_id}/versions` a whole definition → 201 the next version (runs
 *   already started keep the version they pinned)
 * - `POST /v1/ingestions/{source_id}/runs` `{version?, name?, mode?, smoke_test_items?, tags?,
 *   overrides?}` → 201 `{run, summary, preview?}`; the auth secret the source names is given in
 *   `overrides.secrets`. `mode: dry_run` fetches the first page and writes nothing (its
 *   `preview`: the records and what writing each would do); `smoke_test` stops after
 *   `smoke_test_items` pages (`summary.stopped: smoke_test_limit` when the source had more)
 * - `GET /v1/ingestions/{source_id}/runs` → the source's runs with their summaries, newest first
 * - `GET /v1/ingestions/{source_id}/runs/{run_id}` → `{run, summary, preview?}` (`preview` for a dry run)
 * - `POST /v1/ingestions/{source_id}/runs/{run_id}/retry-failed` → `{run, retried}`: re-fetches
 *   exactly the failed pages (422 `nothing_to_retry`)
 *
 * A summary counts pages fetched (succeeded pages), pages failed, and records created, updated,
 * unchanged and without a key field, says why the run stopped short (`stopped`), and gives the
 * provider summary (calls, failures, p50/p95 ms, credits µ per host).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Engine } from '../../engine/engine.js';
import type { StartColumnRun } from '../../engine/runs-service.js';
import type { IngestionSourceRecord } from '../../store/ingestion-port.js';
import type { ServerContext } from '../context.js';
import { NotFoundError } from '../../core/errors.js';
import { iso, presentOne, presentRuns } from '../present.js';
import { ErrorSchema, limitParam, RunSchema, json } from '../schemas.js';
import { RunOverridesBody } from '../manual-run-schemas.js';
import { manualRunOptions } from './manual-runs.js';
import { wsOf } from '../auth/principal.js';

const errors = { 404: json(ErrorSchema, 'Not found'), 422: json(ErrorSchema, 'Invalid input (details.field names it)') };
const SourceId = z.object({ source_id: z.string().openapi({ param: { name: 'source_id', in: 'path' } }) });
const SourceRunId = SourceId.extend({ run_id: z.string().openapi({ param: { name: 'run_id', in: 'path' } }) });

const DefinitionBody = z.record(z.string(), z.unknown()).openapi('IngestionDefinition', {
  description:
    'An ingestion source: {name, table_id, request: {url, method, headers, query}, auth?: {secret | credential, header?, prefix?, query_param?}, ' +
    'format?: json|ndjson|csv, records_path (json), key_field, pagination: {type: page|offset|cursor|link|none, param?, start?, size_param?, cursor_path?}, ' +
    'page_size?, max_pages?, max_records?, fan_out?, timeout_ms?, stop_when? (CEL over {response, records, page, status, headers})}. ' +
    'Credentials never go in it: auth names a run secret or a saved credential. A bad field is a 422 naming it.',
  example: {
    name: 'products',
    table_id: 'tbl_…',
    request: { url: 'https://api.example.com/products' },
    auth: { secret: 'API_TOKEN', header: 'authorization', prefix: 'Bearer ' },
    records_path: 'data',
    key_field: 'id',
    pagination: { type: 'cursor', param: 'cursor', cursor_path: 'next_cursor' },
    page_size: 100,
  },
});

export const IngestionSourceSchema = z
  .object({
    id: z.string(),
    version: z.number().int(),
    name: z.string(),
    table_id: z.string(),
    definition: z.record(z.string(), z.unknown()),
    created_at: z.string(),
  })
  .openapi('IngestionSource');

export const IngestionSummarySchema = z
  .object({
    pages: z.number().int().openapi({ description: 'Pages fetched and written' }),
    pages_failed: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int().openapi({ description: 'Records whose row already held the same data (left untouched)' }),
    no_key: z.number().int().openapi({ description: 'Records without a usable key field (counted, not written)' }),
    stopped: z.string().nullable().openapi({
      description:
        'Why the run stopped before the source ended: smoke_test_limit (a smoke test fetched its N pages), dry_run, stop_when (its condition held on a page); null: it did not',
    }),
    providers: z
      .array(
        z.object({
          provider: z.string().openapi({ description: "A page's host" }),
          calls: z.number().int().openapi({ description: 'Requests (attempts)' }),
          successes: z.number().int(),
          failures: z.number().int().openapi({ description: 'Pages failed' }),
          p50_ms: z.number().nullable(),
          p95_ms: z.number().nullable(),
          credits_used_micro: z.number().int(),
        }),
      )
      .openapi({ description: 'Per provider: calls, failures, p50/p95 page duration (ms), credits (µ); as GET /v1/runs/{run_id}/provider-summary' }),
  })
  .openapi('IngestionSummary');

export const IngestionPreviewSchema = z
  .object({
    page: z.number().int(),
    status: z.string().openapi({ description: "The page item's status (pending until fetched)" }),
    url: z.string().nullable().openapi({ description: 'The URL fetched, secrets redacted' }),
    http_status: z.number().int().nullable(),
    record_count: z.number().int(),
    next: z.string().nullable().openapi({ description: 'Where a live run would go on (next cursor or link), or null' }),
    counts: z.object({ created: z.number().int(), updated: z.number().int(), unchanged: z.number().int(), no_key: z.number().int() }),
    records: z.array(
      z.object({
        key: z.string().nullable(),
        action: z.enum(['created', 'updated', 'unchanged', 'no_key']).openapi({ description: 'What writing it would do to the table as it is now' }),
        data: z.unknown(),
      }),
    ),
    error: z.object({ code: z.string(), message: z.string() }).passthrough().nullable(),
  })
  .openapi('IngestionPreview', { description: "A dry run's first page: the records it would write and what each would do (nothing was written)" });

const IngestionRunSchema = z
  .object({
    run: RunSchema,
    summary: IngestionSummarySchema,
    preview: IngestionPreviewSchema.optional().openapi({ description: 'Dry runs only (mode dry_run): the first page and what it would write' }),
  })
  .openapi('IngestionRun');

const RunIngestionBody = z
  .object({
    version: z.number().int().min(1).optional().openapi({ description: 'The source version to run; default: the latest' }),
    name: z.string().min(1).max(200).optional(),
    profile: z.string().optional().openapi({ description: 'Workload profile (concurrency, retries, timeouts); default standard' }),
    mode: z.enum(['live', 'dry_run', 'smoke_test']).optional().openapi({
      description: 'live (default); dry_run: fetch the first page and show what it would write, writing nothing; smoke_test: stop after smoke_test_items pages',
    }),
    smoke_test_items: z.number().int().min(1).max(10_000).optional().openapi({ description: 'Smoke test: the most pages fetched (default 5)' }),
    tags: z.array(z.string().max(100)).max(50).optional(),
    overrides: RunOverridesBody.optional(),
  })
  .strict()
  .openapi('RunIngestion');

function presentSource(s: IngestionSourceRecord) {
  return { id: s.id, version: s.version, name: s.name, table_id: s.table_id, definition: s.definition, created_at: iso(s.created_at) };
}

export function ingestionRoutes(app: OpenAPIHono, engine: Engine, sc: ServerContext): void {
  const ing = engine.ingestions;
  const summaryOf = async (ws: string, runId: string) => {
    const { providers, ...rest } = await ing.summary(ws, runId);
    return { ...rest, providers: providers.map(({ credits_used, ...p }) => ({ ...p, credits_used_micro: credits_used })) };
  };
  const withSummary = async (ws: string, run: Parameters<typeof presentOne>[2]) => {
    const preview = await ing.preview(ws, run.id);
    return {
      run: await presentOne(engine, sc.baseUrl(), run),
      summary: await summaryOf(ws, run.id),
      ...(preview === undefined ? {} : { preview }),
    };
  };
  /** 404 unless run `runId` is a run of source `sourceId`. */
  const runOf = async (ws: string, sourceId: string, runId: string) => {
    const run = await engine.runs.getRun(ws, runId);
    if (run.kind !== 'ingestion' || run.target_id !== sourceId) throw new NotFoundError('ingestion run', runId);
    return run;
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/ingestions',
      summary: 'Create an ingestion source (version 1)',
      request: { body: { content: { 'application/json': { schema: DefinitionBody } }, required: true } },
      responses: { 201: json(IngestionSourceSchema, 'The source'), ...errors },
    }),
    async (c) => c.json(presentSource(await ing.create(wsOf(c), c.req.valid('json'))), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/ingestions',
      summary: 'List ingestion sources at their latest version',
      responses: { 200: json(z.object({ data: z.array(IngestionSourceSchema) }), 'Sources') },
    }),
    async (c) => c.json({ data: (await ing.list(wsOf(c))).map(presentSource) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/ingestions/{source_id}',
      summary: 'Get an ingestion source (a version, default the latest)',
      request: { params: SourceId, query: z.object({ version: z.coerce.number().int().min(1).optional() }) },
      responses: { 200: json(IngestionSourceSchema, 'The source'), ...errors },
    }),
    async (c) => c.json(presentSource(await ing.get(wsOf(c), c.req.valid('param').source_id, c.req.valid('query').version)), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/ingestions/{source_id}/versions',
      summary: 'Save a new version of an ingestion source (the whole definition)',
      request: { params: SourceId, body: { content: { 'application/json': { schema: DefinitionBody } }, required: true } },
      responses: { 201: json(IngestionSourceSchema, 'The new version'), ...errors },
    }),
    async (c) => c.json(presentSource(await ing.addVersion(wsOf(c), c.req.valid('param').source_id, c.req.valid('json'))), 201),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/ingestions/{source_id}/runs',
      summary: 'Run an ingestion source (pinned to a version); auth secrets go in overrides.secrets (Idempotency-Key honoured)',
      request: {
        params: SourceId,
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        body: { content: { 'application/json': { schema: RunIngestionBody } }, required: true },
      },
      responses: { 201: json(IngestionRunSchema, 'The run'), 200: json(IngestionRunSchema, 'The run created earlier with this Idempotency-Key'), ...errors },
    }),
    async (c) => {
      const ws = wsOf(c);
      const body = c.req.valid('json');
      const key = c.req.valid('header')['idempotency-key'];
      const opts: StartColumnRun & { version?: number } = {
        ...manualRunOptions(body),
        trigger: { type: 'api' },
        ...(body.version === undefined ? {} : { version: body.version }),
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.profile === undefined ? {} : { profile: body.profile }),
        ...(body.mode === undefined ? {} : { mode: body.mode }),
        ...(body.smoke_test_items === undefined ? {} : { smoke_test_items: body.smoke_test_items }),
        ...(body.tags === undefined ? {} : { tags: body.tags }),
        ...(key === undefined ? {} : { idempotency_key: key }),
      };
      const { run, created } = await ing.run(ws, c.req.valid('param').source_id, opts);
      return c.json(await withSummary(ws, run), created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/ingestions/{source_id}/runs',
      summary: "List an ingestion source's runs with their summaries, newest first",
      request: { params: SourceId, query: z.object({ limit: limitParam, cursor: z.string().optional() }) },
      responses: { 200: json(z.object({ data: z.array(IngestionRunSchema), next_cursor: z.string().nullable() }), 'Runs'), ...errors },
    }),
    async (c) => {
      const ws = wsOf(c);
      const q = c.req.valid('query');
      const page = await ing.runs(ws, c.req.valid('param').source_id, { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
      const runs = await presentRuns(engine, sc.baseUrl(), page.data);
      const data = await Promise.all(page.data.map(async (r, i) => ({ run: runs[i]!, summary: await summaryOf(ws, r.id) })));
      return c.json({ data, next_cursor: page.next_cursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/ingestions/{source_id}/runs/{run_id}',
      summary: 'Get an ingestion run with its summary (pages fetched, records created / updated / unchanged)',
      request: { params: SourceRunId },
      responses: { 200: json(IngestionRunSchema, 'The run'), ...errors },
    }),
    async (c) => {
      const ws = wsOf(c);
      const p = c.req.valid('param');
      return c.json(await withSummary(ws, await runOf(ws, p.source_id, p.run_id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/ingestions/{source_id}/runs/{run_id}/retry-failed',
      summary: "Re-fetch exactly an ingestion run's failed pages (a cursor chain continues from its last good cursor)",
      request: { params: SourceRunId },
      responses: {
        200: json(z.object({ run: RunSchema, retried: z.number().int() }), 'The run and how many pages were retried'),
        409: json(ErrorSchema, 'Not allowed in the current status'),
        ...errors,
      },
    }),
    async (c) => {
      const ws = wsOf(c);
      const p = c.req.valid('param');
      await runOf(ws, p.source_id, p.run_id);
      const res = await ing.retryFailed(ws, p.run_id);
      return c.json({ run: await presentOne(engine, sc.baseUrl(), res.run), retried: res.retried }, 200);
    },
  );
}
