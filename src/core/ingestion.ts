/**
 * Ingestion sources (issue 16): an HTTP API described as data — a request template, where the
 * records are in each response (a JSON path), the field that keys a record, and how to page
 * (`page` number, `offset`, `cursor` from the body, RFC 8288 `link` rel="next", or `none`).
 * Shared, pure, by the `ingestion` kind (which plans pages) and the `ingest_page` producer
 * (which fetches one); neither imports the other.
 *
 * A definition never holds a secret: `auth` names a per-run secret (`overrides.secrets`) whose
 * value the producer reads from its run env when it sends the request.
 */
import { z } from 'zod';
import { compile, ExpressionError } from './cel.js';
import { ValidationError } from './errors.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** A saved credential's name (as `PUT /v1/credentials/{name}` takes it). */
const CREDENTIAL = /^[A-Za-z0-9_.-]{1,200}$/;

/**
 * The env variable a page's attempt reads a saved credential from: the ingestion kind names the
 * credential in the run's config `credentials: {RUNYARD_INGEST_CREDENTIAL: name}`
 * (core/credential-refs.ts), and the engine reveals it into the attempt's env.
 */
export const CREDENTIAL_ENV = 'RUNYARD_INGEST_CREDENTIAL';
const int = (min: number, max: number) =>
  z
    .number({ error: `expected an integer from ${min} to ${max}` })
    .int({ error: `expected an integer from ${min} to ${max}` })
    .min(min, { error: `expected an integer from ${min} to ${max}` })
    .max(max, { error: `expected an integer from ${min} to ${max}` });
const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' });
const httpUrl = z
  .string({ error: 'expected an http: or https: URL' })
  .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), { error: 'expected an http: or https: URL' });
/** A dotted JSON path: `data.items`, `$.data.items[0].rows`, or `$` / `` for the body itself. */
const jsonPath = z
  .string({ error: 'expected a JSON path such as "data.items" or "$"' })
  .max(500)
  .refine((p) => parsePath(p) !== undefined, { error: 'expected a JSON path such as "data.items" or "$"' });

const Pagination = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('page'),
      /** Query parameter carrying the page number. @default "page" */
      param: z.string().min(1).default('page'),
      /** The first page's number. @default 1 */
      start: int(0, 1).default(1),
      /** Query parameter carrying the page size; absent: not sent. */
      size_param: z.string().min(1).optional(),
    }),
    z.strictObject({
      type: z.literal('offset'),
      param: z.string().min(1).default('offset'),
      size_param: z.string().min(1).optional(),
    }),
    z.strictObject({
      type: z.literal('cursor'),
      /** Query parameter the next request carries the cursor in. @default "cursor" */
      param: z.string().min(1).default('cursor'),
      /** Where the next cursor is in the body; null, absent or "" ends the source. */
      cursor_path: jsonPath,
      size_param: z.string().min(1).optional(),
    }),
    z.strictObject({ type: z.literal('link'), size_param: z.string().min(1).optional() }),
    z.strictObject({ type: z.literal('none') }),
  ],
  { error: 'expected {type: "page" | "offset" | "cursor" | "link" | "none", ...}' },
);

/** The zod schema of an ingestion source definition (the body of create and version). */
export const IngestionDefinitionSchema = z.strictObject({
  name: z.string({ error: 'expected a non-empty name' }).min(1, { error: 'expected a non-empty name' }).max(200),
  /** The table the records are upserted into (by `key_field`). */
  table_id: z.string({ error: 'expected a table id' }).min(1, { error: 'expected a table id' }),
  request: z.strictObject({
    url: httpUrl,
    method: z.enum(['GET', 'POST'], { error: 'expected GET or POST' }).default('GET'),
    headers: z.record(z.string(), z.string({ error: 'expected a string' })).default({}),
    query: z.record(z.string(), scalar).default({}),
  }),
  /**
   * Auth from a per-run secret (`secret`: its name in the run's `overrides.secrets`) or from a
   * saved credential of the workspace (`credential`: its name, `PUT /v1/credentials/{name}`,
   * revealed when a page is fetched, so rotating it changes the next runs), sent as header
   * `header` (`prefix` + value) or query parameter `query_param`.
   */
  auth: z
    .strictObject({
      secret: z.string({ error: 'expected a secret name' }).regex(NAME, { error: 'expected a secret name (letters, digits, _)' }).optional(),
      credential: z
        .string({ error: 'expected a saved credential name' })
        .regex(CREDENTIAL, { error: 'expected a saved credential name (letters, digits, _ . -)' })
        .optional(),
      header: z.string().min(1).optional(),
      prefix: z.string().max(50).optional(),
      query_param: z.string().min(1).optional(),
    })
    .refine((a) => (a.secret === undefined) !== (a.credential === undefined), { error: 'expected exactly one of secret or credential' })
    .refine((a) => (a.header === undefined) !== (a.query_param === undefined), { error: 'expected exactly one of header or query_param' })
    .optional(),
  /**
   * What a response body is: `json` (records at `records_path`), or a file at a URL, one page of
   * records: `ndjson` (a JSON object a line) or `csv` (a header row, then a record a line, values
   * as text). `ndjson` and `csv` take `pagination: {type: "none"}` and no `records_path`.
   * @default "json"
   */
  format: z.enum(['json', 'ndjson', 'csv'], { error: 'expected "json", "ndjson" or "csv"' }).default('json'),
  /** Where the array of records is in a JSON body; required for `format: "json"`. */
  records_path: jsonPath.optional(),
  key_field: z
    .string({ error: 'expected the name of the field that keys a record' })
    .min(1, { error: 'expected the name of the field that keys a record' })
    .max(200),
  pagination: Pagination,
  /** Records per page (sent as `size_param`; a page shorter than this ends `page`/`offset` sources). @default 100 */
  page_size: int(1, 10_000).default(100),
  /** Most pages fetched; a page past it fails with `past_max_pages`. @default 1000 */
  max_pages: int(1, 100_000).default(1000),
  /** Most records written; a page past it fails with `past_max_records`. @default 1000000 */
  max_records: int(1, 100_000_000).default(1_000_000),
  /** `page`/`offset` sources: pages in flight at once (lanes). @default 4 */
  fan_out: int(1, 64).default(4),
  /** Per-request timeout, ms. @default 30000 */
  timeout_ms: int(100, 600_000).default(30_000),
  /**
   * A declared stop condition beyond an empty or short page: a CEL expression over the fetched
   * page, `{response, records, page, status, headers}` (see {@link stopContext}); when it holds,
   * the page's records are written and nothing follows it (a cursor/link chain ends; a
   * `page`/`offset` lane ends).
   */
  stop_when: z
    .string({ error: 'expected a CEL expression' })
    .min(1, { error: 'expected a CEL expression' })
    .max(2000, { error: 'expected a CEL expression of at most 2000 characters' })
    .optional(),
});

/** A source definition as given (defaults not applied). */
export type IngestionDefinitionInput = z.input<typeof IngestionDefinitionSchema>;
/** A parsed source definition (defaults applied). */
export type IngestionDefinition = z.output<typeof IngestionDefinitionSchema>;

/**
 * Parses a source definition.
 * @param root the field path prefix in errors (`""` for a request body, `target.source.definition`)
 * @throws ValidationError naming the first bad field (`records_path`, `pagination.cursor_path`, …)
 */
export function parseIngestionDefinition(raw: unknown, root = ''): IngestionDefinition {
  const res = IngestionDefinitionSchema.safeParse(raw);
  if (res.success) return checkFormat(res.data, root);
  const issue = res.error.issues[0];
  const path = [...(issue?.path ?? [])];
  if (issue?.code === 'unrecognized_keys') path.push(issue.keys[0] ?? '');
  const dotted = path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
  const field = [root, dotted].filter((s) => s !== '').join('.') || root || 'body';
  const message = issue?.code === 'unrecognized_keys' ? 'is not a known field' : (issue?.message ?? 'invalid');
  throw new ValidationError(`${field}: ${message}`, { field });
}

/** The rules between fields: a JSON source names its records path; a file is one page. */
function checkFormat(def: IngestionDefinition, root: string): IngestionDefinition {
  const at = (f: string) => [root, f].filter((x) => x !== '').join('.');
  if (def.format === 'json' && def.records_path === undefined) {
    throw new ValidationError(`${at('records_path')}: expected a JSON path such as "data.items" or "$"`, { field: at('records_path') });
  }
  if (def.format !== 'json' && def.pagination.type !== 'none') {
    throw new ValidationError(`${at('pagination.type')}: a ${def.format} file at a URL is one page; expected "none"`, { field: at('pagination.type') });
  }
  if (def.format !== 'json' && def.records_path !== undefined) {
    throw new ValidationError(`${at('records_path')}: a ${def.format} file is the records themselves; leave records_path out`, { field: at('records_path') });
  }
  if (def.stop_when !== undefined) {
    try {
      compile(def.stop_when);
    } catch (err) {
      throw new ValidationError(`${at('stop_when')}: ${err instanceof ExpressionError ? err.reason : String(err)}`, { field: at('stop_when') });
    }
  }
  return def;
}

/** Segments of a JSON path, or undefined when it is not one. */
export function parsePath(path: string): (string | number)[] | undefined {
  let p = path.trim();
  if (p === '' || p === '$') return [];
  if (p.startsWith('$.')) p = p.slice(2);
  else if (p.startsWith('$[')) p = p.slice(1);
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|(\.)/gy;
  let m: RegExpExecArray | null;
  let expectName = true;
  while ((m = re.exec(p)) !== null) {
    if (m[1] !== undefined) {
      if (!expectName) return undefined;
      out.push(m[1]);
      expectName = false;
    } else if (m[2] !== undefined) {
      out.push(Number(m[2]));
      expectName = false;
    } else {
      if (expectName) return undefined;
      expectName = true;
    }
    if (re.lastIndex === p.length) break;
  }
  return re.lastIndex === p.length && !expectName ? out : undefined;
}

/** The value at a JSON path in `body`, or undefined when a step is missing. */
export function atPath(body: unknown, path: string): unknown {
  let v: unknown = body;
  for (const seg of parsePath(path) ?? []) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** The URL of `rel="next"` in an RFC 8288 `Link` header (resolved against `base`), or null. */
export function nextLink(header: string | null | undefined, base: string): string | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/s.exec(part);
    if (!m) continue;
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(m[2] ?? '');
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next')) {
      try {
        return new URL(m[1] ?? '', base).href;
      } catch {
        return null;
      }
    }
  }
  return null;
}

/**
 * What one page item carries (its inputs): the definition's request part and where this page is.
 * `page` is 1-based in the run; `cursor` (cursor sources) and `url` (link sources, pages after
 * the first) say where to fetch; `records_before` is how many records pages before this one
 * held (cursor/link: exact; page/offset: `(page - 1) × page_size`); `recent` the cursors or URLs
 * of the last pages of a cursor/link chain (loop detection).
 */
export interface PageInputs {
  source: Omit<IngestionDefinition, 'name' | 'table_id'>;
  page: number;
  cursor: string | null;
  url: string | null;
  records_before: number;
  recent: string[];
  /**
   * A dry run (1) or a smoke test (its size): the most pages the run plans; a page that would
   * follow past it is not planned and the run says it stopped there. Absent or null: no limit.
   */
  page_limit?: number | null;
}

/** What a fetched page reports (its item outputs). */
export interface PageOutputs {
  page: number;
  /** The URL fetched (secrets redacted by the executor). */
  url: string;
  status: number;
  /** The records at the path (cut to `max_records`); the rows sink writes those with a usable key. */
  records: unknown[];
  /** Records at the path (before dropping those without a key). */
  record_count: number;
  /** Records without a usable key field (a string or finite number): counted, not written (the sink skips them too). */
  missing_key: number;
  /** Where the next page is (cursor/link), or null at the end. */
  next: string | null;
  /** Whether the page was full (`record_count >= page_size`): page/offset sources go on. */
  full: boolean;
  /** The source's `stop_when` held on this page: nothing follows it. */
  stop_when?: boolean;
}

/**
 * The key of a record as the rows sink reads it: its field `keyField` when a non-empty string,
 * or a finite number as text; null when the record has none (it is counted, not written).
 */
export function recordKey(record: unknown, keyField: string): string | null {
  const k = typeof record === 'object' && record !== null && !Array.isArray(record) ? (record as Record<string, unknown>)[keyField] : undefined;
  if (typeof k === 'string' && k !== '') return k;
  if (typeof k === 'number' && Number.isFinite(k)) return String(k);
  return null;
}

/**
 * What a source's `stop_when` sees of a fetched page: `response` (the parsed JSON body; null for
 * an NDJSON/CSV file), `records` (the page's records), `page` (1-based), `status` (HTTP) and
 * `headers` (lower-case names).
 */
export function stopContext(page: {
  response: unknown;
  records: unknown[];
  page: number;
  status: number;
  headers: Record<string, string>;
}): Record<string, unknown> {
  return { response: page.response ?? null, records: page.records, page: page.page, status: page.status, headers: page.headers };
}

/** Items recorded in `recent` (loop detection window). */
export const RECENT_WINDOW = 16;

/** The last page a page/offset source plans: `min(max_pages, ceil(max_records / page_size))`. */
export function lastPlannedPage(def: Pick<IngestionDefinition, 'max_pages' | 'max_records' | 'page_size'>): number {
  return Math.min(def.max_pages, Math.ceil(def.max_records / def.page_size));
}

/** The request part of a definition, as a page item carries it. */
export function sourcePart(def: IngestionDefinition): PageInputs['source'] {
  const { name: _n, table_id: _t, ...rest } = def;
  return rest;
}
