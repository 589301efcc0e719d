/**
 * Settling items that reached a terminal status: the one place that captures and releases an
 * item's reservation (with its idempotency keys), writes its output (the run's sink, frozen in
 * its spec: the cells of a column run, or rows upserted by key; a dry run writes none), and
 * records the item's events and the run count deltas, for every path that ends an item (a
 * completion, lease recovery, an answer).
 *
 * Everything is written in the caller's transaction, in the one lock order of every writer:
 * cells, events, run rows (in id order), then the workspace account. A rows sink locks the run
 * rows (in id order) before its tables' rows, as appenders do (PostgreSQL).
 */
import type { ItemError } from '../../core/errors.js';
import type { RunRecord, RunSpec } from '../../core/model.js';
import type { Db, SqlContext } from './context.js';
import { appendEvents, type NewEvent } from './events.js';
import { postEntries, type NewEntry } from './ledger.js';
import { applyDeltasAndFinish, RunDeltas } from './run-finish.js';
import { cellRow, upsertCells } from './cells.js';
import { sinkRow, sinkRows, upsertRows, type RowCounts, type SinkRow } from './rows-sink.js';
import { reserveAppended } from './append.js';
import { commentWrite, writeComments, type CommentWrite } from './comments-sink.js';
import type { CellsTable } from './schema.js';

/** An item that reached `succeeded` or `failed` in this transaction. */
export interface TerminalItem {
  workspace_id: string;
  run_id: string;
  item_id: string;
  /** The item key (a column run's row id). */
  key: string;
  /** The attempt that ended it (`attempt_count`). */
  attempt: number;
  status: 'succeeded' | 'failed';
  /** The value a sink writes (succeeded), else null. */
  value: unknown;
  /** The item's outputs (succeeded; a rows sink writes them when `value` is no object), else null. */
  outputs: Record<string, unknown> | null;
  error: ItemError | null;
  /** µ the attempt reports it cost; captured up to the run's per-item bound (0 when failed). */
  credits_used: number;
}

/**
 * Collects one transaction's item transitions, events and terminal items, then writes them in
 * order with {@link Settlement.write}. Events keep the order they were added in.
 */
export class Settlement {
  /** Count deltas of every item transition of the transaction (callers add theirs). */
  readonly deltas = new RunDeltas();
  /** Events of the transaction, in timeline order (callers add theirs). */
  readonly events: NewEvent[] = [];
  private readonly terminal: TerminalItem[] = [];
  private readonly appendedByRun = new Map<string, number>();
  private runsLocked = false;

  /** Records `count` items appended to a run: their bounds are reserved at {@link write}. */
  appended(runId: string, count: number): void {
    this.appendedByRun.set(runId, (this.appendedByRun.get(runId) ?? 0) + count);
  }

  /** Records an item that ended: its reservation is settled and its output written at {@link write}. */
  settle(item: TerminalItem): void {
    this.terminal.push(item);
  }

  /**
   * Writes the sinks' rows, the events, the run deltas (finishing runs with nothing left), the
   * reservations of appended items and the ledger entries: capture what each succeeded item cost (`capture:<item>`, at most once
   * per item) and release the rest of its bound (`release:<item>:a<attempt>`).
   * @returns the runs finished by this write
   */
  /**
   * PostgreSQL: locks this write's run rows, in id order, before a sink writes table or comment
   * rows (appenders lock run rows first too: one lock order, no deadlock). Once per write.
   */
  private async lockRuns(ctx: SqlContext, db: Db): Promise<void> {
    if (ctx.dialect !== 'postgres' || this.runsLocked) return;
    this.runsLocked = true;
    const runIds = this.deltas.entries().map(([id]) => id);
    await db.selectFrom('runs').select('id').where('id', 'in', runIds).orderBy('id').forNoKeyUpdate().execute();
  }

  async write(ctx: SqlContext, db: Db, now: number): Promise<RunRecord[]> {
    const ledger: NewEntry[] = [];
    const cells: CellsTable[] = [];
    const rows: SinkRow[] = [];
    // Items of many-rows sinks: their counts become an `item.rows_written` event.
    const counted = new Map<string, { ids: { workspace_id: string; run_id: string; item_id: string }; key: string; no_key: number }>();
    const comments: CommentWrite[] = [];
    if (this.terminal.length > 0) {
      const runIds = [...new Set(this.terminal.map((t) => t.run_id))];
      const runs = await settledRuns(db, runIds);
      for (const t of this.terminal) {
        const u = runs.get(t.run_id)?.bound ?? 0;
        const used = t.status === 'succeeded' ? Math.max(0, Math.min(t.credits_used, u)) : 0;
        const ids = { workspace_id: t.workspace_id, run_id: t.run_id, item_id: t.item_id };
        ledger.push({ ...ids, kind: 'capture', amount: used, idempotency_key: `capture:${t.item_id}` });
        ledger.push({ ...ids, kind: 'release', amount: u - used, idempotency_key: `release:${t.item_id}:a${t.attempt}` });
        this.deltas.addCredits(t.run_id, used, u - used);
        const target = { workspace_id: t.workspace_id, row_id: t.key, run_id: t.run_id, item_id: t.item_id, attempt: t.attempt };
        const spec = runs.get(t.run_id)?.spec;
        const cell = cellRow(spec, target, t.status, t.value, t.error, now);
        if (cell) cells.push(cell);
        const many = t.status === 'succeeded' ? sinkRows(spec, { ...ids, item_key: t.key }, t.outputs) : undefined;
        if (many) {
          rows.push(...many.rows);
          counted.set(t.item_id, { ids, key: t.key, no_key: many.no_key });
          continue;
        }
        const row = t.status === 'succeeded' ? sinkRow(spec, ids, t.value, t.outputs) : undefined;
        if (row && 'reason' in row) this.events.push({ ...ids, type: 'item.sink_skipped', data: { sink: 'rows', ...row } });
        else if (row) rows.push(row);
        const comment = t.status === 'succeeded' ? commentWrite(spec, { ...ids, key: t.key }, t.value) : undefined;
        if (comment && 'skip' in comment) this.events.push({ ...ids, type: 'item.sink_skipped', data: { sink: 'comments', reason: comment.skip } });
        else if (comment) comments.push(comment);
      }
    }
    await upsertCells(ctx, db, cells);
    if (rows.length > 0) {
      await this.lockRuns(ctx, db);
      const counts = new Map<string, RowCounts>();
      const missing = await upsertRows(ctx, db, rows, counted.size > 0 ? counts : undefined);
      const missingItems = new Set<string>();
      for (const r of missing) {
        if (counted.has(r.item_id)) {
          if (missingItems.has(r.item_id)) continue;
          missingItems.add(r.item_id);
        }
        const data = { sink: 'rows', reason: 'table_missing', table_id: r.table_id, key: r.key };
        this.events.push({ workspace_id: r.workspace_id, run_id: r.run_id, item_id: r.item_id, type: 'item.sink_skipped', data });
      }
      for (const [itemId, c] of counted) {
        const n = counts.get(itemId) ?? { created: 0, updated: 0, unchanged: 0 };
        this.events.push({ ...c.ids, type: 'item.rows_written', data: { key: c.key, ...n, no_key: c.no_key } });
      }
    } else {
      for (const [, c] of counted)
        this.events.push({ ...c.ids, type: 'item.rows_written', data: { key: c.key, created: 0, updated: 0, unchanged: 0, no_key: c.no_key } });
    }
    if (comments.length > 0) {
      await this.lockRuns(ctx, db);
      this.events.push(...(await writeComments(ctx, db, comments, now)));
    }
    await appendEvents(ctx, db, this.events, now);
    // Run rows before the workspace account, in every transaction (one lock order).
    const finished = await applyDeltasAndFinish(ctx, db, this.deltas, now);
    await reserveAppended(ctx, db, this.appendedByRun, now);
    await postEntries(ctx, db, ledger, now);
    return finished;
  }
}

/**
 * What settling needs of each run, in one read: its per-item cost bound (µ) and, for a run
 * that writes cells, its spec (a dry run writes no cells: no side effects).
 */
async function settledRuns(db: Db, runIds: string[]): Promise<Map<string, { bound: number; spec: RunSpec | undefined }>> {
  const rows = await db.selectFrom('runs').select(['id', 'item_cost_bound', 'spec', 'mode']).where('id', 'in', runIds).execute();
  return new Map(rows.map((r) => [r.id, { bound: Number(r.item_cost_bound), spec: r.mode === 'dry_run' ? undefined : (JSON.parse(r.spec) as RunSpec) }]));
}
