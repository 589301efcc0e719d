/**
 * Streaming exports: a run with its items, or a list of runs, as JSON, NDJSON or CSV, encoded
 * page by page as the client reads, so a run of a million items never sits in memory.
 *
 * The stream pulls one page of records (one keyset query) per chunk it hands out; a slow
 * reader therefore slows the queries down instead of filling a buffer (backpressure), and
 * every page first yields to the event loop, so a fast reader cannot starve the process.
 */
import { stringify } from 'csv-stringify/sync';

/** Export formats. */
export const ExportFormat = { json: 'json', ndjson: 'ndjson', csv: 'csv' } as const;
export type ExportFormat = (typeof ExportFormat)[keyof typeof ExportFormat];
export const EXPORT_FORMATS = Object.values(ExportFormat) as readonly ExportFormat[];

/** The `Content-Type` of each format. */
export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/** A CSV column: its header and how to read its cell from a record. */
export interface CsvColumn<T> {
  header: string;
  value: (record: T) => string | number | boolean | null;
}

/** What to export. */
export interface ExportSpec<T> {
  format: ExportFormat;
  /**
   * The document's head: JSON `{"<key>": value, "<listKey>": [...]}`; NDJSON writes `value`
   * as the first line; CSV leaves it out (one row per record).
   */
  head?: { key: string; value: unknown };
  /** Name of the JSON array holding the records, e.g. `items`. */
  listKey: string;
  /** The records, a page at a time (each page is one chunk of the output). */
  pages: AsyncIterable<T[]>;
  /** CSV columns, in order (the header row is written first). */
  csvColumns: readonly CsvColumn<T>[];
  /** Called when reading a page fails mid-stream; the stream is then errored (a truncated download, never a file that looks complete). */
  onError?: (err: unknown) => void;
}

/*
 * OWASP CSV injection guidance (reliability.md S8): a cell a spreadsheet would read as a
 * formula starts with `=`, `+`, `-`, `@`, a tab, a carriage return or NUL — or with one of
 * `=+-@` after leading spaces, or their full-width forms that Apple Numbers normalises.
 * csv-stringify's own `escape_formulas` misses NUL and the leading-space case, so the rule lives
 * here, in one place, and the library does the RFC 4180 quoting.
 */
const FORMULA_START = /^(?:[\t\r\0]|\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/;

/** A string cell made inert for spreadsheets: prefixed with `'` when it could start a formula. */
export function neutraliseCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** CSV text of rows (CRLF line ends, RFC 4180 quoting, every string cell neutralised). */
export function csvRows(rows: (string | number | boolean | null)[][]): string {
  return stringify(rows, {
    record_delimiter: 'windows',
    cast: { string: neutraliseCell, boolean: (b) => (b ? 'true' : 'false') },
  });
}

const encoder = new TextEncoder();

/** The chunk of one page of records in `format`; `first` says whether it is the first page. */
function encodePage<T>(spec: ExportSpec<T>, page: T[], first: boolean): string {
  switch (spec.format) {
    case 'json':
      return (first ? '' : ',') + page.map((r) => JSON.stringify(r)).join(',');
    case 'ndjson':
      return page.map((r) => `${JSON.stringify(r)}\n`).join('');
    case 'csv':
      return csvRows(page.map((r) => spec.csvColumns.map((c) => c.value(r))));
    default: {
      const never: never = spec.format;
      throw new Error(`unexpected format ${String(never)}`);
    }
  }
}

function opening<T>(spec: ExportSpec<T>): string {
  switch (spec.format) {
    case 'json':
      return `{${spec.head ? `${JSON.stringify(spec.head.key)}:${JSON.stringify(spec.head.value)},` : ''}${JSON.stringify(spec.listKey)}:[`;
    case 'ndjson':
      return spec.head ? `${JSON.stringify(spec.head.value)}\n` : '';
    case 'csv':
      return csvRows([spec.csvColumns.map((c) => c.header)]);
    default: {
      const never: never = spec.format;
      throw new Error(`unexpected format ${String(never)}`);
    }
  }
}

/**
 * The export as a byte stream that reads one page per pull.
 * @example
 * const body = exportStream({ format: 'ndjson', listKey: 'items', pages: store.streamItems(ws, id, 1000), csvColumns: [] });
 */
export function exportStream<T>(spec: ExportSpec<T>): ReadableStream<Uint8Array> {
  const pages = spec.pages[Symbol.asyncIterator]();
  let first = true;
  let opened = false;
  return new ReadableStream<Uint8Array>(
    {
      // Every pull enqueues one chunk or closes the stream: a pull that enqueued nothing
      // would leave the reader's pending read unanswered.
      async pull(controller) {
        try {
          if (!opened) {
            opened = true;
            const head = opening(spec);
            if (head !== '') return controller.enqueue(encoder.encode(head));
          }
          for (;;) {
            // Yield to the event loop before every page. A socket that accepts each chunk at
            // once completes the write in a nextTick, so without this the whole export runs
            // as one chain of microtasks: timers (lease heartbeats) and other requests starve.
            await new Promise((resolve) => setImmediate(resolve));
            const next = await pages.next();
            if (next.done) {
              if (spec.format === 'json') controller.enqueue(encoder.encode(']}\n'));
              return controller.close();
            }
            if (next.value.length === 0) continue;
            controller.enqueue(encoder.encode(encodePage(spec, next.value, first)));
            first = false;
            return;
          }
        } catch (err) {
          spec.onError?.(err);
          controller.error(err);
        }
      },
      async cancel() {
        await pages.return?.();
      },
    },
    { highWaterMark: 1 },
  );
}

const WINDOWS_RESERVED = /^(?:con|prn|aux|nul|com\d|lpt\d)$/i;

/**
 * A safe download file name: only `A-Z a-z 0-9 . _ -`, no leading or trailing dots, no
 * Windows device names, at most 100 characters before the extension.
 * @example attachmentFilename('run_01jd', 'csv') // 'run_01jd.csv'
 */
export function attachmentFilename(base: string, format: ExportFormat): string {
  let name = base
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+|[._]+$/g, '')
    .slice(0, 100);
  if (name === '') name = 'export';
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  return `${name}.${format}`;
}
