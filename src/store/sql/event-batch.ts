/**
 * Batch events: the item transitions of one transaction that share a run and a type
 * (`item.started`, `item.succeeded`, …) are stored as one row, `items.started`,
 * `items.succeeded`, …, whose `data.items` lists one entry per item (`item_id` plus that item's
 * event data). One row per batch transition instead of one per item (issue 11, part 4).
 *
 * A batch row of n entries takes the n `seq` values up to its own: entry i (0-based) is
 * `seq - n + 1 + i`, and no other row has a `seq` in that range (the writer allocates it above
 * every `seq` given so far, in its single-writer transaction). Readers expand a batch row into
 * n per-item events with those sequence numbers, so every reader (timeline, live stream, an
 * item's attempts, the CLI, the console) sees exactly the per-item events it saw before, each
 * with its own `seq`, and `after=<seq>` cursors resume inside a batch.
 */
import type { EventRecord } from '../../core/model.js';
import type { NewEvent } from './events.js';

/** Item event types stored as batch rows (`item.x` is stored as `items.x`). */
export const BATCHED_TYPES: ReadonlySet<string> = new Set(['item.started', 'item.succeeded', 'item.failed', 'item.retrying', 'item.released']);

/** The batch row type of an item event type: `item.started` → `items.started`. */
const batchType = (type: string) => `items.${type.slice('item.'.length)}`;

/** One entry of a batch row's `data.items`. */
export type BatchEntry = { item_id: string } & Record<string, unknown>;

/** A row to append: a single event, or a batch of `span` item events (`data.items`). */
export interface GroupedEvent extends NewEvent {
  /** How many `seq` values the row takes: 1, or its number of entries. */
  span: number;
}

/**
 * Groups a transaction's events into rows: item events of a {@link BATCHED_TYPES} type that
 * share a run and a type become one batch row (at the place of the first of them) when there
 * are at least two; every other event stays one row. Order within a run and type is kept.
 */
export function groupEvents(events: NewEvent[]): GroupedEvent[] {
  const out: GroupedEvent[] = [];
  const batches = new Map<string, { row: GroupedEvent; entries: BatchEntry[] }>();
  for (const e of events) {
    if (e.item_id === null || !BATCHED_TYPES.has(e.type)) {
      out.push({ ...e, span: 1 });
      continue;
    }
    const key = `${e.run_id}\u0000${e.type}`;
    const entry: BatchEntry = { item_id: e.item_id, ...e.data };
    const b = batches.get(key);
    if (b) {
      b.entries.push(entry);
      continue;
    }
    const row: GroupedEvent = { ...e, span: 1 };
    batches.set(key, { row, entries: [entry] });
    out.push(row);
  }
  for (const { row, entries } of batches.values()) {
    if (entries.length < 2) continue;
    row.type = batchType(row.type);
    row.item_id = null;
    row.data = { items: entries };
    row.span = entries.length;
  }
  return out;
}

/** True when a stored row is a batch row. */
export function isBatchRow(type: string, data: Record<string, unknown>): boolean {
  return type.startsWith('items.') && Array.isArray(data.items);
}

/**
 * The per-item events of a stored row: itself when it is not a batch row, else one event per
 * entry (`item.x`, the entry's item, its data, `seq` as described above, id `<row id>.<i>`).
 */
export function expandEvent<E extends EventRecord & { seq: number }>(row: E): (EventRecord & { seq: number })[] {
  if (!isBatchRow(row.type, row.data)) return [row];
  const entries = row.data.items as BatchEntry[];
  const first = row.seq - entries.length + 1;
  const type = `item.${row.type.slice('items.'.length)}`;
  return entries.map(({ item_id, ...data }, i) => ({
    seq: first + i,
    id: `${row.id}.${i}`,
    workspace_id: row.workspace_id,
    run_id: row.run_id,
    item_id,
    type,
    data,
    created_at: row.created_at,
  }));
}

/** Stored rows → per-item events with `seq > afterSeq`, oldest first, at most `limit`. */
export function expandEvents(rows: (EventRecord & { seq: number })[], afterSeq: number, limit: number): (EventRecord & { seq: number })[] {
  const out: (EventRecord & { seq: number })[] = [];
  for (const r of rows) {
    for (const e of expandEvent(r)) {
      if (e.seq <= afterSeq) continue;
      if (out.length >= limit) return out;
      out.push(e);
    }
  }
  return out;
}
