/**
 * Sinks: where a kind's output lands. A built-in sink always replaces or skips, never appends
 * blindly, so an item executed twice (at-least-once) leaves one result.
 */
import type { RunSpec } from './model.js';
import { assertNever } from './status.js';

/**
 * - `cells`: a column run's items write the cell (`column_id`, row = the item key) of their
 *   outcome, replacing what the cell held.
 */
export type Sink = { type: 'cells'; table_id: string; column_id: string };

/** The run spec fields a sink is frozen into (the store applies the spec's sink). */
export function sinkSpec(sink: Sink | null): Pick<RunSpec, 'table_id' | 'column_id'> {
  if (sink === null) return {};
  switch (sink.type) {
    case 'cells':
      return { table_id: sink.table_id, column_id: sink.column_id };
    default:
      return assertNever(sink.type);
  }
}
