/**
 * The `ingest_page` producer: fetches one page of an ingestion source (core/ingestion.ts) and
 * returns its records. The request goes through the `http` producer (same egress guard, body
 * cap, timeouts, and the same retry classification: 408/429/5xx are `RetryableError`s carrying
 * `Retry-After`, so the executor's retry policy honours it).
 *
 * Per-page errors (permanent, the rest of the run goes on): `not_json` (the body is no JSON),
 * `records_not_found` (nothing, or no array, at `records_path`), `cursor_loop` (the next cursor
 * or link is one this chain already fetched), `past_max_pages` / `past_max_records` (planned
 * past the source's maximum: not fetched), `secret_missing` (auth names a secret the run lacks).
 */
import { PermanentError, ValidationError } from '../core/errors.js';
import { ExpressionError, test as celTest } from '../core/cel.js';
import { atPath, CREDENTIAL_ENV, nextLink, recordKey, stopContext, type PageInputs, type PageOutputs } from '../core/ingestion.js';
import type { Producer, ProducerContext, ProducerResult } from '../core/producer.js';
import { head } from './config.js';
import { fileRecords } from './ingest-records.js';

/** The producer's name (items of ingestion runs name it). */
export const INGEST_PAGE_PRODUCER = 'ingest_page';

/** The URL of one page: the template's URL and query plus the paging parameters and auth. */
export function pageUrl(p: PageInputs, secret: string | undefined): URL {
  const s = p.source;
  const url = new URL(p.url ?? s.request.url);
  if (p.url === null) for (const [k, v] of Object.entries(s.request.query)) url.searchParams.set(k, String(v));
  const pg = s.pagination;
  if (pg.type !== 'none' && pg.size_param !== undefined && p.url === null) url.searchParams.set(pg.size_param, String(s.page_size));
  if (pg.type === 'page') url.searchParams.set(pg.param, String(pg.start + p.page - 1));
  if (pg.type === 'offset') url.searchParams.set(pg.param, String((p.page - 1) * s.page_size));
  if (pg.type === 'cursor' && p.cursor !== null) url.searchParams.set(pg.param, p.cursor);
  if (s.auth?.query_param !== undefined && secret !== undefined) url.searchParams.set(s.auth.query_param, secret);
  return url;
}

/** Creates the `ingest_page` producer over an `http` producer (`http`: the registry's, with its egress guard). */
export function createIngestPageProducer(http: Producer): Producer {
  return {
    name: INGEST_PAGE_PRODUCER,
    /** Accepts only page inputs as the ingestion kind plans them (a column cannot use it). */
    validate(config: unknown): void {
      const c = config as Partial<PageInputs> | null;
      if (typeof c !== 'object' || c === null || typeof c.page !== 'number' || typeof c.source !== 'object' || c.source === null) {
        throw new ValidationError('config: ingest_page fetches pages of ingestion runs; use an ingestion source (POST /v1/ingestions)', { field: 'config' });
      }
    },
    execute: (ctx) => fetchPage(http, ctx),
    /** A dry run fetches its page too (a read): the run's sink writes nothing of it. */
    preview: (ctx) => fetchPage(http, ctx),
  };
}

/** Fetches one page and returns its records (the `ingest_page` producer's attempt). */
async function fetchPage(http: Producer, ctx: ProducerContext): Promise<ProducerResult> {
  const p = ctx.inputs as unknown as PageInputs;
  const s = p.source;
  if (p.page > s.max_pages) {
    throw new PermanentError('past_max_pages', `page ${p.page} is past max_pages ${s.max_pages}: not fetched (the source has more pages)`, {
      max_pages: s.max_pages,
    });
  }
  if (p.records_before >= s.max_records) {
    throw new PermanentError('past_max_records', `page ${p.page} is past max_records ${s.max_records}: not fetched`, { max_records: s.max_records });
  }
  let secret: string | undefined;
  if (s.auth?.credential !== undefined) {
    // Revealed by the engine from the workspace's saved credential (a missing one fails the
    // attempt with credential_not_found before it gets here).
    secret = ctx.env[CREDENTIAL_ENV];
    if (secret === undefined) {
      throw new PermanentError('credential_not_found', `auth.credential: credential ${s.auth.credential} was not revealed to this page`, {
        field: 'auth.credential',
      });
    }
  } else if (s.auth?.secret !== undefined) {
    secret = ctx.env[s.auth.secret];
    if (secret === undefined) {
      throw new PermanentError('secret_missing', `auth.secret: the run has no secret ${s.auth.secret} (give it in overrides.secrets)`, {
        field: 'auth.secret',
      });
    }
  }
  const url = pageUrl(p, secret);
  const accept = s.format === 'csv' ? 'text/csv' : s.format === 'ndjson' ? 'application/x-ndjson' : 'application/json';
  const headers: Record<string, string> = { accept, ...s.request.headers };
  if (s.auth?.header !== undefined && secret !== undefined) headers[s.auth.header] = `${s.auth.prefix ?? ''}${secret}`;
  let res: ProducerResult;
  try {
    const parse = s.format === 'json' ? 'json' : 'text';
    res = await http.execute({ ...ctx, inputs: { method: s.request.method, url: url.href, headers, parse, timeout_ms: s.timeout_ms } });
  } catch (err) {
    if (err instanceof PermanentError && err.code === 'invalid_output') throw new PermanentError('not_json', `page ${p.page}: ${err.message}`);
    throw err;
  }
  const out = res.outputs as { status: number; headers: Record<string, string>; body: string };
  const body = res.value;
  const path = s.records_path ?? '$';
  const found = s.format === 'json' ? atPath(body, path) : fileRecords(s.format, out.body);
  if (!Array.isArray(found)) {
    throw new PermanentError('records_not_found', `page ${p.page}: no array of records at ${JSON.stringify(path)}: ${head(out.body, 300)}`, {
      records_path: path,
      body: head(out.body, 500),
    });
  }
  const room = s.max_records - p.records_before;
  const records = found.slice(0, room);
  let missing = 0;
  for (const r of records) if (recordKey(r, s.key_field) === null) missing++;
  let next: string | null = null;
  const pg = s.pagination;
  if (pg.type === 'cursor') {
    const c = atPath(body, pg.cursor_path);
    next = c === null || c === undefined || c === '' ? null : String(c);
  } else if (pg.type === 'link') next = nextLink(out.headers.link, url.href);
  const own = p.cursor ?? p.url;
  if (next !== null && found.length > 0 && (next === own || p.recent.includes(next))) {
    throw new PermanentError('cursor_loop', `page ${p.page}: the next ${pg.type} ${head(next, 200)} repeats one this run already fetched`, {
      next: head(next, 500),
    });
  }
  // A page that brings no records ends a cursor/link chain even if it names a next one.
  if (found.length === 0) next = null;
  const stop =
    s.stop_when !== undefined &&
    stops(s.stop_when, { response: s.format === 'json' ? body : null, records, page: p.page, status: out.status, headers: out.headers });
  if (stop) next = null;
  const shown = new URL(url.href);
  if (s.auth?.query_param !== undefined) shown.searchParams.set(s.auth.query_param, '[redacted]');
  const outputs: PageOutputs = {
    page: p.page,
    url: shown.href,
    status: out.status,
    records,
    record_count: found.length,
    missing_key: missing,
    next,
    full: !stop && found.length >= s.page_size,
    ...(stop ? { stop_when: true } : {}),
  };
  return {
    value: null,
    outputs: outputs as unknown as Record<string, unknown>,
    provider: url.host,
    usage: { http_calls: 1, rows: records.length - missing },
  };
}

/** Whether `stop_when` holds on a page. @throws PermanentError `stop_when_failed` when it fails or is not a bool */
function stops(expr: string, page: Parameters<typeof stopContext>[0]): boolean {
  try {
    return celTest(expr, stopContext(page));
  } catch (err) {
    if (err instanceof ExpressionError) throw new PermanentError('stop_when_failed', `page ${page.page}: stop_when ${err.reason}`, { expression: expr });
    throw err;
  }
}
