/**
 * Rendering: `--json` prints the API's JSON unchanged (one line per value); otherwise
 * cli-table3 tables. Server-provided strings are stripped of control characters and escape
 * sequences in table output (terminal injection); colors only on a TTY without NO_COLOR.
 */
import Table from 'cli-table3';

/** Whether stdout gets ANSI colors: a TTY and no `NO_COLOR`. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return !process.env.NO_COLOR && stream.isTTY === true;
}

/** Writes one line to stdout. */
export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a value as one line of JSON to stdout (the `--json` output). */
export function printJson(value: unknown): void {
  print(JSON.stringify(value));
}

/* eslint-disable no-control-regex -- these patterns exist to remove control characters */
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]/g;
const WHITESPACE_CONTROLS = /[\t\n\r\v\f]+/g;
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

/** Removes escape sequences and control characters (line breaks become spaces). */
export function clean(value: string): string {
  return value.replace(ESCAPES, '').replace(WHITESPACE_CONTROLS, ' ').replace(CONTROLS, '');
}

/** Shortens to `max` characters with an ellipsis. */
export function truncate(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/** Any value as a short cleaned string: strings as they are, the rest as JSON; null as `-`. */
export function text(value: unknown, max = 80): string {
  if (value === null || value === undefined || value === '') return '-';
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return truncate(clean(s), max);
}

const COLORS: Record<string, number> = { succeeded: 32, partial: 33, failed: 31, canceled: 90, running: 36, retrying: 33, queued: 34, pending: 34 };

/** A status, colored when colors are on. */
export function status(value: string): string {
  const s = clean(value);
  const c = COLORS[s];
  return c !== undefined && useColor() ? `\x1b[${c}m${s}\x1b[39m` : s;
}

/** A table with a header row; every cell is already a display string. */
export function table(head: string[], rows: string[][]): string {
  const color = useColor();
  const t = new Table({ head, style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] } });
  t.push(...rows);
  return t.toString();
}

/** A two-column key/value table. */
export function details(pairs: [string, string][]): string {
  const color = useColor();
  const keyWidth = Math.max(0, ...pairs.map(([k]) => k.length)) + 2;
  const columns = process.stdout.isTTY ? process.stdout.columns : 0;
  // On a terminal, wrap long values to its width; in a pipe, keep one line per value.
  const wrap = columns > keyWidth + 30 ? { colWidths: [keyWidth, columns - keyWidth - 3], wordWrap: true, wrapOnWordBoundary: false } : {};
  const t = new Table({ style: { head: [], border: color ? ['grey'] : [] }, ...wrap });
  for (const [k, v] of pairs) t.push({ [color ? `\x1b[1m${k}\x1b[22m` : k]: v });
  return t.toString();
}

/** An ISO time as `YYYY-MM-DD HH:MM:SS` UTC; null as `-`. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '-';
  return clean(iso)
    .replace('T', ' ')
    .replace(/\.\d+Z$|Z$/, '');
}

/** Milliseconds as `850ms`, `12.3s`, `4m 05s`, `2h 03m`; null as `-`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The hint printed under a page that has more. */
export function nextPage(cursor: string | null): void {
  if (cursor) print(`more: --cursor ${clean(cursor)}`);
}
