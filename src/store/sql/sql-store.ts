/**
 * The dialect-neutral implementation of the {@link Store} port over Kysely. Adapters supply
 * the {@link SqlContext} (connection, dialect, transaction runner) and migrations.
 */
import type {
  Store,
  NodeRecord,
  NewRun,
  StartOnCreate,
  NewTable,
  RunFilter,
  Completion,
  OperationPatch,
  OperationRecord,
  LeaseSweep,
  ClaimOptions,
} from '../port.js';
import type { ColumnRecord, ItemRecord, RunRecord } from '../../core/model.js';
import type { ItemStatus } from '../../core/status.js';
import type { SqlContext } from './context.js';
import * as tables from './tables-repo.js';
import * as runs from './runs-repo.js';
import * as leasing from './leasing.js';
import { completeItems } from './completion.js';
import * as control from './control-repo.js';
import * as respond from './respond.js';
import type { FollowUp } from '../../core/kind.js';
import * as credits from './credits-repo.js';
import type { LedgerKind, PriceSource, PriceTable } from '../../core/credits.js';
import { toNode } from './mapping.js';
import * as retention from './retention-repo.js';
import * as operations from './operations-repo.js';
import * as insight from './insight-repo.js';
import * as prices from './prices-repo.js';
import { claimSecretKeyFingerprint } from './settings-repo.js';
import { sqlAccessStore } from './access-repo.js';
import type { AccessStore } from '../access-port.js';
import { sqlIngestionStore } from './ingestions-repo.js';
import type { IngestionStore } from '../ingestion-port.js';
import type { CommentStore } from '../comments-port.js';
import { sqlCommentStore } from './comments-repo.js';
import type { ItemView } from '../../core/kind.js';
import type { AnswerMeta, FlowStore } from '../flows-port.js';
import { sqlFlowStore } from './flows-repo.js';
import type { TriggerStore } from '../trigger-port.js';
import { sqlTriggerStore } from './triggers-repo.js';
import type { WorkerStore } from '../workers-port.js';
import { sqlWorkerStore } from './workers-repo.js';

export abstract class SqlStore implements Store {
  abstract readonly dialect: 'sqlite' | 'postgres';
  protected abstract readonly ctx: SqlContext;
  abstract migrate(): Promise<void>;
  abstract close(): Promise<void>;
  #access: AccessStore | undefined;
  #ingestions: IngestionStore | undefined;
  #triggers: TriggerStore | undefined;

  /** Ingestion sources and run totals (ingestions-repo.ts). */
  get ingestions(): IngestionStore {
    return (this.#ingestions ??= sqlIngestionStore(this.ctx));
  }

  #flows: FlowStore | undefined;
  /** Flow definitions and waits (flows-repo.ts). */
  get flows(): FlowStore {
    return (this.#flows ??= sqlFlowStore(this.ctx));
  }
  /** Workspaces, tokens, audit and credentials (access-repo.ts). */
  get access(): AccessStore {
    return (this.#access ??= sqlAccessStore(this.ctx));
  }

  #comments: CommentStore | undefined;

  /** Comments on table rows (comments-repo.ts). */
  get comments(): CommentStore {
    return (this.#comments ??= sqlCommentStore(this.ctx));
  }

  #workers: WorkerStore | undefined;
  /** AI worker definitions, held runs and worker row writes (workers-repo.ts). */
  get workers(): WorkerStore {
    return (this.#workers ??= sqlWorkerStore(this.ctx));
  }

  /** Events, rules, schedules, fires and webhooks (triggers-repo.ts). */
  get triggers(): TriggerStore {
    return (this.#triggers ??= sqlTriggerStore(this.ctx));
  }

  /** This process's clock; adapters of a database on another machine override it. */
  async databaseTime(): Promise<number> {
    return Date.now();
  }

  createTable(ws: string, t: NewTable, now: number) {
    return tables.createTable(this.ctx, ws, t, now);
  }
  beginTableImport(ws: string, t: { id: string; name: string }, now: number) {
    return tables.beginTableImport(this.ctx, ws, t, now);
  }
  appendTableRows(ws: string, tableId: string, firstOrdinal: number, rows: NewTable['rows']) {
    return tables.appendTableRows(this.ctx, ws, tableId, firstOrdinal, rows);
  }
  finishTableImport(ws: string, tableId: string, fields: string[], rowCount: number) {
    return tables.finishTableImport(this.ctx, ws, tableId, fields, rowCount);
  }
  discardTableImports(sel: { ws: string; tableId: string } | { before: number }) {
    return tables.discardTableImports(this.ctx, sel);
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
  setTableLabelColumn(ws: string, tableId: string, column: string | null) {
    return tables.setTableLabelColumn(this.ctx, ws, tableId, column);
  }
  rowLabels(ws: string, tableId: string, rowIds: readonly string[]) {
    return tables.rowLabels(this.ctx, ws, tableId, rowIds);
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

  createRun(ws: string, input: NewRun, now: number, start?: StartOnCreate) {
    return runs.createRun(this.ctx, ws, input, now, start);
  }
  getRun(ws: string, id: string) {
    return runs.getRun(this.ctx, ws, id);
  }
  getRunSecrets(ws: string, id: string) {
    return runs.getRunSecrets(this.ctx, ws, id);
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
  listEvents(ws: string, runId: string | null, afterSeq: number, limit: number) {
    return runs.listEvents(this.ctx, ws, runId, afterSeq, limit);
  }
  latestEventSeq(ws: string) {
    return insight.latestEventSeq(this.ctx, ws);
  }
  listItemEvents(ws: string, runId: string, itemId: string, limit: number) {
    return insight.listItemEvents(this.ctx, ws, runId, itemId, limit);
  }
  itemTimings(ws: string, runId: string, limit: number) {
    return insight.itemTimings(this.ctx, ws, runId, limit);
  }
  itemSlice(ws: string, runId: string, status: ItemStatus[] | undefined, offset: number, limit: number) {
    return insight.itemSlice(this.ctx, ws, runId, status, offset, limit);
  }

  startQueuedRuns(nodeId: string, now: number, limit: number) {
    return leasing.startQueuedRuns(this.ctx, nodeId, now, limit);
  }
  claimItems(nodeId: string, now: number, leaseMs: number, limit: number, opts?: ClaimOptions) {
    return leasing.claimItems(this.ctx, nodeId, now, leaseMs, limit, opts);
  }
  heartbeatItems(leases: { item_id: string; lease_token: string }[], now: number, leaseMs: number) {
    return leasing.heartbeatItems(this.ctx, leases, now, leaseMs);
  }
  completeItems(completions: Completion[], now: number) {
    return completeItems(this.ctx, completions, now);
  }
  completeAndClaim(completions: Completion[], now: number, claim: { nodeId: string; leaseMs: number; limit: number } & ClaimOptions) {
    return leasing.completeAndClaim(this.ctx, completions, now, claim);
  }
  recoverExpiredLeases(now: number, limit: number, sweep?: LeaseSweep) {
    return leasing.recoverExpiredLeases(this.ctx, now, limit, sweep);
  }

  pauseRun(ws: string, runId: string, reason: 'user' | 'budget', now: number) {
    return control.pauseRun(this.ctx, ws, runId, reason, now);
  }
  resumeRun(ws: string, runId: string, now: number) {
    return control.resumeRun(this.ctx, ws, runId, now);
  }
  cancelRun(ws: string, runId: string, now: number) {
    return control.cancelRun(this.ctx, ws, runId, now);
  }
  respondToItem(
    ws: string,
    runId: string,
    itemId: string,
    answer: Record<string, unknown>,
    now: number,
    followUp?: (run: RunRecord, item: ItemRecord, items: readonly ItemView[]) => FollowUp,
    meta?: AnswerMeta,
  ) {
    return respond.respondToItem(this.ctx, ws, runId, itemId, answer, now, followUp, meta);
  }
  retryFailedItems(ws: string, runId: string, now: number) {
    return control.retryFailedItems(this.ctx, ws, runId, now);
  }
  earliestDue(ws: string, runIds: string[]) {
    return control.earliestDue(this.ctx, ws, runIds);
  }
  inFlightByNode() {
    return control.inFlightByNode(this.ctx);
  }

  getBalance(ws: string) {
    return credits.getBalance(this.ctx, ws);
  }
  postCredit(ws: string, kind: 'grant' | 'adjust', amount: number, reason: string | null, key: string, now: number) {
    return credits.postCredit(this.ctx, ws, kind, amount, reason, key, now);
  }
  listLedger(ws: string, f: { run_id?: string; kind?: LedgerKind[] }, opts: { limit: number; cursor?: string }) {
    return credits.listLedger(this.ctx, ws, f, opts);
  }
  replayLedger(ws: string) {
    return credits.replayLedger(this.ctx, ws);
  }
  usageSince(ws: string, since: number) {
    return credits.usageSince(this.ctx, ws, since);
  }
  providerSummary(ws: string, runId: string, producer: string) {
    return credits.providerSummary(this.ctx, ws, runId, producer);
  }

  currentPrices(ws: string) {
    return prices.currentPrices(this.ctx, ws);
  }
  getPriceVersion(ws: string, version: number) {
    return prices.getPriceVersion(this.ctx, ws, version);
  }
  putPrices(ws: string, table: PriceTable, source: PriceSource, now: number) {
    return prices.putPrices(this.ctx, ws, table, source, now);
  }
  claimSecretKeyFingerprint(fingerprint: string, now: number) {
    return claimSecretKeyFingerprint(this.ctx, fingerprint, now);
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
  async expireNodeLeases(nodeId: string, now: number): Promise<number> {
    const res = await this.ctx.tx((db) =>
      db
        .updateTable('items')
        .set({ lease_expires_at: now - 1 })
        .where('lease_owner', '=', nodeId)
        .where('status', '=', 'running')
        .executeTakeFirst(),
    );
    return Number(res.numUpdatedRows);
  }
  async stopNode(nodeId: string, now: number): Promise<void> {
    await this.ctx.tx((db) => db.updateTable('nodes').set({ stopped_at: now }).where('id', '=', nodeId).execute());
  }

  deleteRun(ws: string, runId: string) {
    return retention.deleteRun(this.ctx, ws, runId);
  }
  countRuns(ws: string, f: RunFilter) {
    return retention.countRuns(this.ctx, ws, f);
  }
  deleteRuns(ws: string, f: RunFilter, limit: number) {
    return retention.deleteRuns(this.ctx, ws, f, limit);
  }
  purgeTerminalRuns(cutoff: number, limit: number) {
    return retention.purgeTerminalRuns(this.ctx, cutoff, limit);
  }
  setPinned(ws: string, runId: string, pinned: boolean, now: number) {
    return retention.setPinned(this.ctx, ws, runId, pinned, now);
  }
  streamItems(ws: string, runId: string, batch: number) {
    return retention.streamItems(this.ctx, ws, runId, batch);
  }
  streamRuns(ws: string, f: RunFilter, batch: number) {
    return retention.streamRuns(this.ctx, ws, f, batch);
  }
  createOperation(op: OperationRecord) {
    return operations.createOperation(this.ctx, op);
  }
  getOperation(ws: string, id: string) {
    return operations.getOperation(this.ctx, ws, id);
  }
  listOperations(ws: string, opts: { limit: number; cursor?: string }) {
    return operations.listOperations(this.ctx, ws, opts);
  }
  updateOperationProgress(ws: string, id: string, patch: OperationPatch, now: number) {
    return operations.updateOperationProgress(this.ctx, ws, id, patch, now);
  }
  failStaleOperations(staleBefore: number, now: number) {
    return operations.failStaleOperations(this.ctx, staleBefore, now);
  }
}
