/**
 * PostgreSQL's {@link HotPath}: each per-item write of a batch (leases, outcomes, events, cells)
 * is ONE statement, its rows passed as a few arrays (`unnest($1::text[], $2::bigint[], …)`).
 * The SQL text is fixed: no query building and no parameter list that grows with the batch
 * (the Kysely forms send 12 parameters per outcome, chunked). Statements are not named
 * (prepared once per connection) so that a transaction-mode pooler still works. Each runs on the caller's transaction (`db`) and has exactly the effect, including
 * every fence, of the Kysely form it replaces (lease.ts, completion.ts, events.ts, cells.ts).
 */
import { CompiledQuery } from 'kysely';
import type { Db } from '../sql/context.js';
import { OUTCOME_SET_FROM_V, OUTCOME_WHERE_V, type CompletedItem, type EventRow, type HotPath, type LeaseSet, type OutcomeRow } from '../sql/hot-path.js';
import type { CellsTable, ItemsTable } from '../sql/schema.js';

/** Leases the listed items still `pending` or `retrying` (the claim locked them already). */
const LEASE = `UPDATE items SET status = 'running', lease_token = $1, lease_owner = $2, lease_expires_at = $3,
  attempt_count = attempt_count + 1, started_at = $4, next_attempt_at = NULL
WHERE id = ANY($5::text[]) AND status IN ('pending', 'retrying')
RETURNING id, workspace_id, run_id, ordinal, key, status, attempt_count, max_attempts, lease_lost_count, next_attempt_at,
  inputs, outputs, error, provider, usage, credits_used, lease_token, lease_owner, lease_expires_at, started_at,
  finished_at, duration_ms, producer, cost_bound, waiting`;

/** Outcomes, each row fenced by its own lease token; a released item keeps its last error. */
const COMPLETE = `UPDATE items SET
  ${OUTCOME_SET_FROM_V}
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
  $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::int[])
  AS v(id, token, status, outputs, error, usage, provider, credits_used, finished_at, duration_ms, next_attempt_at, attempt_delta)
${OUTCOME_WHERE_V}`;

/** Events in the order given (`seq` follows the array order). */
const EVENTS = `INSERT INTO events (id, workspace_id, run_id, item_id, type, data, created_at)
SELECT v.id, v.workspace_id, v.run_id, v.item_id, v.type, v.data, v.created_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
  WITH ORDINALITY AS v(id, workspace_id, run_id, item_id, type, data, created_at, n)
ORDER BY v.n`;

/** Cells in the order given (key order: every writer locks cells in one order). */
const CELLS = `INSERT INTO cells (workspace_id, table_id, row_id, column_id, status, value, error, run_id, item_id, attempt, updated_at)
SELECT v.workspace_id, v.table_id, v.row_id, v.column_id, v.status, v.value, v.error, v.run_id, v.item_id, v.attempt, v.updated_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
  $10::int[], $11::bigint[])
  WITH ORDINALITY AS v(workspace_id, table_id, row_id, column_id, status, value, error, run_id, item_id, attempt, updated_at, n)
ORDER BY v.n
ON CONFLICT (column_id, row_id) DO UPDATE SET
  status = excluded.status, value = excluded.value, error = excluded.error, run_id = excluded.run_id,
  item_id = excluded.item_id, attempt = excluded.attempt, updated_at = excluded.updated_at`;

async function run<R>(db: Db, text: string, params: unknown[]): Promise<R[]> {
  const res = await db.executeQuery<R>(CompiledQuery.raw(text, params));
  return res.rows;
}

/** PostgreSQL's per-item statements, one per batch (see the module comment). */
export function postgresHotPath(): HotPath {
  return {
    batchEvents: false,
    async leaseItems(db: Db, ids: string[], l: LeaseSet): Promise<ItemsTable[]> {
      if (ids.length === 0) return [];
      const rows = await run<ItemsTable>(db, LEASE, [l.token, l.owner, l.expires, l.now, ids]);
      // In the order asked for (the claim's due order), as the rows come back in any order.
      const at = new Map(ids.map((id, i) => [id, i]));
      return rows.sort((a, b) => (at.get(a.id) ?? 0) - (at.get(b.id) ?? 0));
    },
    async completeItems(db: Db, rows: OutcomeRow[]): Promise<CompletedItem[]> {
      if (rows.length === 0) return [];
      return run<CompletedItem>(db, COMPLETE, [
        rows.map((r) => r.id),
        rows.map((r) => r.token),
        rows.map((r) => r.status),
        rows.map((r) => r.outputs),
        rows.map((r) => r.error),
        rows.map((r) => r.usage),
        rows.map((r) => r.provider),
        rows.map((r) => r.credits_used),
        rows.map((r) => r.finished_at),
        rows.map((r) => r.duration_ms),
        rows.map((r) => r.next_attempt_at),
        rows.map((r) => r.attempt_delta),
      ]);
    },
    async insertEvents(db: Db, rows: EventRow[]): Promise<void> {
      if (rows.length === 0) return;
      for (const r of rows) if (r.span !== 1) throw new Error(`postgres hot path: event rows are one per event (span ${r.span})`);
      await run(db, EVENTS, [
        rows.map((r) => r.id),
        rows.map((r) => r.workspace_id),
        rows.map((r) => r.run_id),
        rows.map((r) => r.item_id),
        rows.map((r) => r.type),
        rows.map((r) => r.data),
        rows.map((r) => r.created_at),
      ]);
    },
    async upsertCells(db: Db, rows: CellsTable[]): Promise<void> {
      if (rows.length === 0) return;
      await run(db, CELLS, [
        rows.map((r) => r.workspace_id),
        rows.map((r) => r.table_id),
        rows.map((r) => r.row_id),
        rows.map((r) => r.column_id),
        rows.map((r) => r.status),
        rows.map((r) => r.value),
        rows.map((r) => r.error),
        rows.map((r) => r.run_id),
        rows.map((r) => r.item_id),
        rows.map((r) => r.attempt),
        rows.map((r) => r.updated_at),
      ]);
    },
  };
}
