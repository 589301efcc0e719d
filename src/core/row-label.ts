/**
 * How an item list or a run card labels a row by its record (issue 14): the value of the table's
 * chosen label field, else the row's first non-empty text field in the table's field order. On
 * one line (runs of white space become one space), at most {@link LABEL_MAX} characters (a cut
 * label ends with `…`). Pure.
 */
import type { TableRecord } from './model.js';

/** The longest label, in characters (code points). */
export const LABEL_MAX = 80;

/** `s` on one line, cut to {@link LABEL_MAX} characters; null when blank. */
function clean(s: string): string | null {
  const one = s.replace(/\s+/g, ' ').trim();
  if (one === '') return null;
  const chars = Array.from(one);
  return chars.length <= LABEL_MAX ? one : `${chars.slice(0, LABEL_MAX - 1).join('')}…`;
}

/** A label field's value as text: strings, numbers and booleans; null for anything else. */
function textOf(v: unknown): string | null {
  if (typeof v === 'string') return clean(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/**
 * The label of a row of `table` whose data is `data`: `table.label_column`'s value when it is
 * set and not blank, else the first field (table field order, then any other key of the row)
 * holding non-blank text; null when there is none.
 */
export function rowLabel(table: Pick<TableRecord, 'fields' | 'label_column'>, data: Record<string, unknown>): string | null {
  if (table.label_column !== null) {
    const chosen = textOf(data[table.label_column]);
    if (chosen !== null) return chosen;
  }
  const known = new Set(table.fields);
  for (const f of [...table.fields, ...Object.keys(data).filter((k) => !known.has(k))]) {
    const v = data[f];
    if (typeof v === 'string') {
      const label = clean(v);
      if (label !== null) return label;
    }
  }
  return null;
}
