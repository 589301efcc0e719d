/**
 * Exports, streamed at constant memory (one page of 500 records per chunk, pulled as the
 * client reads):
 * - `GET /v1/runs/{run_id}/export?format=json|ndjson|csv` — json `{"run": Run, "items": [Item…]}`;
 *   ndjson: the run on the first line, then one item per line; csv: one row per item
 * - `GET /v1/runs/export?format=…&<filters of GET /v1/runs>` — json `{"runs": [Run…]}`; ndjson
 *   one run per line; csv one row per run
 *
 * Records are the API's own shapes (present.ts), so nothing the API hides (secret values)
 * can appear. CSV cells that a spreadsheet would read as formulas are neutralised.
 * `Content-Disposition: attachment` with a sanitised file name.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { attachmentFilename, EXPORT_CONTENT_TYPES, EXPORT_FORMATS, exportStream, type CsvColumn, type ExportFormat } from '../../engine/export.js';
import type { Engine } from '../../engine/engine.js';
import type { ServerContext } from '../context.js';
import type { ItemRecord, RunRecord } from '../../core/model.js';
import { presentItem, presentItems, presentRun } from '../present.js';
import { parseRunFilter, RunFilterQuery } from '../run-filter.js';
import { ErrorSchema } from '../schemas.js';
import { wsOf } from '../auth/principal.js';

/** Items per page of an item export (smaller pages measured lower peaks at the same speed). */
const ITEM_PAGE = 500;
/** Runs per page of a run-list export. */
const RUN_PAGE = 500;

type ApiItem = ReturnType<typeof presentItem>;
type ApiRun = ReturnType<typeof presentRun>;

const jsonText = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/** CSV columns of an item export. */
export const ITEM_CSV_COLUMNS: readonly CsvColumn<ApiItem>[] = [
  { header: 'id', value: (i) => i.id },
  { header: 'ordinal', value: (i) => i.ordinal },
  { header: 'key', value: (i) => i.key },
  { header: 'status', value: (i) => i.status },
  { header: 'attempt_count', value: (i) => i.attempt_count },
  { header: 'error_code', value: (i) => i.error?.code ?? null },
  { header: 'error_message', value: (i) => i.error?.message ?? null },
  { header: 'inputs', value: (i) => jsonText(i.inputs) },
  { header: 'outputs', value: (i) => jsonText(i.outputs) },
  { header: 'credits_used', value: (i) => i.credits_used },
  { header: 'started_at', value: (i) => i.started_at },
  { header: 'finished_at', value: (i) => i.finished_at },
  { header: 'duration_ms', value: (i) => i.duration_ms },
];

/** CSV columns of a run-list export. */
export const RUN_CSV_COLUMNS: readonly CsvColumn<ApiRun>[] = [
  { header: 'id', value: (r) => r.id },
  { header: 'name', value: (r) => r.name },
  { header: 'kind', value: (r) => r.kind },
  { header: 'status', value: (r) => r.status },
  { header: 'mode', value: (r) => r.mode },
  { header: 'trigger_type', value: (r) => r.trigger.type },
  { header: 'trigger_actor', value: (r) => r.trigger.actor },
  { header: 'trigger_source_id', value: (r) => r.trigger.source_id },
  { header: 'target_id', value: (r) => r.target_id },
  { header: 'target_version', value: (r) => r.target_version },
  { header: 'profile', value: (r) => r.profile },
  { header: 'items_total', value: (r) => r.items_total },
  { header: 'items_succeeded', value: (r) => r.items_succeeded },
  { header: 'items_failed', value: (r) => r.items_failed },
  { header: 'items_pending', value: (r) => r.items_pending },
  { header: 'items_running', value: (r) => r.items_running },
  { header: 'items_skipped', value: (r) => r.items_skipped },
  { header: 'items_canceled', value: (r) => r.items_canceled },
  { header: 'credits_used', value: (r) => r.credits_used },
  { header: 'error_code', value: (r) => r.error?.code ?? null },
  { header: 'error_message', value: (r) => r.error?.message ?? null },
  { header: 'result_summary', value: (r) => r.result_summary },
  { header: 'tags', value: (r) => jsonText(r.tags) },
  { header: 'pinned', value: (r) => r.pinned },
  { header: 'created_at', value: (r) => r.created_at },
  { header: 'started_at', value: (r) => r.started_at },
  { header: 'finished_at', value: (r) => r.finished_at },
  { header: 'duration_ms', value: (r) => r.duration_ms },
  { header: 'web_url', value: (r) => r.web_url },
];

const FormatQuery = z.object({
  format: z
    .enum(EXPORT_FORMATS as [ExportFormat, ...ExportFormat[]])
    .default('json')
    .openapi({ description: 'json (one document), ndjson (one record per line) or csv' }),
});

const streamed = (description: string) => ({
  description,
  content: {
    'application/json': { schema: z.string() },
    'application/x-ndjson': { schema: z.string() },
    'text/csv': { schema: z.string() },
  },
});
const errors = {
  404: { content: { 'application/json': { schema: ErrorSchema } }, description: 'Not found' },
  422: { content: { 'application/json': { schema: ErrorSchema } }, description: 'Invalid input' },
};

/** Pages of `run`'s items in API shape, each page labelled by its records in one batch (engine/item-labels.ts). */
async function* labelledPages(engine: Engine, run: RunRecord, pages: AsyncIterable<ItemRecord[]>): AsyncGenerator<ApiItem[]> {
  for await (const page of pages) yield await presentItems(engine, run, page);
}

/** Mapped pages: each store page becomes a page of API records. */
async function* mapPages<A, B>(pages: AsyncIterable<A[]>, fn: (a: A) => B): AsyncGenerator<B[]> {
  for await (const page of pages) yield page.map(fn);
}

function download(body: ReadableStream<Uint8Array>, format: ExportFormat, filename: string): Response {
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': EXPORT_CONTENT_TYPES[format],
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

/** A compact UTC timestamp for file names: 20261121T070000Z. */
function stamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export function exportRoutes(app: OpenAPIHono, engine: Engine, sc: ServerContext): void {
  const onError = (err: unknown) => console.error('export failed mid-stream:', err instanceof Error ? err.message : err);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/export',
      summary: 'Export the runs matching the filters of GET /v1/runs (newest first), streamed',
      request: { query: RunFilterQuery.extend(FormatQuery.shape) },
      responses: { 200: streamed('The runs as an attachment'), 422: errors[422] },
    }),
    (c) => {
      const q = c.req.valid('query');
      const filter = parseRunFilter(q);
      const baseUrl = sc.baseUrl();
      const body = exportStream({
        format: q.format,
        listKey: 'runs',
        pages: mapPages(engine.store.streamRuns(wsOf(c), filter, RUN_PAGE), (r) => presentRun(r, baseUrl)),
        csvColumns: RUN_CSV_COLUMNS,
        onError,
      });
      return download(body, q.format, attachmentFilename(`runs_${stamp(engine.clock.now())}`, q.format));
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/runs/{run_id}/export',
      summary: 'Export a run with all its items, streamed',
      request: { params: z.object({ run_id: z.string().openapi({ param: { name: 'run_id', in: 'path' } }) }), query: FormatQuery },
      responses: { 200: streamed('The run and its items as an attachment'), ...errors },
    }),
    async (c) => {
      const { run_id } = c.req.valid('param');
      const { format } = c.req.valid('query');
      const run = await engine.runs.getRun(wsOf(c), run_id);
      const body = exportStream({
        format,
        head: { key: 'run', value: presentRun(run, sc.baseUrl()) },
        listKey: 'items',
        pages: labelledPages(engine, run, engine.store.streamItems(wsOf(c), run.id, ITEM_PAGE)),
        csvColumns: ITEM_CSV_COLUMNS,
        onError,
      });
      return download(body, format, attachmentFilename(run.id, format));
    },
  );
}
