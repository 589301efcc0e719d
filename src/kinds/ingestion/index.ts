/**
 * The `ingestion` kind (issue 16): a source's pages fetched as items (`page:<n>`, 1-based),
 * each page's records upserted into the source's table by its key field (a many-rows sink,
 * core/sink.ts), each written row naming the run and the page.
 *
 * Planning:
 * - `cursor` and `link` sources are sequential by nature: the run starts with page 1, and each
 *   page that succeeds with a next cursor/link appends the next page (in the completion's
 *   transaction, so a crash never loses the link between two pages). A failed page appends
 *   nothing; `retry-failed` re-fetches it with the cursor it holds (the last good one) and its
 *   success continues the chain. The item key is the page number, not the cursor: cursors are
 *   opaque and may be long, and the number keeps the chain's order readable.
 * - `page` and `offset` sources fan out in `fan_out` lanes: the run starts with pages
 *   1…fan_out and each page, once back, appends the page `fan_out` further on, as long as it was
 *   full (a short page ends its lane, and the source's data). Why not plan every page up to
 *   `max_pages` at the start: the number of pages is not known, so that would create up to
 *   `max_pages` items (and requests) for a source of a few pages; lanes keep `fan_out` requests
 *   in flight and fetch at most `fan_out - 1` pages past the end. A page that fails after its
 *   retries with a retryable error (429/5xx, network) still appends its lane's next page, so
 *   one bad page fails alone; a permanent error (`records_not_found`, `not_json`, 4xx) ends its
 *   lane.
 * - Past the maximum: one page past `max_pages` (or past `max_records`) is still planned when
 *   the source says there is more, and fails with `past_max_pages` / `past_max_records` without
 *   being fetched: the run shows that data was left.
 *
 * Target (what the engine's ingestion service passes): `{type: 'ingestion', source: {id,
 * version, definition}}`, the definition as stored (core/ingestion.ts). It is parsed again here,
 * so a direct `POST /v1/runs` with an inline source is checked like one saved.
 */
import { ValidationError } from '../../core/errors.js';
import {
  CREDENTIAL_ENV,
  lastPlannedPage,
  parseIngestionDefinition,
  RECENT_WINDOW,
  sourcePart,
  type IngestionDefinition,
  type PageInputs,
  type PageOutputs,
} from '../../core/ingestion.js';
import type { FollowUp, PlannedItem, ResolvedTarget, RunKindModule, StartOptions, StartPlan, TargetRef } from '../../core/kind.js';
import type { RunRecord } from '../../core/model.js';
import { NotFoundError } from '../../core/errors.js';

/** The producer that fetches a page (src/producers/ingest-page.ts). */
export const INGEST_PAGE = 'ingest_page';
/** The output field holding a page's records (the rows sink writes each one). */
const RECORDS = 'records';

/** A parsed ingestion target. */
export interface IngestionRef {
  source_id: string;
  version: number;
  definition: IngestionDefinition;
}

const SOURCE_ID = /^ing_[A-Za-z0-9_-]{1,100}$/;

/** The item of page `n`. */
function page(
  n: number,
  src: PageInputs['source'],
  at: { cursor?: string | null; url?: string | null; records_before: number; recent?: string[]; page_limit?: number | null | undefined },
): PlannedItem {
  const inputs: PageInputs = {
    source: src,
    page: n,
    cursor: at.cursor ?? null,
    url: at.url ?? null,
    records_before: at.records_before,
    recent: at.recent ?? [],
    ...(at.page_limit == null ? {} : { page_limit: at.page_limit }),
  };
  return { key: `page:${n}`, inputs: inputs as unknown as Record<string, unknown> };
}

function pageOf(key: string): number {
  return Number(key.slice('page:'.length));
}

function sourceOf(run: Pick<RunRecord, 'spec'>): PageInputs['source'] {
  return run.spec.config as unknown as PageInputs['source'];
}

/**
 * The most pages a run in mode `opts` plans: a dry run fetches the first page only, a smoke
 * test its size (`smoke_test_items`); null: no limit but the source's own.
 */
export function pageLimit(opts: StartOptions | undefined): number | null {
  if (opts?.mode === 'dry_run') return 1;
  if (opts?.mode === 'smoke_test') return opts.smoke_test_items ?? null;
  return null;
}

/** The first pages of a run of `src`, at most `limit`. */
function firstPages(src: PageInputs['source'], limit: number | null): PlannedItem[] {
  const t = src.pagination.type;
  if (t === 'page' || t === 'offset') {
    const n = Math.min(src.fan_out, lastPlannedPage(src), limit ?? Infinity);
    return Array.from({ length: n }, (_, i) => page(i + 1, src, { records_before: i * src.page_size, page_limit: limit }));
  }
  return [page(1, src, { records_before: 0, page_limit: limit })];
}

/** A page on which the source's `stop_when` held: nothing follows it, and the run says so. */
function stoppedWhen(n: number): FollowUp {
  return { append: [], result: { summary: `stopped at page ${n}: stop_when held`, output: { stopped: 'stop_when', page: n } } };
}

/** Why a run stops short of the source's end: its mode's page limit (the source has more). */
function stoppedAt(run: Pick<RunRecord, 'mode'>, limit: number): FollowUp {
  const why = run.mode === 'dry_run' ? 'dry_run' : 'smoke_test_limit';
  const summary =
    why === 'dry_run'
      ? 'dry run: the first page fetched, nothing written (the source has more pages)'
      : `stopped after ${limit} page${limit === 1 ? '' : 's'}: the smoke test's limit (the source has more pages)`;
  return { append: [], result: { summary, output: { stopped: why, page_limit: limit } } };
}

/** The ingestion kind module. */
export const ingestionKind: RunKindModule<IngestionRef> = {
  kind: 'ingestion',
  outcome: 'items',

  parseTarget(raw: TargetRef): IngestionRef {
    for (const k of Object.keys(raw)) {
      if (k !== 'type' && k !== 'source') throw new ValidationError(`target.${k}: not a field of an ingestion target (type, source)`, { field: `target.${k}` });
    }
    const s = raw.source as Record<string, unknown> | undefined;
    if (typeof s !== 'object' || s === null) throw new ValidationError('target.source: expected {id, version, definition}', { field: 'target.source' });
    if (typeof s.id !== 'string' || !SOURCE_ID.test(s.id))
      throw new ValidationError('target.source.id: expected an ingestion source id (ing_…)', { field: 'target.source.id' });
    if (typeof s.version !== 'number' || !Number.isInteger(s.version) || s.version < 1) {
      throw new ValidationError('target.source.version: expected a positive integer', { field: 'target.source.version' });
    }
    return { source_id: s.id, version: s.version, definition: parseIngestionDefinition(s.definition, 'target.source.definition') };
  },

  async resolve(ref, io): Promise<ResolvedTarget> {
    const def = ref.definition;
    if (!(await io.table(def.table_id))) throw new NotFoundError('table', def.table_id);
    return {
      kind: 'ingestion',
      target_id: ref.source_id,
      target_version: ref.version,
      default_name: `${def.name} v${ref.version}`,
      profile: 'standard',
      producer: INGEST_PAGE,
      // A saved credential is named (never held) in the config; the engine reveals it into the
      // attempt's env as CREDENTIAL_ENV (core/credential-refs.ts `credentials` map).
      config: {
        ...sourcePart(def),
        ...(def.auth?.credential === undefined ? {} : { credentials: { [CREDENTIAL_ENV]: def.auth.credential } }),
      } as unknown as Record<string, unknown>,
      sink: { type: 'rows', table_id: def.table_id, key: def.key_field, records: RECORDS },
    };
  },

  start(target, _io, opts): Promise<StartPlan> {
    return Promise.resolve({ items: firstPages(target.config as unknown as PageInputs['source'], pageLimit(opts)) });
  },

  next(run, outcome): FollowUp {
    if (outcome.kind === 'answered') return { append: [] };
    const src = sourceOf(run);
    const inputs = outcome.item.inputs as unknown as PageInputs;
    const n = pageOf(outcome.item.key);
    const t = src.pagination.type;
    const limit = inputs.page_limit ?? null;
    if (t === 'page' || t === 'offset') {
      const goOn = outcome.kind === 'succeeded' ? (outcome.outputs as unknown as Partial<PageOutputs>).full === true : outcome.error.retryable;
      const m = n + src.fan_out;
      // Lanes are disjoint (page numbers mod fan_out), so exactly one lane plans the page just
      // past the maximum.
      if (outcome.kind === 'succeeded' && (outcome.outputs as unknown as Partial<PageOutputs>).stop_when === true) return stoppedWhen(n);
      if (!goOn || m > lastPlannedPage(src) + 1) return { append: [] };
      // A lane that would go past the mode's limit stops (each lane that does says so).
      if (limit !== null && m > limit) return outcome.kind === 'succeeded' ? stoppedAt(run, limit) : { append: [] };
      return { append: [page(m, src, { records_before: (m - 1) * src.page_size, page_limit: limit })] };
    }
    if (t === 'none' || outcome.kind === 'failed') return { append: [] };
    const out = outcome.outputs as unknown as Partial<PageOutputs>;
    if (out.stop_when === true) return stoppedWhen(n);
    // A page without a next cursor (or one validated, not fetched) ends the chain.
    if (typeof out.next !== 'string' || !Array.isArray(out.records)) return { append: [] };
    if (limit !== null && n + 1 > limit) return stoppedAt(run, limit);
    const own = inputs.cursor ?? inputs.url;
    const recent = [...inputs.recent, ...(own === null ? [] : [own])].slice(-RECENT_WINDOW);
    const at = t === 'cursor' ? { cursor: out.next } : { url: out.next };
    return { append: [page(n + 1, src, { ...at, records_before: inputs.records_before + out.records.length, recent, page_limit: limit })] };
  },

  replay(run, items): StartPlan {
    // A rerun of a dry run or smoke test keeps the limit its pages carried.
    const first = items[0]?.inputs as Partial<PageInputs> | null | undefined;
    return {
      items: firstPages(sourceOf(run), run.mode === 'dry_run' || run.mode === 'smoke_test' ? (first?.page_limit ?? pageLimit({ mode: run.mode })) : null),
    };
  },

  currentTarget(): TargetRef | undefined {
    // The current version is the ingestion service's to look up (POST /v1/ingestions/{id}/run).
    return undefined;
  },
};
