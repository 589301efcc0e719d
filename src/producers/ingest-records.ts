/**
 * The records of a file at a URL (an ingestion source with `format: "ndjson"` or `"csv"`,
 * core/ingestion.ts), parsed from the response text. Pure.
 *
 * - `ndjson`: one JSON object a line; blank lines are skipped. A line that is no JSON object
 *   fails the page with `not_ndjson` naming the line.
 * - `csv`: RFC 4180 by csv-parse; the first row names the fields, each further row is a record
 *   of text values (a UTF-8 BOM is dropped). Malformed CSV (an unclosed quote, a row with
 *   another number of fields) fails the page with `not_csv` naming the line.
 */
import { CsvError, parse as parseCsv } from 'csv-parse/sync';
import { PermanentError } from '../core/errors.js';
import { head } from './config.js';

/**
 * The records in `text`, a `format` file.
 * @throws PermanentError `not_ndjson` / `not_csv` (its `detail.line` the 1-based line)
 */
export function fileRecords(format: 'ndjson' | 'csv', text: string): Record<string, unknown>[] {
  return format === 'ndjson' ? ndjson(text) : csv(text);
}

function ndjson(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      v = undefined;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new PermanentError('not_ndjson', `line ${i + 1} is not a JSON object: ${head(line, 200)}`, { line: i + 1 });
    }
    out.push(v as Record<string, unknown>);
  }
  return out;
}

function csv(text: string): Record<string, unknown>[] {
  try {
    return parseCsv(text, { columns: true, bom: true, skip_empty_lines: true, trim: false }) as Record<string, unknown>[];
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines;
      throw new PermanentError('not_csv', `not CSV${line === undefined ? '' : ` at line ${line}`}: ${err.message}`, line === undefined ? {} : { line });
    }
    throw err;
  }
}
