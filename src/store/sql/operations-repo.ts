/** Tracked bulk operations (dialect-neutral SQL). */
import { isTerminalOperation, type OperationAction, type OperationStatus } from '../../core/operation.js';
import type { OperationPatch, OperationRecord, Page, RunFilter } from '../port.js';
import { cursorAfter, keysetPage, type SqlContext } from './context.js';
import type { OperationsTable } from './schema.js';

function toOperation(r: OperationsTable): OperationRecord {
  return {
    id: r.id,
    workspace_id: r.workspace_id,
    action: r.action as OperationAction,
    filter: JSON.parse(r.filter) as RunFilter,
    status: r.status as OperationStatus,
    total: Number(r.total),
    succeeded: Number(r.succeeded),
    failed: Number(r.failed),
    error: r.error,
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
    finished_at: r.finished_at === null ? null : Number(r.finished_at),
  };
}

export async function createOperation(ctx: SqlContext, op: OperationRecord): Promise<OperationRecord> {
  const row: OperationsTable = { ...op, filter: JSON.stringify(op.filter) };
  await ctx.tx((db) => db.insertInto('operations').values(row).execute());
  return toOperation(row);
}

export async function getOperation(ctx: SqlContext, ws: string, id: string): Promise<OperationRecord | undefined> {
  const r = await ctx.db.selectFrom('operations').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  return r && toOperation(r);
}

export async function listOperations(ctx: SqlContext, ws: string, opts: { limit: number; cursor?: string }): Promise<Page<OperationRecord>> {
  let q = ctx.db.selectFrom('operations').selectAll().where('workspace_id', '=', ws);
  const before = cursorAfter<string>(opts.cursor, 'string');
  if (before !== undefined) q = q.where('id', '<', before);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(opts.limit + 1)
    .execute();
  return keysetPage(rows, opts.limit, toOperation, (o) => o.id);
}

export async function updateOperationProgress(
  ctx: SqlContext,
  ws: string,
  id: string,
  patch: OperationPatch,
  now: number,
): Promise<OperationRecord | undefined> {
  const set: Partial<OperationsTable> = { updated_at: now };
  if (patch.total !== undefined) set.total = patch.total;
  if (patch.succeeded !== undefined) set.succeeded = patch.succeeded;
  if (patch.failed !== undefined) set.failed = patch.failed;
  if (patch.error !== undefined) set.error = patch.error;
  if (patch.status !== undefined) {
    set.status = patch.status;
    if (isTerminalOperation(patch.status)) set.finished_at = now;
  }
  const row = await ctx.tx((db) =>
    db.updateTable('operations').set(set).where('workspace_id', '=', ws).where('id', '=', id).where('status', '=', 'running').returningAll().executeTakeFirst(),
  );
  return row && toOperation(row);
}

export async function failStaleOperations(ctx: SqlContext, staleBefore: number, now: number): Promise<number> {
  const res = await ctx.tx((db) =>
    db
      .updateTable('operations')
      .set({ status: 'failed', error: 'interrupted: the node running this operation stopped before it finished', finished_at: now, updated_at: now })
      .where('status', '=', 'running')
      .where('updated_at', '<', staleBefore)
      .executeTakeFirst(),
  );
  return Number(res.numUpdatedRows);
}
