/**
 * The dialect-neutral implementation of the {@link Store} port over Kysely. Adapters supply
 * the {@link SqlContext} (connection, dialect, transaction runner) and migrations.
 */
import type { Store, NodeRecord, NewRun, NewTable, RunFilter, Completion } from '../port.js';
import type { ColumnRecord } from '../../core/model.js';
import type { ItemStatus } from '../../core/status.js';
import type { SqlContext } from './context.js';
import * as tables from './tables-repo.js';
import * as runs from './runs-repo.js';
import * as leasing from './leasing.js';
import { completeItems } from './completion.js';
import { toNode } from './mapping.js';

export abstract class SqlStore implements Store {
  abstract readonly dialect: 'sqlite' | 'postgres';
  protected abstract readonly ctx: SqlContext;
  abstract migrate(): Promise<void>;
  abstract close(): Promise<void>;

  /** This process's clock; adapters of a database on another machine override it. */
  async databaseTime(): Promise<number> {
    return Date.now();
  }

  createTable(ws: string, t: NewTable, now: number) {
    return tables.createTable(this.ctx, ws, t, now);
  }
  getTable(ws: string, id: string) {
    return tables.getTable(this.ctx, ws, id);
  }
  listTables(ws: string) {
    return tables.listTables(this.ctx, ws);
  }
  listRows(ws: string, tableId: string, opts: { limit: number; cursor?: string }) {
    return tables.listRows(this.ctx, ws, tableId, opts);
  }
  allRows(ws: string, tableId: string) {
    return tables.allRows(this.ctx, ws, tableId);
  }
  getRow(ws: string, tableId: string, rowId: string) {
    return tables.getRow(this.ctx, ws, tableId, rowId);
  }
  createColumn(ws: string, c: ColumnRecord) {
    return tables.createColumn(this.ctx, ws, c);
  }
  getColumn(ws: string, tableId: string, idOrName: string) {
    return tables.getColumn(this.ctx, ws, tableId, idOrName);
  }
  listColumns(ws: string, tableId: string) {
    return tables.listColumns(this.ctx, ws, tableId);
  }
  getCell(ws: string, tableId: string, rowId: string, columnId: string) {
    return tables.getCell(this.ctx, ws, tableId, rowId, columnId);
  }

  createRun(ws: string, input: NewRun, now: number) {
    return runs.createRun(this.ctx, ws, input, now);
  }
  getRun(ws: string, id: string) {
    return runs.getRun(this.ctx, ws, id);
  }
  findRunByIdempotencyKey(ws: string, key: string) {
    return runs.findRunByIdempotencyKey(this.ctx, ws, key);
  }
  listRuns(ws: string, f: RunFilter, opts: { limit: number; cursor?: string }) {
    return runs.listRuns(this.ctx, ws, f, opts);
  }
  listItems(ws: string, runId: string, f: { status?: ItemStatus[] }, opts: { limit: number; cursor?: string }) {
    return runs.listItems(this.ctx, ws, runId, f, opts);
  }
  getItem(ws: string, id: string) {
    return runs.getItem(this.ctx, ws, id);
  }
  listEvents(ws: string, runId: string, afterSeq: number, limit: number) {
    return runs.listEvents(this.ctx, ws, runId, afterSeq, limit);
  }

  startQueuedRuns(nodeId: string, now: number, limit: number) {
    return leasing.startQueuedRuns(this.ctx, nodeId, now, limit);
  }
  claimItems(nodeId: string, now: number, leaseMs: number, limit: number) {
    return leasing.claimItems(this.ctx, nodeId, now, leaseMs, limit);
  }
  heartbeatItems(leases: { item_id: string; lease_token: string }[], now: number, leaseMs: number) {
    return leasing.heartbeatItems(this.ctx, leases, now, leaseMs);
  }
  completeItems(completions: Completion[], now: number) {
    return completeItems(this.ctx, completions, now);
  }
  recoverExpiredLeases(now: number, limit: number) {
    return leasing.recoverExpiredLeases(this.ctx, now, limit);
  }

  async upsertNode(n: NodeRecord): Promise<void> {
    const row = { ...n, workspace_id: 'wsp_default', roles: JSON.stringify(n.roles) };
    await this.ctx.tx((db) =>
      db
        .insertInto('nodes')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: n.heartbeat_at, capacity: n.capacity, stopped_at: n.stopped_at }))
        .execute(),
    );
  }
  async listNodes(): Promise<NodeRecord[]> {
    const rows = await this.ctx.db.selectFrom('nodes').selectAll().orderBy('started_at', 'desc').execute();
    return rows.map(toNode);
  }
  async stopNode(nodeId: string, now: number): Promise<void> {
    await this.ctx.tx((db) => db.updateTable('nodes').set({ stopped_at: now }).where('id', '=', nodeId).execute());
  }
}
