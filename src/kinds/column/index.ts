/**
 * The column kind: a table column's producer applied to every row of its table. One item per
 * row (key = row id), each item's inputs the column's config rendered against its row when the
 * run is created; outcomes land in the column's cells; nothing is planned after the start.
 */
import { RunyardError, NotFoundError, ValidationError } from '../../core/errors.js';
import type { FollowUp, KindReader, ResolvedTarget, RunKindModule, StartPlan, TargetRef } from '../../core/kind.js';
import type { RunRecord } from '../../core/model.js';
import { renderDeep } from '../../core/template.js';

/** A column target: `{type: 'column', table_id, column}` (column id or name). */
export interface ColumnRef {
  table_id: string;
  column: string;
}

function field(raw: TargetRef, name: string, what: string): string {
  const v = raw[name];
  if (v === undefined) throw new ValidationError(`target.${name}: required for a column target${what}`, { field: `target.${name}` });
  if (typeof v !== 'string' || v === '') throw new ValidationError(`target.${name}: expected a non-empty string`, { field: `target.${name}` });
  return v;
}

const COLUMN_FIELDS: ReadonlySet<string> = new Set(['type', 'table_id', 'column']);

/** The column kind module. */
export const columnKind: RunKindModule<ColumnRef> = {
  kind: 'column',
  outcome: 'items',

  parseTarget(raw) {
    for (const k of Object.keys(raw)) {
      if (!COLUMN_FIELDS.has(k)) throw new ValidationError(`target.${k}: not a field of a column target (type, table_id, column)`, { field: `target.${k}` });
    }
    return { table_id: field(raw, 'table_id', ''), column: field(raw, 'column', ' (id or name)') };
  },

  async resolve(ref, io: KindReader): Promise<ResolvedTarget> {
    const table = await io.table(ref.table_id);
    if (!table) throw new NotFoundError('table', ref.table_id);
    const column = await io.column(ref.table_id, ref.column);
    if (!column) throw new NotFoundError('column', ref.column);
    return {
      kind: 'column',
      target_id: column.id,
      target_version: column.version,
      default_name: `${table.name} · ${column.name}`,
      profile: column.profile,
      producer: column.producer,
      config: column.config,
      sink: { type: 'cells', table_id: table.id, column_id: column.id },
    };
  },

  async start(target, io): Promise<StartPlan> {
    if (target.sink?.type !== 'cells') throw new RunyardError('internal', 'a column target writes cells');
    const rows = await io.rows(target.sink.table_id);
    const items = rows.map((row) => {
      try {
        return { key: row.id, inputs: renderDeep(target.config, row.data, 'config') as Record<string, unknown> };
      } catch (err) {
        if (err instanceof RunyardError) {
          throw new RunyardError('template_error', `row ${row.id} (#${row.ordinal + 1}): ${err.message}`, { ...err.details, row_id: row.id });
        }
        throw err;
      }
    });
    return { items };
  },

  next(): FollowUp {
    return { append: [] };
  },

  replay(_run, items): StartPlan {
    // Every row's item as the run froze it: same keys, same rendered inputs.
    return { items: items.map((i) => ({ key: i.key, inputs: i.inputs })) };
  },

  currentTarget(run: RunRecord): TargetRef | undefined {
    const { table_id, column_id } = run.spec;
    return table_id && column_id ? { type: 'column', table_id, column: column_id } : undefined;
  },
};
