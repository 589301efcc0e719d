/**
 * `RunyardClient`: a small typed client of the Runyard HTTP API (`/v1/…`) over `fetch`.
 * Every method resolves to the API's JSON unchanged; every failure is an {@link ApiError}.
 */
import type { IngestionRun, IngestionSource, RunIngestionRequest } from './ingestion-types.js';
import { ApiError } from './errors.js';
import { parseSse } from './sse.js';
import type {
  AuditEntry,
  Session,
  Token,
  Workspace,
  Cell,
  Column,
  ColumnDefinition,
  ExportDownload,
  ExportFormat,
  Operation,
  OutputNotice,
  RunOutputNotice,
  OperationAction,
  CreateOperationRequest,
  RunSelection,
  FollowMessage,
  Item,
  ItemFilters,
  List,
  EngineNode,
  ManualRunRequest,
  Page,
  PageOptions,
  PriceVersion,
  Row,
  Run,
  RunEvent,
  RunFilters,
  StartRunRequest,
  Table,
  TableFormat,
} from './types.js';

export { ApiError } from './errors.js';
export type * from './types.js';

/** Options of {@link RunyardClient}. */
export interface RunyardClientOptions {
  /** Server address, e.g. `http://127.0.0.1:8686` (a path prefix is kept). */
  baseUrl: string;
  /** The fetch implementation. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** API token (`ryd_…`), sent as `Authorization: Bearer` on every request. */
  token?: string;
}

type Query = Record<string, string | number | boolean | string[] | undefined>;
interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** A streamed body sent as is (instead of `body` as JSON). */
  raw?: { body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>; contentType: string };
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const seg = encodeURIComponent;

/** The Content-Type of a raw import per format. */
const IMPORT_CONTENT_TYPES: Record<TableFormat, string> = { csv: 'text/csv', ndjson: 'application/x-ndjson', json: 'application/json' };

/** Typed client of the Runyard API. */
export class RunyardClient {
  /** The server address without a trailing slash. */
  readonly baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #token: string | undefined;

  /** @param options the server address (and optionally a fetch implementation) */
  constructor(options: RunyardClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#token = options.token;
  }

  /** Creates an API token (admin); the secret is in the answer only. `expiresAt` ISO-8601. */
  createToken(input: { name: string; role: string; expires_at?: string; workspace_id?: string }): Promise<{ token: Token; secret: string }> {
    return this.#json('POST', '/v1/tokens', { body: input });
  }

  /** The workspace's API tokens (admin). */
  listTokens(): Promise<List<Token>> {
    return this.#json('GET', '/v1/tokens');
  }

  /** Revokes a token and its console sessions (admin). */
  revokeToken(id: string): Promise<Token> {
    return this.#json('DELETE', `/v1/tokens/${seg(id)}`);
  }

  /** Creates a workspace managed by this one, with a first admin token (admin). */
  createWorkspace(name: string): Promise<{ workspace: Workspace; token: Token; secret: string }> {
    return this.#json('POST', '/v1/workspaces', { body: { name } });
  }

  /** This workspace and those it created (admin). */
  listWorkspaces(): Promise<List<Workspace>> {
    return this.#json('GET', '/v1/workspaces');
  }

  /** Renames a workspace (admin). */
  renameWorkspace(id: string, name: string): Promise<Workspace> {
    return this.#json('PATCH', `/v1/workspaces/${seg(id)}`, { body: { name } });
  }

  /** The audit log, newest first (admin). */
  listAudit(opts: PageOptions = {}): Promise<Page<AuditEntry>> {
    return this.#json('GET', '/v1/audit', { query: { limit: opts.limit, cursor: opts.cursor } });
  }

  /** Who is calling: workspace, role, token name. */
  whoami(): Promise<Session> {
    return this.#json('GET', '/v1/session');
  }

  /** Imports a table from the text of a CSV, JSON array or NDJSON file; all rows or none. */
  importTable(name: string, format: TableFormat, data: string): Promise<Table> {
    return this.#json('POST', '/v1/tables', { body: { name, format, data } });
  }

  /**
   * Imports a table from the raw file, streamed (`POST /v1/tables/import`): CSV and NDJSON are
   * parsed by the server as they arrive, in bounded memory on both sides; a JSON array is read
   * whole (at most 64 MiB). All rows or none.
   * @param body the file's bytes, e.g. a Node `fs.ReadStream` or a web `ReadableStream`
   * @throws ApiError `import_failed` (naming the line, index or byte offset), `payload_too_large`
   */
  importTableFile(name: string, format: TableFormat, body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): Promise<Table> {
    return this.#json('POST', '/v1/tables/import', { query: { name, format }, raw: { body, contentType: IMPORT_CONTENT_TYPES[format] } });
  }

  /** Lists the workspace's tables. */
  listTables(): Promise<List<Table>> {
    return this.#json('GET', '/v1/tables');
  }

  /** Gets one table. */
  getTable(id: string): Promise<Table> {
    return this.#json('GET', `/v1/tables/${seg(id)}`);
  }

  /**
   * Chooses the field that labels the table's rows in item lists (`null`: the row's first
   * non-empty text field). @throws ApiError 404, 422 naming `label_column` for a field the table lacks
   */
  setTableLabelColumn(id: string, labelColumn: string | null): Promise<Table> {
    return this.#json('PATCH', `/v1/tables/${seg(id)}`, { body: { label_column: labelColumn } });
  }

  /** Lists a table's rows in order. */
  listRows(tableId: string, page: PageOptions = {}): Promise<Page<Row>> {
    return this.#json('GET', `/v1/tables/${seg(tableId)}/rows`, { query: { ...page } });
  }

  /** Adds a column (a producer plus input templates) to a table. */
  addColumn(tableId: string, def: ColumnDefinition): Promise<Column> {
    return this.#json('POST', `/v1/tables/${seg(tableId)}/columns`, { body: def });
  }

  /** Lists a table's columns. */
  listColumns(tableId: string): Promise<List<Column>> {
    return this.#json('GET', `/v1/tables/${seg(tableId)}/columns`);
  }

  /**
   * Starts a run of a column (by id or name) over every row. With `idempotencyKey`, a repeated
   * call answers the run created first instead of starting another.
   */
  startColumnRun(tableId: string, column: string, body: StartRunRequest = {}, opts: { idempotencyKey?: string } = {}): Promise<Run> {
    const headers: Record<string, string> = opts.idempotencyKey === undefined ? {} : { 'idempotency-key': opts.idempotencyKey };
    return this.#json('POST', `/v1/tables/${seg(tableId)}/columns/${seg(column)}/runs`, { body, headers });
  }

  /**
   * Queues a manual run (`POST /v1/runs`): a target plus an optional prompt, profile, session
   * and per-run env/secret overrides. With `idempotencyKey`, a repeated call answers the run
   * created first.
   */
  createRun(body: ManualRunRequest, opts: { idempotencyKey?: string } = {}): Promise<Run> {
    const headers: Record<string, string> = opts.idempotencyKey === undefined ? {} : { 'idempotency-key': opts.idempotencyKey };
    return this.#json('POST', '/v1/runs', { body, headers });
  }

  /** Lists runs, newest first. */
  listRuns(filters: RunFilters = {}): Promise<Page<Run>> {
    return this.#json('GET', '/v1/runs', { query: { ...filters } });
  }

  /** Gets one run. */
  getRun(id: string): Promise<Run> {
    return this.#json('GET', `/v1/runs/${seg(id)}`);
  }

  /** Lists a run's items in order, optionally only some statuses. */
  listItems(runId: string, filters: ItemFilters = {}): Promise<Page<Item>> {
    return this.#json('GET', `/v1/runs/${seg(runId)}/items`, { query: { ...filters } });
  }

  /** Lists a run's events with `seq > after`. */
  listEvents(runId: string, opts: { after?: number; limit?: number } = {}): Promise<List<RunEvent>> {
    return this.#json('GET', `/v1/runs/${seg(runId)}/events`, { query: { ...opts } });
  }

  /** Pauses a run: no new item is claimed; in-flight items finish. */
  pauseRun(id: string): Promise<Run> {
    return this.#json('POST', `/v1/runs/${seg(id)}/pause`);
  }

  /** Resumes a paused run. */
  resumeRun(id: string): Promise<Run> {
    return this.#json('POST', `/v1/runs/${seg(id)}/resume`);
  }

  /** Cancels a run; cancelling a canceled run returns it unchanged. */
  cancelRun(id: string): Promise<Run> {
    return this.#json('POST', `/v1/runs/${seg(id)}/cancel`);
  }

  /**
   * Re-executes only the failed items of a run; `output_notice` (worker runs, else null) says what
   * the retry does to the output the worker left, as it was before the retry.
   */
  retryFailed(id: string): Promise<{ run: Run; retried: number; output_notice?: OutputNotice | null }> {
    return this.#json('POST', `/v1/runs/${seg(id)}/retry-failed`);
  }

  /**
   * What a rerun or retry of run `runId` would do to the output its worker left on the subject
   * (ask before starting one); `{applies: false, output_notice: null}` for a run that is not a
   * worker run. @throws ApiError 404
   */
  outputNotice(runId: string): Promise<RunOutputNotice> {
    return this.#json('GET', `/v1/runs/${seg(runId)}/output-notice`);
  }

  /**
   * Answers an item waiting for input: it succeeds with `answer` as its outputs and its run goes
   * on. @throws ApiError 404 (unknown run or item), 409 `item_not_waiting` (not waiting, already
   * answered, or its run finished), 422 naming `answer`
   */
  respondToItem(runId: string, itemId: string, answer: Record<string, unknown>): Promise<{ run: Run; item: Item }> {
    return this.#json('POST', `/v1/runs/${seg(runId)}/items/${seg(itemId)}/respond`, { body: { answer } });
  }

  /** A new run of the same target (`retry_of` set), pinned to the original definition version or the current one. */
  rerun(id: string, pin: 'version' | 'current' = 'version', opts: { idempotencyKey?: string } = {}): Promise<Run> {
    const headers: Record<string, string> = opts.idempotencyKey === undefined ? {} : { 'idempotency-key': opts.idempotencyKey };
    return this.#json('POST', `/v1/runs/${seg(id)}/rerun`, { body: { pin }, headers });
  }

  /** Lists engine nodes with liveness, capacity and items in flight. */
  listNodes(): Promise<List<EngineNode>> {
    return this.#json('GET', '/v1/nodes');
  }

  /** Lists the workspace's events (or one run's) with `seq > after`. */
  listWorkspaceEvents(opts: { runId?: string; after?: number; limit?: number } = {}): Promise<List<RunEvent>> {
    return this.#json('GET', '/v1/events', { query: { run_id: opts.runId, after: opts.after, limit: opts.limit } });
  }

  /** The workspace credit balance (µ fields `*_micro`). */
  getBalance(): Promise<Record<string, unknown>> {
    return this.#json('GET', '/v1/credits/balance');
  }

  /** Ledger entries, oldest first. */
  listLedger(filters: { run_id?: string; kind?: string; limit?: number; cursor?: string } = {}): Promise<Page<Record<string, unknown>>> {
    return this.#json('GET', '/v1/credits/ledger', { query: { ...filters } });
  }

  /** Grants credits (µ); with an idempotency key a repeat grants nothing. */
  grantCredits(amountMicro: number, reason?: string, opts: { idempotencyKey?: string } = {}): Promise<Record<string, unknown>> {
    const headers: Record<string, string> = opts.idempotencyKey === undefined ? {} : { 'idempotency-key': opts.idempotencyKey };
    return this.#json('POST', '/v1/credits/grants', { body: { amount_micro: amountMicro, ...(reason === undefined ? {} : { reason }) }, headers });
  }

  /** The workspace's current prices, or version `version` (`version: null` when never set). */
  getPrices(version?: number): Promise<PriceVersion> {
    return this.#json('GET', '/v1/prices', { query: { version } });
  }

  /**
   * Sets the prices (price key → µ per unit): a new version for runs created from now on, unless
   * equal to the current one (`changed: false`). Fails with `validation_failed` naming `prices.<key>`.
   */
  setPrices(prices: Record<string, number>): Promise<PriceVersion> {
    return this.#json('PUT', '/v1/prices', { body: { prices } });
  }

  /** Usage in a rolling window (`1h`, `24h`, `7d`, `30d`). */
  getUsage(window = '24h'): Promise<Record<string, unknown>> {
    return this.#json('GET', '/v1/usage', { query: { window } });
  }

  /** Per-provider calls, successes, failures, p50/p95 latency and credits of a run. */
  providerSummary(runId: string): Promise<List<Record<string, unknown>>> {
    return this.#json('GET', `/v1/runs/${seg(runId)}/provider-summary`);
  }

  /** Creates an ingestion source (version 1) from its definition (422 naming a bad field). */
  createIngestion(definition: Record<string, unknown>): Promise<IngestionSource> {
    return this.#json('POST', '/v1/ingestions', { body: definition });
  }

  /** Saves a new version of an ingestion source (the whole definition). */
  addIngestionVersion(id: string, definition: Record<string, unknown>): Promise<IngestionSource> {
    return this.#json('POST', `/v1/ingestions/${seg(id)}/versions`, { body: definition });
  }

  /** Ingestion sources at their latest version. */
  listIngestions(): Promise<{ data: IngestionSource[] }> {
    return this.#json('GET', '/v1/ingestions');
  }

  /** A version (default the latest) of an ingestion source. */
  getIngestion(id: string, version?: number): Promise<IngestionSource> {
    return this.#json('GET', `/v1/ingestions/${seg(id)}`, { query: { version } });
  }

  /** Runs an ingestion source; auth secrets go in `overrides.secrets`. */
  runIngestion(id: string, req: RunIngestionRequest = {}): Promise<IngestionRun> {
    return this.#json('POST', `/v1/ingestions/${seg(id)}/runs`, { body: req });
  }

  /** An ingestion source's runs with their totals, newest first. */
  ingestionRuns(id: string, opts: { limit?: number; cursor?: string } = {}): Promise<Page<IngestionRun>> {
    return this.#json('GET', `/v1/ingestions/${seg(id)}/runs`, { query: { ...opts } });
  }

  /** An ingestion run with its totals. */
  getIngestionRun(id: string, runId: string): Promise<IngestionRun> {
    return this.#json('GET', `/v1/ingestions/${seg(id)}/runs/${seg(runId)}`);
  }

  /** Re-fetches exactly the failed pages of an ingestion run. */
  retryFailedIngestion(id: string, runId: string): Promise<{ run: Run; retried: number }> {
    return this.#json('POST', `/v1/ingestions/${seg(id)}/runs/${seg(runId)}/retry-failed`);
  }

  /** Deletes a finished run with its items and events. Fails with `conflict` (409) while it has not finished. */
  async deleteRun(id: string): Promise<void> {
    await this.#send('DELETE', `/v1/runs/${seg(id)}`, {});
  }

  /** Counts the runs the filters select (the preview of a bulk action). */
  countRuns(filters: RunSelection = {}): Promise<{ count: number }> {
    return this.#json('GET', '/v1/runs/count', { query: { ...filters } });
  }

  /** Pins a run: retention keeps it. */
  pinRun(id: string): Promise<Run> {
    return this.#json('POST', `/v1/runs/${seg(id)}/pin`);
  }

  /** Unpins a run: retention may purge it once it is old enough. */
  unpinRun(id: string): Promise<Run> {
    return this.#json('POST', `/v1/runs/${seg(id)}/unpin`);
  }

  /** Exports a run with all its items (json: one document; ndjson: the run, then one item per line; csv: one row per item), streamed. */
  exportRun(id: string, format: ExportFormat, opts: { signal?: AbortSignal } = {}): Promise<ExportDownload> {
    return this.#download(`/v1/runs/${seg(id)}/export`, { format }, opts.signal);
  }

  /** Exports the runs the filters select, newest first, streamed. */
  exportRuns(filters: RunSelection, format: ExportFormat, opts: { signal?: AbortSignal } = {}): Promise<ExportDownload> {
    return this.#download('/v1/runs/export', { ...filters, format }, opts.signal);
  }

  /** Starts a bulk operation over the runs a filter selects; it runs in the background (see {@link getOperation}). */
  startOperation(action: OperationAction, filter: CreateOperationRequest['filter']): Promise<Operation> {
    return this.#json('POST', '/v1/operations', { body: { action, filter } });
  }

  /** Gets a bulk operation and its progress. */
  getOperation(id: string): Promise<Operation> {
    return this.#json('GET', `/v1/operations/${seg(id)}`);
  }

  /** Lists bulk operations, newest first. */
  listOperations(page: PageOptions = {}): Promise<Page<Operation>> {
    return this.#json('GET', '/v1/operations', { query: { ...page } });
  }

  /** Inspects a cell: value, status, inputs, error, attempts, run and item. */
  getCell(tableId: string, rowId: string, column: string): Promise<Cell> {
    return this.#json('GET', `/v1/tables/${seg(tableId)}/cells/${seg(rowId)}/${seg(column)}`);
  }

  /**
   * Follows a run's events live (Server-Sent Events) until the run is terminal: yields every
   * event with `seq > after`, then one `end` message with the final run. With `runId` null it
   * follows the whole workspace until `signal` aborts. A stream that closes early is resumed
   * from the last event seen (up to 3 times in a row without progress).
   */
  async *followEvents(runId: string | null, opts: { after?: number; signal?: AbortSignal } = {}): AsyncGenerator<FollowMessage> {
    let after = opts.after ?? 0;
    const path = runId === null ? '/v1/events' : `/v1/runs/${seg(runId)}/events`;
    for (let drops = 0; ;) {
      const res = await this.#send('GET', path, {
        query: { follow: true, after },
        headers: { accept: 'text/event-stream' },
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (!res.body) throw new ApiError(res.status, 'bad_response', 'the event stream has no body');
      let progressed = false;
      try {
        for await (const frame of parseSse(res.body)) {
          if (frame.event === 'end') {
            yield { type: 'end', run: parseJson<Run>(frame.data) };
            return;
          }
          const event = parseJson<RunEvent>(frame.data);
          after = Math.max(after, event.seq);
          progressed = true;
          yield { type: 'event', event };
        }
      } catch (err) {
        if (opts.signal?.aborted || err instanceof ApiError) throw err;
        // The connection broke mid-stream: resume below.
      }
      drops = progressed ? 1 : drops + 1;
      if (drops > 3) throw new ApiError(0, 'stream_closed', `the event stream of ${runId ?? 'the workspace'} keeps closing`, { run_id: runId });
      await new Promise((r) => setTimeout(r, 250 * drops));
    }
  }

  // Flows and waits (issue 13): shapes as `GET /openapi.json` gives them (`Flow`, `Wait`).

  /** Creates a flow from a definition (YAML/JSON text or an object). @throws ApiError 422 with `details.errors` (every error's JSON path) */
  createFlow(definition: string | Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.#json('POST', '/v1/flows', { body: { definition } });
  }

  /** Adds the next version of a flow. @throws ApiError 404, 422 */
  addFlowVersion(id: string, definition: string | Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.#json('POST', `/v1/flows/${seg(id)}/versions`, { body: { definition } });
  }

  /** Validates a definition without saving it. @throws ApiError 422 with `details.errors` */
  validateFlow(definition: string | Record<string, unknown>): Promise<{ valid: boolean; definition: Record<string, unknown> }> {
    return this.#json('POST', '/v1/flows/validate', { body: { definition } });
  }

  /** The newest version of every flow. */
  listFlows(): Promise<List<Record<string, unknown>>> {
    return this.#json('GET', '/v1/flows');
  }

  /** A flow (its newest version, or `version`). @throws ApiError 404 */
  getFlow(id: string, version?: number): Promise<Record<string, unknown>> {
    return this.#json('GET', `/v1/flows/${seg(id)}`, { query: { version } });
  }

  /** Runs a flow. @throws ApiError 404, 422 naming `inputs.<field>` */
  runFlow(id: string, body: { version?: number; inputs?: Record<string, unknown>; name?: string } = {}, opts: { idempotencyKey?: string } = {}): Promise<Run> {
    const headers: Record<string, string> = opts.idempotencyKey === undefined ? {} : { 'idempotency-key': opts.idempotencyKey };
    return this.#json('POST', `/v1/flows/${seg(id)}/runs`, { body, headers });
  }

  /** AI workers at their newest version (issue 14). */
  listWorkers(): Promise<List<Record<string, unknown>>> {
    return this.#json('GET', '/v1/workers');
  }

  /** An AI worker (its newest version, or `version`). @throws ApiError 404 */
  getWorker(id: string, version?: number): Promise<Record<string, unknown>> {
    return this.#json('GET', `/v1/workers/${seg(id)}`, { query: { version } });
  }

  /** Creates an AI worker (version 1). @throws ApiError 422 naming the field */
  createWorker(definition: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.#json('POST', '/v1/workers', { body: definition });
  }

  /** Saves an edit of a worker as its next version. @throws ApiError 404, 422 */
  editWorker(id: string, definition: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.#json('POST', `/v1/workers/${seg(id)}/versions`, { body: definition });
  }

  /** Pauses (`pause`) or resumes (`resume`) a worker. @throws ApiError 404 */
  setWorkerStatus(id: string, action: 'pause' | 'resume'): Promise<Record<string, unknown>> {
    return this.#json('POST', `/v1/workers/${seg(id)}/${action}`);
  }

  /** Runs a worker on a subject row: `{run, output_notice}`. @throws ApiError 404, 422 */
  runWorker(
    id: string,
    body: { subject: { table_id: string; row_id: string }; prompt?: string; mode?: 'live' | 'dry_run'; version?: number; overrides?: Record<string, unknown> },
    opts: { idempotencyKey?: string } = {},
  ): Promise<{ run: Run; output_notice: OutputNotice }> {
    const headers: Record<string, string> = opts.idempotencyKey === undefined ? {} : { 'idempotency-key': opts.idempotencyKey };
    return this.#json('POST', `/v1/workers/${seg(id)}/runs`, { body, headers });
  }

  /** A worker's runs, newest first. @throws ApiError 404 */
  listWorkerRuns(id: string, opts: { limit?: number; cursor?: string } = {}): Promise<{ data: Run[]; next_cursor: string | null }> {
    return this.#json('GET', `/v1/workers/${seg(id)}/runs`, { query: opts });
  }

  /** Two runs of any kind compared (`GET /v1/runs/compare`). @throws ApiError 404 */
  compareRuns(a: string, b: string): Promise<Record<string, unknown>> {
    return this.#json('GET', '/v1/runs/compare', { query: { a, b } });
  }

  /** Waits, oldest first (`status: 'open'` for the inbox). */
  listWaits(filters: { status?: string; run_id?: string; limit?: number } = {}): Promise<List<Record<string, unknown>>> {
    return this.#json('GET', '/v1/waits', { query: filters });
  }

  /** A wait. @throws ApiError 404 */
  getWait(id: string): Promise<Record<string, unknown>> {
    return this.#json('GET', `/v1/waits/${seg(id)}`);
  }

  /**
   * Answers a wait (the first valid answer wins). @throws ApiError 422 naming the field (the
   * wait stays open), 409 `item_not_waiting` with `details.outcome` when it is closed
   */
  respondToWait(
    id: string,
    answer: { values?: Record<string, unknown>; decision?: string; comment?: string },
    opts: { idempotencyKey?: string } = {},
  ): Promise<{ wait: Record<string, unknown>; run: Run | null; replayed: boolean }> {
    const headers: Record<string, string> = opts.idempotencyKey === undefined ? {} : { 'idempotency-key': opts.idempotencyKey };
    return this.#json('POST', `/v1/waits/${seg(id)}/responses`, { body: answer, headers });
  }

  async #download(path: string, query: Query, signal: AbortSignal | undefined): Promise<ExportDownload> {
    const res = await this.#send('GET', path, { query, headers: { accept: '*/*' }, ...(signal ? { signal } : {}) });
    if (!res.body) throw new ApiError(res.status, 'bad_response', `GET ${path}: the export has no body`);
    const disposition = res.headers.get('content-disposition') ?? '';
    return {
      body: res.body,
      filename: /filename="([^"]*)"/.exec(disposition)?.[1] ?? null,
      contentType: res.headers.get('content-type') ?? 'application/octet-stream',
    };
  }

  async #json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.#send(method, path, opts);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(res.status, 'bad_response', `${method} ${path}: the answer is not JSON: ${text.slice(0, 200)}`);
    }
  }

  async #send(method: string, path: string, opts: RequestOptions): Promise<Response> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v === undefined) continue;
      qs.set(k, Array.isArray(v) ? v.join(',') : String(v));
    }
    const url = `${this.baseUrl}${path}${qs.size > 0 ? `?${qs.toString()}` : ''}`;
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.raw !== undefined) headers['content-type'] = opts.raw.contentType;
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method,
        headers,
        ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
        // A streamed request body needs `duplex: 'half'` (fetch spec; undici).
        ...(opts.raw === undefined ? {} : ({ body: opts.raw.body, duplex: 'half' } as unknown as RequestInit)),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw ApiError.unreachable(this.baseUrl, err);
    }
    if (!res.ok) throw await ApiError.fromResponse(res);
    return res;
  }
}

function parseJson<T>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(200, 'bad_response', `an event stream frame is not JSON: ${text.slice(0, 200)}`);
  }
}
