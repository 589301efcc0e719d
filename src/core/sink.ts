/**
 * Sinks: where a kind's output lands. A built-in sink always replaces or skips, never appends
 * blindly, so an item executed twice (at-least-once) leaves one result.
 */
import type { RunSpec } from './model.js';
import { assertNever } from './status.js';

/**
 * - `cells`: a column run's items write the cell (`column_id`, row = the item key) of their
 *   outcome, replacing what the cell held.
 * - `rows`: each succeeded item's output object becomes the data of the row of table
 *   `table_id` keyed by the output's field `key` (a string or a finite number): the row with
 *   that key is replaced, or added after the table's last row when no row has it. A run writes
 *   one row per key however often an item of it (or of a rerun) executes. The output object is
 *   the item's `value` when it is a JSON object, else its `outputs`; an output without the key
 *   field writes nothing (an `item.sink_skipped` event says why). Failed items write nothing.
 * - `comments`: each succeeded item's output becomes a comment on the row of table `table_id`
 *   whose id is the item's key (the run's subject row), in output slot `slot` (the target and
 *   its output slot, e.g. `wkr_…:triage`): `replace` updates the slot's comment (or creates it),
 *   `once` keeps an existing one, `append` gives every item its own slot (`slot:<item id>`), so a
 *   new run adds a comment and an item executed twice still writes one. The body is the value
 *   when a string, its `body` field when an object has one, else its JSON.
 */
export type Sink =
  | { type: 'cells'; table_id: string; column_id: string }
  /**
   * With `records` (the name of an output field holding an array of objects), each succeeded
   * item writes many rows: every object of that array is upserted by its field `key`; a row
   * whose data is unchanged is left untouched. The item's counts (`created`, `updated`,
   * `unchanged`) are recorded as an `item.rows_written` event. Each written row names the run and
   * the item key that wrote it (its provenance).
   */
  | { type: 'rows'; table_id: string; key: string; records?: string }
  | { type: 'comments'; table_id: string; slot: string; policy: CommentPolicy };

/** How a comments sink treats the comment an earlier item wrote in the same slot. */
export type CommentPolicy = 'replace' | 'once' | 'append';

/** The run spec fields a sink is frozen into. */
type SinkSpec = Pick<RunSpec, 'table_id' | 'column_id' | 'row_key' | 'row_list' | 'comment_slot' | 'comment_policy'>;

/** The run spec fields a sink is frozen into (the store applies the spec's sink). */
export function sinkSpec(sink: Sink | null): SinkSpec {
  if (sink === null) return {};
  switch (sink.type) {
    case 'cells':
      return { table_id: sink.table_id, column_id: sink.column_id };
    case 'rows':
      return { table_id: sink.table_id, row_key: sink.key, ...(sink.records === undefined ? {} : { row_list: sink.records }) };
    case 'comments':
      return { table_id: sink.table_id, comment_slot: sink.slot, comment_policy: sink.policy };
    default:
      return assertNever(sink);
  }
}

/** The sink a run spec holds (the inverse of {@link sinkSpec}); null when it writes nowhere. */
export function sinkOf(spec: SinkSpec): Sink | null {
  if (!spec.table_id) return null;
  if (spec.column_id) return { type: 'cells', table_id: spec.table_id, column_id: spec.column_id };
  if (spec.row_key) return { type: 'rows', table_id: spec.table_id, key: spec.row_key, ...(spec.row_list === undefined ? {} : { records: spec.row_list }) };
  if (spec.comment_slot) return { type: 'comments', table_id: spec.table_id, slot: spec.comment_slot, policy: spec.comment_policy ?? 'replace' };
  return null;
}
