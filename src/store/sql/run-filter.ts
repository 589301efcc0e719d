/** The `RunFilter` as SQL conditions on `runs`, shared by counting, deleting and exporting. */
import { sql, type SelectQueryBuilder } from 'kysely';
import { RUN_STATUSES, isTerminalRun } from '../../core/status.js';
import type { RunFilter } from '../port.js';
import { escapeLike, type SqlContext } from './context.js';
import type { Database } from './schema.js';

/**
 * Terminal run statuses as literal SQL (`status IN ('succeeded', …)`), from the core's
 * `isTerminalRun` so the list cannot drift from the transition table.
 */
export const TERMINAL_RUN = sql<boolean>`status IN (${sql.join(RUN_STATUSES.filter(isTerminalRun).map((s) => sql.lit(s)))})`;

/**
 * Adds the filter's conditions (AND-ed) to a query over `runs`. The name is a case-insensitive
 * substring whose LIKE wildcards match literally. Mirrors the conditions of `listRuns`.
 */
export function whereRunFilter<O>(ctx: SqlContext, query: SelectQueryBuilder<Database, 'runs', O>, f: RunFilter): SelectQueryBuilder<Database, 'runs', O> {
  let q = query;
  if (f.status?.length) q = q.where('status', 'in', f.status);
  if (f.kind?.length) q = q.where('kind', 'in', f.kind);
  if (f.mode?.length) q = q.where('mode', 'in', f.mode);
  if (f.trigger?.length) q = q.where('trigger_type', 'in', f.trigger);
  if (f.target_id !== undefined) q = q.where('target_id', '=', f.target_id);
  if (f.created_after !== undefined) q = q.where('created_at', '>=', f.created_after);
  if (f.created_before !== undefined) q = q.where('created_at', '<', f.created_before);
  if (f.name !== undefined && f.name !== '') q = q.where(nameContains(ctx, f.name));
  return q;
}

/**
 * `name` contains `text`, case-insensitively, LIKE wildcards in `text` matched literally.
 * LIKE is case-insensitive for ASCII on SQLite; PostgreSQL needs ILIKE (its trigram index
 * `runs_name_trgm` serves it). Both honour ESCAPE.
 */
export function nameContains(ctx: SqlContext, text: string) {
  const op = sql.raw(ctx.dialect === 'postgres' ? 'ILIKE' : 'LIKE');
  return sql<boolean>`name ${op} ${`%${escapeLike(text)}%`} ESCAPE '\\'`;
}
