/**
 * Table file formats and how a file name names one. Pure, so the client CLI can guess a
 * file's format without loading the engine's parser.
 */

/** The input formats a table import understands. */
export type TableFormat = 'csv' | 'json' | 'ndjson';

/**
 * Guesses the format from a file name's extension (case-insensitive): `.csv` → `csv`,
 * `.json` → `json`, `.ndjson` and `.jsonl` → `ndjson`.
 *
 * @param filename a file name or path; only the part after the last dot is looked at.
 * @returns the format, or `undefined` when the extension is missing or unknown. Never throws.
 * @example detectFormat('countries.CSV') // 'csv'
 */
export function detectFormat(filename: string): TableFormat | undefined {
  const m = /\.([A-Za-z0-9]+)$/.exec(filename);
  switch (m?.[1]?.toLowerCase()) {
    case 'csv':
      return 'csv';
    case 'json':
      return 'json';
    case 'ndjson':
    case 'jsonl':
      return 'ndjson';
    default:
      return undefined;
  }
}
