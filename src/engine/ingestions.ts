/**
 * Ingestion sources and their runs (issue 16): create a source (version 1), edit it (a new
 * version; runs already started keep the version they pinned), list and get, run a version,
 * list a source's runs with their totals, and retry a run's failed pages.
 *
 * A run of a source is a run of the `ingestion` kind (src/kinds/ingestion) whose target carries
 * the pinned version's definition; its summary (pages fetched, records created, updated,
 * unchanged, without key) is summed from its pages' `item.rows_written` events.
 */
import { NotFoundError, RunyardError, ValidationError } from '../core/errors.js';
import type { Clock, IdSource } from '../core/ids.js';
import { parseIngestionDefinition, recordKey, type IngestionDefinition, type PageOutputs } from '../core/ingestion.js';
import type { RunRecord } from '../core/model.js';
import type { ItemError } from '../core/errors.js';
import type { ItemStatus } from '../core/status.js';
import type { IngestionSourceRecord, RowAction, RowsWritten } from '../store/ingestion-port.js';
import type { Page, ProviderStats, Store } from '../store/port.js';
import type { ControlService } from './control.js';
import type { RunsService, StartColumnRun } from './runs-service.js';

/** Headers that carry credentials: refused in a stored request template. */
const SECRET_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'api-key']);

/** An ingestion run's totals. */
export interface IngestionSummary extends RowsWritten {
  /** Pages that failed (their error codes are on the items). */
  pages_failed: number;
  /**
   * Why the run stopped before the source's end (the kind's result): `smoke_test_limit` (a smoke
   * test fetched its N pages and the source had more), `dry_run`, or `stop_when` (the source's
   * condition held on a page); null when it did not.
   */
  stopped: string | null;
  /**
   * Per provider (a page's host): calls (attempts), pages succeeded and failed, p50/p95 of a
   * page's duration (ms), credits captured (µ) — the store's provider summary of any run, with
   * failed pages (which name no provider) under the source's host.
   */
  providers: ProviderStats[];
}

/** One record of a dry run's page and what writing it would do. */
export interface PreviewRecord {
  /** The record's key field as the rows sink reads it (text), or null when it has none. */
  key: string | null;
  /** `created`, `updated`, `unchanged` (compared with the table's row of that key now), or `no_key` (it would not be written). */
  action: RowAction | 'no_key';
  data: unknown;
}

/**
 * A dry run's preview: the first page as fetched and what writing it would do to the table
 * (nothing was written). `status` is the page item's; until it ends, `records` is empty.
 */
export interface IngestionPreview {
  page: number;
  status: ItemStatus;
  /** The URL fetched, secrets redacted; null before the page is fetched. */
  url: string | null;
  http_status: number | null;
  /** Records at the path (before dropping those without a key). */
  record_count: number;
  /** The next cursor or link the source gave (where a live run would go on), or null. */
  next: string | null;
  counts: { created: number; updated: number; unchanged: number; no_key: number };
  records: PreviewRecord[];
  /** The page's error (its code: `http_500`, `not_json`, `not_csv`, …), or null. */
  error: ItemError | null;
}

/** Dependencies of {@link IngestionsService}. */
export interface IngestionsDeps {
  store: Store;
  clock: Clock;
  ids: IdSource;
  runs: RunsService;
  control: ControlService;
}

function hostOf(url: unknown): string | undefined {
  return typeof url === 'string' && URL.canParse(url) ? new URL(url).host : undefined;
}

/** Ingestion sources and runs. */
export class IngestionsService {
  constructor(private readonly deps: IngestionsDeps) {}

  /**
   * Creates a source (version 1).
   * @throws ValidationError naming the field (`records_path`, `pagination.type`, …;
   *   `auth.credential` when the workspace has no saved credential of that name);
   *   NotFoundError when `table_id` names no table of the workspace
   */
  async create(ws: string, raw: unknown): Promise<IngestionSourceRecord> {
    const def = await this.checked(ws, raw);
    return this.deps.store.ingestions.createSource({
      id: this.deps.ids.next('ing'),
      version: 1,
      workspace_id: ws,
      name: def.name,
      table_id: def.table_id,
      definition: def as unknown as Record<string, unknown>,
      created_at: this.deps.clock.now(),
    });
  }

  /**
   * Saves a new version of source `id` (the whole definition, as for create).
   * @throws as {@link create}; NotFoundError when there is no source `id`
   */
  async addVersion(ws: string, id: string, raw: unknown): Promise<IngestionSourceRecord> {
    const def = await this.checked(ws, raw);
    const rec = await this.deps.store.ingestions.addVersion(ws, id, {
      name: def.name,
      table_id: def.table_id,
      definition: def as unknown as Record<string, unknown>,
      created_at: this.deps.clock.now(),
    });
    if (!rec) throw new NotFoundError('ingestion source', id);
    return rec;
  }

  /** Version `version` (default: latest) of source `id`. @throws NotFoundError */
  async get(ws: string, id: string, version?: number): Promise<IngestionSourceRecord> {
    const rec = await this.deps.store.ingestions.getSource(ws, id, version);
    if (!rec) throw new NotFoundError('ingestion source', version === undefined ? id : `${id}@${version}`);
    return rec;
  }

  /** Every source at its latest version. */
  list(ws: string): Promise<IngestionSourceRecord[]> {
    return this.deps.store.ingestions.listSources(ws);
  }

  /**
   * Starts a run of source `id` at `version` (default: its latest), pinned to that version.
   * Per-run secrets (`opts.overrides.secrets`) carry the auth secret the source names.
   * @throws NotFoundError (source, version, table); as RunsService.startRun
   */
  async run(ws: string, id: string, opts: StartColumnRun & { version?: number } = {}): Promise<{ run: RunRecord; created: boolean }> {
    const { version, ...rest } = opts;
    const src = await this.get(ws, id, version);
    return this.deps.runs.startRun(ws, { type: 'ingestion', source: { id: src.id, version: src.version, definition: src.definition } }, rest);
  }

  /** Runs of source `id`, newest first. @throws NotFoundError */
  async runs(ws: string, id: string, opts: { limit: number; cursor?: string }): Promise<Page<RunRecord>> {
    await this.get(ws, id);
    return this.deps.store.listRuns(ws, { kind: ['ingestion'], target_id: id }, opts);
  }

  /** Totals of an ingestion run. @throws NotFoundError when `runId` is no ingestion run */
  async summary(ws: string, runId: string): Promise<IngestionSummary> {
    const run = await this.ingestionRun(ws, runId);
    const { store } = this.deps;
    // A page that failed carries no provider: it counts under the source's host, not the producer's name.
    const host = hostOf((run.spec.config as { request?: { url?: unknown } }).request?.url) ?? run.spec.producer;
    const [written, providers] = await Promise.all([store.ingestions.rowsWritten(ws, runId), store.providerSummary(ws, runId, host)]);
    const out = run.output as { stopped?: unknown } | null;
    return { ...written, pages_failed: run.items_failed, stopped: typeof out?.stopped === 'string' ? out.stopped : null, providers };
  }

  /**
   * The preview of a dry run (mode `dry_run`): its first page's records and what writing each
   * would do to the table as it is now. undefined for a run in another mode.
   * @throws NotFoundError when `runId` is no ingestion run
   */
  async preview(ws: string, runId: string): Promise<IngestionPreview | undefined> {
    const run = await this.ingestionRun(ws, runId);
    if (run.mode !== 'dry_run') return undefined;
    const { store } = this.deps;
    const item = (await store.listItems(ws, runId, {}, { limit: 1 })).data[0];
    const out = (item?.outputs ?? {}) as Partial<PageOutputs>;
    const list = Array.isArray(out.records) ? out.records : [];
    const keyField = run.spec.row_key ?? '';
    const keyed = list.map((data) => ({ data, key: recordKey(data, keyField) }));
    const writable = keyed.filter((r): r is { data: Record<string, unknown>; key: string } => r.key !== null);
    const actions = run.spec.table_id ? await store.ingestions.wouldWrite(ws, run.spec.table_id, writable) : [];
    const counts = { created: 0, updated: 0, unchanged: 0, no_key: 0 };
    let i = 0;
    const records = keyed.map((r): PreviewRecord => {
      const action = r.key === null ? 'no_key' : (actions[i++] ?? 'created');
      counts[action]++;
      return { key: r.key, action, data: r.data };
    });
    return {
      page: typeof out.page === 'number' ? out.page : 1,
      status: item?.status ?? 'pending',
      url: out.url ?? null,
      http_status: out.status ?? null,
      record_count: out.record_count ?? 0,
      next: out.next ?? null,
      counts,
      records,
      error: item?.error ?? null,
    };
  }

  /**
   * Re-fetches exactly the failed pages of an ingestion run (a cursor page with the cursor it
   * holds, the last good one; its success continues the chain).
   * @throws NotFoundError; RunyardError `nothing_to_retry`, `illegal_transition`
   */
  async retryFailed(ws: string, runId: string): Promise<{ run: RunRecord; retried: number }> {
    await this.ingestionRun(ws, runId);
    return this.deps.control.retryFailed(ws, runId);
  }

  private async ingestionRun(ws: string, runId: string): Promise<RunRecord> {
    const run = await this.deps.runs.getRun(ws, runId);
    if (run.kind !== 'ingestion') throw new NotFoundError('ingestion run', runId);
    return run;
  }

  /** Parses a definition and checks its table exists in the workspace. */
  private async checked(ws: string, raw: unknown): Promise<IngestionDefinition> {
    const def = parseIngestionDefinition(raw);
    // A source is stored and shown as it is: a credential belongs in a run secret (auth.secret).
    const secretish = Object.keys(def.request.headers).find((h) => SECRET_HEADERS.has(h.toLowerCase()));
    if (secretish !== undefined) {
      throw new RunyardError('validation_failed', `request.headers.${secretish}: a source never stores a credential; name a run secret in auth.secret`, {
        field: `request.headers.${secretish}`,
      });
    }
    if (def.auth && Object.keys(def.request.headers).some((h) => h.toLowerCase() === def.auth?.header?.toLowerCase())) {
      throw new RunyardError('validation_failed', `auth.header: ${def.auth.header} is also set in request.headers`, { field: 'auth.header' });
    }
    const cred = def.auth?.credential;
    if (cred !== undefined && (await this.deps.store.access.getCredentialBox(ws, cred)) === undefined) {
      throw new ValidationError(
        `auth.credential: credential ${JSON.stringify(cred)} does not exist in this workspace; save it first (PUT /v1/credentials/{name})`,
        {
          field: 'auth.credential',
          credential: cred,
        },
      );
    }
    if (!(await this.deps.store.getTable(ws, def.table_id))) throw new NotFoundError('table', def.table_id);
    return def;
  }
}
