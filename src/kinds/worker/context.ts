/**
 * The context snapshot of a worker run (issue 14): what each context source held when the run
 * started, frozen in the run's spec so a later comparison can say what the model saw. Each
 * source is capped (`max_chars`); the snapshot keeps the text shown, its full size, a hash of
 * the full text and whether it was cut. Pure over the rows it is given.
 */
import { createHash } from 'node:crypto';
import type { RowRecord } from '../../core/model.js';
import type { ContextSource } from '../../core/worker.js';

/** One source as the run saw it. */
export interface SnapshotSource {
  name: string;
  type: ContextSource['type'];
  /** What it read: a table and its row(s) or filter. */
  ref: Record<string, unknown>;
  /** The subject row's version (a hash of its data) for `subject_record`, else null. */
  record_version: string | null;
  /** sha256 of the full text (before the cap), 16 hex digits. */
  hash: string;
  /** Characters of the full text. */
  chars: number;
  truncated: boolean;
  /** Rows it read (record sources), else null. */
  rows: number | null;
  /** The text shown to the model (at most `max_chars`). */
  content: string;
  /** Why it holds nothing (`table_missing`), else absent. */
  missing?: string;
}

/** The snapshot frozen on a run. */
export interface ContextSnapshot {
  sources: SnapshotSource[];
}

/** 16 hex digits of the sha256 of `text`. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function pick(data: Record<string, unknown>, fields: readonly string[] | undefined): Record<string, unknown> {
  if (!fields) return data;
  return Object.fromEntries(fields.filter((f) => Object.hasOwn(data, f)).map((f) => [f, data[f]]));
}

function entry(src: ContextSource, ref: Record<string, unknown>, full: string, extra: Partial<SnapshotSource> = {}): SnapshotSource {
  const cut = full.length > src.max_chars;
  return {
    name: src.name ?? src.type,
    type: src.type,
    ref,
    record_version: null,
    hash: shortHash(full),
    chars: full.length,
    truncated: cut,
    rows: null,
    content: cut ? full.slice(0, src.max_chars) : full,
    ...extra,
  };
}

const rowsText = (rows: RowRecord[], fields: readonly string[] | undefined) => JSON.stringify(rows.map((r) => ({ row_id: r.id, ...pick(r.data, fields) })));

/** What {@link snapshotSource} reads: the rows of a table, or undefined when it is gone. */
export type RowsOf = (tableId: string) => Promise<RowRecord[] | undefined>;

/** The snapshot of one source for subject row `subject` of table `tableId`. */
export async function snapshotSource(src: ContextSource, tableId: string, subject: RowRecord, rowsOf: RowsOf): Promise<SnapshotSource> {
  switch (src.type) {
    case 'subject_record': {
      const text = JSON.stringify(pick(subject.data, src.fields));
      return entry(src, { table_id: tableId, row_id: subject.id }, text, { record_version: shortHash(JSON.stringify(subject.data)), rows: 1 });
    }
    case 'static_text':
      return entry(src, {}, src.text);
    case 'related_records':
    case 'table_rows': {
      const ref: Record<string, unknown> = { table_id: src.table_id };
      const all = await rowsOf(src.table_id);
      if (!all) return { ...entry(src, ref, ''), rows: 0, missing: 'table_missing' };
      let hits: RowRecord[];
      if (src.type === 'related_records') {
        const want = subject.data[src.subject_field];
        ref.match = { [src.match_field]: want ?? null };
        hits = want === undefined ? [] : all.filter((r) => r.data[src.match_field] === want);
      } else {
        ref.filter = src.filter;
        hits = all.filter((r) => Object.entries(src.filter).every(([k, v]) => r.data[k] === v));
      }
      hits = hits.filter((r) => r.id !== subject.id).slice(0, src.max_rows);
      return entry(src, ref, rowsText(hits, src.fields), { rows: hits.length });
    }
  }
}

/** The context as the first message shows it: one section per source. */
export function contextText(snap: ContextSnapshot): string {
  return snap.sources
    .map(
      (s) =>
        `## ${s.name} (${s.type}${s.truncated ? `, cut at ${s.content.length} of ${s.chars} characters` : ''})\n${s.missing ? `(missing: ${s.missing})` : s.content}`,
    )
    .join('\n\n');
}
