/**
 * Streamed table import: a CSV or NDJSON body read chunk by chunk, rows handed on in batches,
 * so an import of any size holds one batch of rows in memory (plus one chunk of text) and
 * yields to the event loop between batches. The rules are those of `parseTableData`
 * (table-import.ts): the same header and key checks, the same `import_failed` errors with
 * `details.field = 'data'` and a 1-based `line`; the body must be valid UTF-8 (the error names
 * the byte offset of the first bad byte, `details.offset`).
 *
 * JSON arrays are not streamed (a JSON document is parsed whole): use NDJSON for large files.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse as csvStream, CsvError } from 'csv-parse';
import { invalidUtf8OffsetOf } from '../core/utf8.js';
import { checkCsvHeader, checkObjectRow, DEFAULT_MAX_ROWS, describeCsvError, importError, isPlainObject, kindOf, parseJson } from './table-import.js';

/** Rows handed to `onBatch` at a time. */
export const IMPORT_BATCH_ROWS = 2000;

/** Streamable formats. */
export type StreamFormat = 'csv' | 'ndjson';

/**
 * Reads `body` as a table of `format`, calling `onBatch` with up to {@link IMPORT_BATCH_ROWS}
 * rows at a time, in input order; the next chunk is read only once `onBatch` has resolved.
 * @returns the field names (CSV header order, or the union of NDJSON keys in first-seen order)
 *   and the row count
 * @throws RunyardError `import_failed` (`details.line`, `details.index` or `details.offset`) on
 *   bad input; `onBatch` may have been called before the error: the caller discards those rows
 */
export async function streamTable(
  format: StreamFormat,
  body: AsyncIterable<Uint8Array>,
  onBatch: (rows: Record<string, unknown>[]) => Promise<void>,
  opts: { maxRows?: number } = {},
): Promise<{ fields: string[]; rows: number }> {
  const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
  const text = decodeUtf8(body);
  return format === 'csv' ? streamCsv(text, onBatch, maxRows) : streamNdjson(text, onBatch, maxRows);
}

/** UTF-8 text of a byte stream, a chunk at a time (a leading BOM dropped). @throws import_failed naming the byte offset */
async function* decodeUtf8(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  let carry: Buffer = Buffer.alloc(0);
  let consumed = 0;
  let first = true;
  for await (const chunk of body) {
    const buf = carry.length === 0 ? Buffer.from(chunk) : Buffer.concat([carry, chunk]);
    const cut = completeLength(buf);
    const bad = invalidUtf8OffsetOf(buf.subarray(0, cut));
    if (bad >= 0) throw utf8Error(consumed + bad);
    let start = 0;
    if (first && cut >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
    if (cut > 0) first = false;
    if (cut > start) yield buf.toString('utf8', start, cut);
    consumed += cut;
    carry = Buffer.from(buf.subarray(cut));
  }
  if (carry.length > 0) throw utf8Error(consumed);
}

function utf8Error(offset: number) {
  const e = importError(`data: not valid UTF-8 at byte offset ${offset}`);
  (e.details as Record<string, unknown>).offset = offset;
  return e;
}

/** Bytes of `b` up to the start of a trailing, still incomplete UTF-8 sequence. */
function completeLength(b: Buffer): number {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const c = b[b.length - back] as number;
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? b.length - back : b.length;
  }
  return b.length;
}

const breaks = (s: string): number => (s.match(/\r\n|\r|\n/g) ?? []).length;

async function streamCsv(text: AsyncIterable<string>, onBatch: (rows: Record<string, unknown>[]) => Promise<void>, maxRows: number) {
  let header: string[] | undefined;
  let headerLine = 1;
  let count = 0;
  let lastLine = 0;
  let batch: Record<string, unknown>[] = [];
  // The consumer's own error (a bad row), kept: pipeline may reject with the abort it causes.
  let failure: unknown;
  const parser = csvStream({ record_delimiter: ['\r\n', '\n', '\r'], skip_empty_lines: true, relax_column_count: true, info: true });
  try {
    await pipeline(Readable.from(text), parser, async (records: AsyncIterable<{ record: string[]; info: { lines: number } }>) => {
      try {
        for await (const { record, info } of records) {
          const line = info.lines - record.reduce((n, v) => n + breaks(v), 0);
          lastLine = info.lines;
          if (header === undefined) {
            headerLine = line;
            header = checkCsvHeader(record, line);
            continue;
          }
          if (record.length !== header.length) {
            throw importError(
              `data line ${line}: row has ${record.length} column${record.length === 1 ? '' : 's'} but the header (line ${headerLine}) has ${header.length}`,
              { line, index: count },
            );
          }
          if (count >= maxRows) throw importError(`data line ${line}: more than ${maxRows} rows (the limit is maxRows = ${maxRows})`, { line, index: count });
          const row: Record<string, unknown> = {};
          for (let i = 0; i < header.length; i++) row[header[i] as string] = record[i];
          batch.push(row);
          count++;
          if (batch.length >= IMPORT_BATCH_ROWS) {
            await onBatch(batch);
            batch = [];
          }
        }
      } catch (err) {
        failure = err;
        throw err;
      }
    });
  } catch (caught) {
    const err = failure ?? caught;
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines ?? lastLine + 1;
      throw importError(`data line ${line}: ${describeCsvError(err)}`, { line });
    }
    throw err;
  }
  if (header === undefined) throw importError('data: empty input');
  if (batch.length > 0) await onBatch(batch);
  return { fields: header, rows: count };
}

async function streamNdjson(text: AsyncIterable<string>, onBatch: (rows: Record<string, unknown>[]) => Promise<void>, maxRows: number) {
  const fields = new Set<string>();
  let count = 0;
  let lineNo = 0;
  let rest = '';
  let batch: Record<string, unknown>[] = [];
  const take = async (raw: string) => {
    lineNo++;
    const source = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (source.trim() === '') return;
    const where = `data line ${lineNo}`;
    if (count >= maxRows) throw importError(`${where}: more than ${maxRows} rows (the limit is maxRows = ${maxRows})`, { line: lineNo, index: count });
    const value = parseJson(source, where, lineNo - 1, count);
    if (!isPlainObject(value)) throw importError(`${where}: expected an object, got ${kindOf(value)}`, { line: lineNo, index: count });
    checkObjectRow(value, where, fields, { line: lineNo, index: count });
    batch.push(value);
    count++;
    if (batch.length >= IMPORT_BATCH_ROWS) {
      await onBatch(batch);
      batch = [];
    }
  };
  for await (const chunk of text) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) await take(l);
  }
  if (rest !== '') await take(rest);
  if (count === 0) throw importError('data: empty input');
  if (batch.length > 0) await onBatch(batch);
  return { fields: [...fields], rows: count };
}
