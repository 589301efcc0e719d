/**
 * Table import: turns the text of an uploaded CSV, JSON or NDJSON file into a list of field
 * names and row objects, ready to become the items of a column run.
 *
 * Pure and atomic: {@link parseTableData} does no I/O and either returns the whole table or
 * throws a {@link RunyardError} with code `import_failed`; it never returns a partial table.
 * Every error's `details` is `{ field: 'data', line?: number, index?: number }` where `line` is
 * a 1-based physical line of the input text and `index` a 0-based row index.
 */
import { parse as parseCsv, CsvError } from 'csv-parse/sync';
import { RunyardError, ValidationError } from '../core/errors.js';
import type { TableFormat } from '../core/table-format.js';

export { detectFormat, type TableFormat } from '../core/table-format.js';

/** Options for {@link parseTableData}. */
export interface TableImportOptions {
  /** Most data rows accepted (the CSV header row does not count). Default {@link DEFAULT_MAX_ROWS}. */
  maxRows?: number;
}

/** A parsed table: field names in first-seen order, and one object per data row. */
export interface TableData {
  /** Field (column) names: CSV header order, or the union of JSON/NDJSON keys in first-seen order. */
  fields: string[];
  /**
   * One object per data row, in input order. CSV values are strings (never converted); JSON and
   * NDJSON values are whatever the document holds. A JSON/NDJSON row holds only its own keys,
   * so it may lack some of `fields`.
   */
  rows: Record<string, unknown>[];
}

/** Default for {@link TableImportOptions.maxRows}: one million data rows. */
export const DEFAULT_MAX_ROWS = 1_000_000;
/** Longest accepted field name, in UTF-16 code units (JavaScript string length). */
export const MAX_FIELD_NAME_LENGTH = 200;
/** Most distinct field names accepted in one table. */
export const MAX_FIELDS = 1000;
/** Deepest nesting of a JSON or NDJSON value (a row object is level 1). Deeper documents are refused with `import_failed` (422). */
export const MAX_DEPTH = 64;
/** Keys refused anywhere in the data because they could pollute object prototypes downstream. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parses a whole table.
 *
 * - `csv`: RFC 4180 with a required header row. A UTF-8 BOM is stripped; CRLF, LF and CR line
 *   ends (also mixed); quoted fields may hold delimiters, line breaks and doubled quotes; nothing
 *   is trimmed; empty lines are skipped; values stay strings. A header row alone gives `rows: []`.
 * - `json`: one array of plain objects; `fields` is the union of their keys in first-seen order.
 * - `ndjson`: one JSON object per non-empty line (LF or CRLF), optional leading BOM.
 *
 * Field names must be non-empty (not only whitespace), at most {@link MAX_FIELD_NAME_LENGTH}
 * characters, at most {@link MAX_FIELDS} of them, and none of {@link FORBIDDEN_KEYS}; for JSON
 * and NDJSON the forbidden keys are refused at any nesting depth. Keys are checked before any
 * row object is built, so the returned rows are ordinary objects that cannot carry a polluting key.
 *
 * @param format the input format (see `detectFormat` in core/table-format.ts).
 * @param text the whole file as a string (already decoded from UTF-8).
 * @param opts `maxRows`: most data rows accepted, a non-negative integer (default 1,000,000).
 * @returns `{ fields, rows }` (see {@link TableData}).
 * @throws RunyardError `import_failed` with `details.field = 'data'` when the text is empty or
 *   only whitespace (`data: empty input`), malformed, has a row whose column count differs from
 *   the header (`details.line`), a duplicate, empty, too long or forbidden field name, a JSON
 *   element that is not an object (`details.index`), a bad NDJSON line (`details.line`), or more
 *   than `maxRows` rows; `details.field = 'format'` for an unknown format.
 * @throws ValidationError (`validation_failed`, `details.field = 'maxRows'`) for a bad `maxRows`.
 */
export function parseTableData(format: TableFormat, text: string, opts: TableImportOptions = {}): TableData {
  const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
  if (!Number.isSafeInteger(maxRows) || maxRows < 0) {
    throw new ValidationError(`maxRows must be a non-negative integer, got ${String(maxRows)}`, { field: 'maxRows' });
  }
  if (typeof text !== 'string') throw importError('data: expected text');
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw importError('data: empty input');
  switch (format) {
    case 'csv':
      return parseCsvTable(body, maxRows);
    case 'json':
      return parseJsonTable(body, maxRows);
    case 'ndjson':
      return parseNdjsonTable(body, maxRows);
    default:
      throw new RunyardError('import_failed', `format: unsupported format ${JSON.stringify(format)}; expected csv, json or ndjson`, {
        field: 'format',
      });
  }
}

// ---------------------------------------------------------------------------------------------

export interface Where {
  line?: number;
  index?: number;
}

export function importError(message: string, where: Where = {}): RunyardError {
  const details: Record<string, unknown> = { field: 'data' };
  if (where.line !== undefined) details.line = where.line;
  if (where.index !== undefined) details.index = where.index;
  return new RunyardError('import_failed', message, details);
}

/** Why `name` is not an acceptable field name, or undefined when it is. */
function fieldNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'is empty';
  if (name.length > MAX_FIELD_NAME_LENGTH) return `is longer than ${MAX_FIELD_NAME_LENGTH} characters`;
  if (FORBIDDEN_KEYS.has(name)) return 'is not allowed (it could pollute object prototypes)';
  // eslint-disable-next-line no-control-regex
  const ctl = /[\u0000-\u001f\u007f-\u009f]/.exec(name);
  if (ctl) return `contains the control character U+${ctl[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} at character ${ctl.index + 1}`;
  return undefined;
}

const quote = (s: string): string => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);

// ------------------------------------------------------------------------------------- CSV

const CR = 0x0d;
const LF = 0x0a;

/**
 * 1-based line on which the record that follows byte `offset` starts: skips the line breaks
 * (record delimiter, empty lines) right after `offset`, then counts the breaks before that point
 * (CRLF counts once).
 */
function lineAfter(buf: Buffer, offset: number): number {
  let start = offset;
  while (start < buf.length && (buf[start] === CR || buf[start] === LF)) start++;
  let line = 1;
  for (let i = 0; i < start; i++) {
    const b = buf[i];
    if (b === LF) line++;
    else if (b === CR) {
      line++;
      if (buf[i + 1] === LF) i++;
    }
  }
  return line;
}

function parseCsvTable(text: string, maxRows: number): TableData {
  const buf = Buffer.from(text, 'utf8');
  let header: string[] | undefined;
  let headerLine = 1;
  const rows: Record<string, unknown>[] = [];
  // Byte offset where the previous record ended; the next record starts after the line breaks there.
  let prevEnd = 0;

  const onRecord = (record: string[], info: { bytes: number }): null => {
    const start = prevEnd;
    prevEnd = info.bytes;
    if (header === undefined) {
      headerLine = lineAfter(buf, start);
      header = checkCsvHeader(record, headerLine);
      return null;
    }
    if (record.length !== header.length) {
      const line = lineAfter(buf, start);
      throw importError(
        `data line ${line}: row has ${record.length} column${record.length === 1 ? '' : 's'} but the header (line ${headerLine}) has ${header.length}`,
        { line, index: rows.length },
      );
    }
    if (rows.length >= maxRows) {
      const line = lineAfter(buf, start);
      throw importError(`data line ${line}: more than ${maxRows} rows (the limit is maxRows = ${maxRows})`, { line, index: rows.length });
    }
    const row: Record<string, unknown> = {};
    for (let i = 0; i < header.length; i++) row[header[i] as string] = record[i];
    rows.push(row);
    return null;
  };

  try {
    parseCsv(buf, {
      record_delimiter: ['\r\n', '\n', '\r'],
      skip_empty_lines: true,
      relax_column_count: true, // checked in onRecord, with our own line number
      on_record: onRecord,
    });
  } catch (err) {
    if (err instanceof RunyardError) throw err;
    if (err instanceof CsvError) {
      const line = lineAfter(buf, prevEnd);
      throw importError(`data line ${line}: ${describeCsvError(err)}`, { line });
    }
    throw err;
  }
  if (header === undefined) throw importError('data: empty input');
  return { fields: header, rows };
}

export function describeCsvError(err: CsvError): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field starting in this row is never closed';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'unexpected character after a closing quote (a quote inside a quoted field must be doubled: "")';
    case 'INVALID_OPENING_QUOTE':
      return 'a quote appears inside an unquoted field (quote the whole field and double inner quotes)';
    case 'CSV_MAX_RECORD_SIZE':
      return 'row is too large';
    default:
      return `invalid CSV (${err.code}): ${err.message}`;
  }
}

export function checkCsvHeader(record: string[], line: number): string[] {
  if (record.length > MAX_FIELDS) {
    throw importError(`data line ${line}: header has ${record.length} columns; at most ${MAX_FIELDS} are allowed`, { line });
  }
  const seen = new Set<string>();
  const dups = new Set<string>();
  record.forEach((name, i) => {
    const problem = fieldNameProblem(name);
    if (problem) throw importError(`data line ${line}: header column ${i + 1} ${name.trim() === '' ? '' : `${quote(name)} `}${problem}`, { line });
    if (seen.has(name)) dups.add(name);
    seen.add(name);
  });
  if (dups.size > 0) {
    throw importError(`data line ${line}: duplicate header name${dups.size === 1 ? '' : 's'} ${[...dups].map(quote).join(', ')}`, { line });
  }
  return record;
}

// ------------------------------------------------------------------------------ JSON, NDJSON

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

export const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * JSON.parse with a message that names a line and column instead of a character position.
 * `lineOffset` is the number of input lines before `source` (NDJSON); `where` prefixes the message.
 */
export function parseJson(source: string, where: string, lineOffset: number, index?: number): unknown {
  try {
    return JSON.parse(source) as unknown;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const pos = /at position (\d+)/.exec(message);
    const reason = message.replace(/\s*in JSON at position \d+.*$/s, '').replace(/^SyntaxError: /, '');
    let line = lineOffset + 1;
    let detail = '';
    if (pos?.[1] !== undefined) {
      const before = source.slice(0, Number(pos[1]));
      const lastBreak = before.lastIndexOf('\n');
      line = lineOffset + before.split('\n').length;
      const column = before.length - lastBreak;
      detail = lineOffset === 0 && where === 'data' ? ` (line ${line}, column ${column})` : ` (column ${column})`;
    }
    const w: Where = { line };
    if (index !== undefined) w.index = index;
    throw importError(`${where}: invalid JSON${detail}: ${reason}`, w);
  }
}

/**
 * Checks one row object: its own keys are acceptable field names (added to `fields`), and no
 * forbidden key hides in nested values. `where` prefixes messages (`data[3]`, `data line 4`).
 */
export function checkObjectRow(row: Record<string, unknown>, where: string, fields: Set<string>, w: Where): void {
  for (const key of Object.keys(row)) {
    const problem = fieldNameProblem(key);
    if (problem) throw importError(`${where}: key ${quote(key)} ${problem}`, w);
    if (!fields.has(key)) {
      if (fields.size >= MAX_FIELDS) throw importError(`${where}: more than ${MAX_FIELDS} distinct fields`, w);
      fields.add(key);
    }
  }
  // Nested values: iterative walk, so deeply nested documents cannot overflow the stack here;
  // the depth cap keeps every later recursive step (storage, templates, export) safe too.
  const stack: { value: unknown; path: string; depth: number }[] = Object.keys(row).map((k) => ({ value: row[k], path: `${where}.${k}`, depth: 2 }));
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, path, depth } = next;
    if (typeof value === 'object' && value !== null && depth > MAX_DEPTH) {
      throw importError(`${where}: nested more than ${MAX_DEPTH} levels deep (at ${path.length > 80 ? `${path.slice(0, 80)}…` : path})`, w);
    }
    if (Array.isArray(value)) value.forEach((v, i) => stack.push({ value: v, path: `${path}[${i}]`, depth: depth + 1 }));
    else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        if (FORBIDDEN_KEYS.has(k)) throw importError(`${path}: key ${quote(k)} is not allowed (it could pollute object prototypes)`, w);
        stack.push({ value: v, path: `${path}.${k}`, depth: depth + 1 });
      }
    }
  }
}

function parseJsonTable(text: string, maxRows: number): TableData {
  const doc = parseJson(text, 'data', 0);
  if (!Array.isArray(doc)) throw importError(`data: expected an array of objects, got ${kindOf(doc)}`);
  if (doc.length > maxRows) throw importError(`data: ${doc.length} rows is more than ${maxRows} (the limit is maxRows = ${maxRows})`);
  const fields = new Set<string>();
  doc.forEach((el: unknown, index) => {
    if (!isPlainObject(el)) throw importError(`data[${index}]: expected an object, got ${kindOf(el)}`, { index });
    checkObjectRow(el, `data[${index}]`, fields, { index });
  });
  return { fields: [...fields], rows: doc as Record<string, unknown>[] };
}

function parseNdjsonTable(text: string, maxRows: number): TableData {
  const lines = text.split('\n');
  const fields = new Set<string>();
  const rows: Record<string, unknown>[] = [];
  lines.forEach((raw, i) => {
    const source = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (source.trim() === '') return;
    const line = i + 1;
    const index = rows.length;
    const where = `data line ${line}`;
    if (index >= maxRows) throw importError(`${where}: more than ${maxRows} rows (the limit is maxRows = ${maxRows})`, { line, index });
    const value = parseJson(source, where, i, index);
    if (!isPlainObject(value)) throw importError(`${where}: expected an object, got ${kindOf(value)}`, { line, index });
    checkObjectRow(value, where, fields, { line, index });
    rows.push(value);
  });
  if (rows.length === 0) throw importError('data: empty input');
  return { fields: [...fields], rows };
}
