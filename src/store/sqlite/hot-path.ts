/**
 * SQLite's {@link HotPath}: one prepared statement per shape, run once per row inside the
 * caller's `BEGIN IMMEDIATE` transaction (same connection). better-sqlite3 runs each
 * synchronously, so there is no query building, no parameter list parsing and no large SQL text
 * per batch.
 */
import type Database from 'better-sqlite3';
import type { CompletedItem, EventRow, HotPath, LeaseSet, OutcomeRow } from '../sql/hot-path.js';
import type { CellsTable, ItemsTable } from '../sql/schema.js';

export function sqliteHotPath(raw: Database.Database): HotPath {
  let lease: Database.Statement | undefined;
  let complete: Database.Statement | undefined;
  let event: Database.Statement | undefined;
  let batch: Database.Statement | undefined;
  let cell: Database.Statement | undefined;
  return {
    batchEvents: true,
    // `_db` (the Kysely transaction) runs on this same connection: the statements below join it.
    leaseItems(_db, ids: string[], l: LeaseSet): ItemsTable[] {
      lease ??= raw.prepare(
        `UPDATE items SET status = 'running', lease_token = @token, lease_owner = @owner, lease_expires_at = @expires,
           attempt_count = attempt_count + 1, started_at = @now, next_attempt_at = NULL
         WHERE id = @id AND status IN ('pending', 'retrying')
         RETURNING *`,
      );
      const out: ItemsTable[] = [];
      const params = { token: l.token, owner: l.owner, expires: l.expires, now: l.now, id: '' };
      for (const id of ids) {
        params.id = id;
        const row = lease.get(params) as ItemsTable | undefined;
        if (row) out.push(row);
      }
      return out;
    },
    completeItems(_db, rows: OutcomeRow[]): CompletedItem[] {
      complete ??= raw.prepare(
        `UPDATE items SET
           status = @status,
           outputs = @outputs,
           error = CASE WHEN @status = 'pending' THEN error ELSE @error END,
           usage = @usage,
           provider = @provider,
           credits_used = @credits_used,
           finished_at = @finished_at,
           duration_ms = COALESCE(@duration_ms, duration_ms),
           next_attempt_at = @next_attempt_at,
           attempt_count = attempt_count + @attempt_delta,
           lease_token = NULL,
           lease_owner = NULL,
           lease_expires_at = NULL
         WHERE id = @id AND lease_token = @token AND status = 'running'
         RETURNING id, run_id, workspace_id, key, attempt_count`,
      );
      const out: CompletedItem[] = [];
      for (const r of rows) {
        const row = complete.get(r) as CompletedItem | undefined;
        if (row) out.push(row);
      }
      return out;
    },
    insertEvents(_db, rows: EventRow[]): void {
      event ??= raw.prepare(
        'INSERT INTO events (id, workspace_id, run_id, item_id, type, data, created_at) VALUES (@id, @workspace_id, @run_id, @item_id, @type, @data, @created_at)',
      );
      // Above every seq ever given (AUTOINCREMENT keeps the largest in sqlite_sequence, also
      // after the newest rows were deleted), in this single-writer transaction.
      batch ??= raw.prepare(
        `INSERT INTO events (seq, id, workspace_id, run_id, item_id, type, data, created_at)
         VALUES (max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0), coalesce((SELECT max(seq) FROM events), 0)) + @span,
           @id, @workspace_id, @run_id, @item_id, @type, @data, @created_at)`,
      );
      for (const r of rows) {
        if (r.span > 1) batch.run(r);
        else event.run({ id: r.id, workspace_id: r.workspace_id, run_id: r.run_id, item_id: r.item_id, type: r.type, data: r.data, created_at: r.created_at });
      }
    },
    upsertCells(_db, rows: CellsTable[]): void {
      cell ??= raw.prepare(
        `INSERT INTO cells (workspace_id, table_id, row_id, column_id, status, value, error, run_id, item_id, attempt, updated_at)
         VALUES (@workspace_id, @table_id, @row_id, @column_id, @status, @value, @error, @run_id, @item_id, @attempt, @updated_at)
         ON CONFLICT (column_id, row_id) DO UPDATE SET
           status = excluded.status, value = excluded.value, error = excluded.error, run_id = excluded.run_id,
           item_id = excluded.item_id, attempt = excluded.attempt, updated_at = excluded.updated_at`,
      );
      for (const r of rows) cell.run(r);
    },
  };
}
