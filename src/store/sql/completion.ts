/**
 * Recording attempt outcomes: one transaction for many items, each fenced by its own lease
 * token, so a crash re-runs at most what was in flight (DESIGN.md §4).
 */
import { assertNever, transitionItem, type ItemStatus } from '../../core/status.js';
import type { CompleteResult, Completion } from '../port.js';
import { sql } from 'kysely';
import { toJson, type Db, type SqlContext } from './context.js';
import { OUTCOME_SET_FROM_V, OUTCOME_WHERE_V, type CompletedItem, type OutcomeRow } from './hot-path.js';
import { Settlement } from './settle.js';
import { appendItems } from './append.js';
import { openWait, planInTx } from './plan-in-tx.js';

function statusOf(c: Completion): ItemStatus {
  return c.kind === 'released' ? 'pending' : c.kind === 'waiting' ? 'waiting_for_input' : c.kind;
}

/** Completions per UPDATE statement (12 parameters each, within both databases' limits). */
const COMPLETE_CHUNK = 400;

type UpdatedItem = CompletedItem;

/** The one mapping of a completion to the item row it writes (both statement forms use it). */
function outcomeRow(c: Completion, now: number): OutcomeRow {
  const succeeded = c.kind === 'succeeded';
  return {
    id: c.item_id,
    token: c.lease_token,
    status: statusOf(c),
    outputs: succeeded ? toJson(c.outputs) : null,
    error: c.kind === 'failed' || c.kind === 'retrying' ? toJson(c.error) : null,
    usage: succeeded ? toJson(c.usage) : null,
    provider: succeeded ? c.provider : null,
    credits_used: succeeded ? c.credits_used : 0,
    finished_at: succeeded || c.kind === 'failed' ? now : null,
    duration_ms: c.kind === 'released' ? null : c.duration_ms,
    next_attempt_at: c.kind === 'retrying' ? c.next_attempt_at : c.kind === 'released' ? 0 : null,
    // A released item and a waiting one give their attempt back.
    attempt_delta: c.kind === 'released' || c.kind === 'waiting' ? -1 : 0,
  };
}

/** {@link outcomeRow} as one row of the VALUES list of {@link updateItems}, in its column order. */
function outcomeValues(r: OutcomeRow) {
  return sql`(${r.id}, ${r.token}, ${r.status},
    CAST(${r.outputs} AS TEXT),
    CAST(${r.error} AS TEXT),
    CAST(${r.usage} AS TEXT),
    CAST(${r.provider} AS TEXT),
    CAST(${r.credits_used} AS BIGINT),
    CAST(${r.finished_at} AS BIGINT),
    CAST(${r.duration_ms} AS BIGINT),
    CAST(${r.next_attempt_at} AS BIGINT),
    CAST(${r.attempt_delta} AS BIGINT))`;
}

/**
 * One UPDATE for many items, each row fenced by its own lease token. A released item keeps
 * its last error and gives its attempt back.
 */
async function updateItems(db: Db, batch: OutcomeRow[]): Promise<UpdatedItem[]> {
  const values = sql.join(batch.map(outcomeValues));
  const res = await sql<UpdatedItem>`
    WITH v(id, token, status, outputs, error, usage, provider, credits_used, finished_at, duration_ms, next_attempt_at, attempt_delta) AS (VALUES ${values})
    UPDATE items SET ${sql.raw(OUTCOME_SET_FROM_V)}
    FROM v
    ${sql.raw(OUTCOME_WHERE_V)}`.execute(db);
  return res.rows;
}

/**
 * Checks that every completion is a legal transition from `running` and splits off the second
 * and later completions of one item (one attempt has one outcome: they are stale).
 * @throws when a completion's status is not reachable from `running`
 */
export function checkCompletions(completions: Completion[]): { unique: Completion[]; duplicates: string[] } {
  for (const c of completions) transitionItem(c.item_id, 'running', statusOf(c));
  const seen = new Set<string>();
  const unique: Completion[] = [];
  const duplicates: string[] = [];
  for (const c of completions) {
    if (seen.has(c.item_id)) duplicates.push(c.item_id);
    else {
      seen.add(c.item_id);
      unique.push(c);
    }
  }
  return { unique, duplicates };
}

export async function completeItems(ctx: SqlContext, completions: Completion[], now: number): Promise<CompleteResult> {
  if (completions.length === 0) return { accepted: [], lease_lost: [], finished_runs: [] };
  const { unique, duplicates } = checkCompletions(completions);
  return ctx.tx((db) => completeItemsIn(ctx, db, unique, duplicates, now));
}

/**
 * {@link completeItems} inside the caller's transaction: `unique` holds at most one completion
 * per item (checked), `duplicates` the item ids of the further ones (reported as lease lost).
 */
export async function completeItemsIn(ctx: SqlContext, db: Db, unique: Completion[], duplicates: string[], now: number): Promise<CompleteResult> {
  const rows = unique.map((c) => outcomeRow(c, now));
  const updated: UpdatedItem[] = [];
  if (ctx.hot) updated.push(...(await ctx.hot.completeItems(db, rows)));
  else for (let i = 0; i < rows.length; i += COMPLETE_CHUNK) updated.push(...(await updateItems(db, rows.slice(i, i + COMPLETE_CHUNK))));
  const byId = new Map(updated.map((u) => [u.id, u]));
  const accepted: string[] = [];
  const lost: string[] = [...duplicates];
  const s = new Settlement();
  const waiting: Extract<Completion, { kind: 'waiting' }>[] = [];
  for (const c of unique) {
    const row = byId.get(c.item_id);
    if (!row) {
      lost.push(c.item_id);
      continue;
    }
    accepted.push(c.item_id);
    s.deltas.add(row.run_id, 'running', statusOf(c));
    const base = { workspace_id: row.workspace_id, run_id: row.run_id, item_id: row.id };
    const attempt = Number(row.attempt_count);
    const ended = { ...base, key: row.key, attempt };
    switch (c.kind) {
      case 'succeeded':
        s.events.push({ ...base, type: 'item.succeeded', data: { attempt, duration_ms: c.duration_ms } });
        s.settle({ ...ended, status: 'succeeded', value: c.value, outputs: c.outputs, error: null, credits_used: c.credits_used });
        break;
      case 'failed':
        s.events.push({ ...base, type: 'item.failed', data: { attempt, code: c.error.code, message: c.error.message } });
        s.settle({ ...ended, status: 'failed', value: null, outputs: null, error: c.error, credits_used: 0 });
        break;
      case 'retrying':
        s.events.push({ ...base, type: 'item.retrying', data: { attempt, code: c.error.code, next_attempt_at: c.next_attempt_at } });
        break;
      case 'released':
        s.events.push({ ...base, type: 'item.released', data: { attempt } });
        break;
      case 'waiting':
        s.events.push({ ...base, type: 'item.waiting', data: { attempt: attempt + 1, prompt: c.wait.prompt, duration_ms: c.duration_ms } });
        waiting.push(c);
        break;
      default:
        assertNever(c);
    }
    if (c.kind === 'succeeded' || c.kind === 'failed') s.deltas.setResult(row.run_id, { ...c.result, ...(c.phase === undefined ? {} : { phase: c.phase }) });
  }
  // A waiting item keeps its question (rare: one small UPDATE each, fenced by the status set above).
  for (const c of waiting) {
    await db
      .updateTable('items')
      .set({ waiting: toJson(c.wait) })
      .where('id', '=', c.item_id)
      .where('status', '=', 'waiting_for_input')
      .execute();
    const row = byId.get(c.item_id);
    if (row) await openWait(ctx, db, row, c.wait, now);
  }
  // Items the accepted outcomes planned, in their completion's transaction (fenced by its token).
  const appending = unique.filter((c) => byId.has(c.item_id) && (c.kind === 'succeeded' || c.kind === 'failed') && (c.append?.length ?? 0) > 0);
  const planning = unique.filter((c) => byId.has(c.item_id) && (c.kind === 'succeeded' || c.kind === 'failed') && c.plan !== undefined);
  if ((appending.length > 0 || planning.length > 0) && ctx.dialect === 'postgres') {
    // Appenders of one run take its row first (they number the new items from its last
    // ordinal), every run of the batch in id order, as every writer locks run rows.
    const runIds = [...new Set(updated.map((u) => u.run_id))].sort();
    await db.selectFrom('runs').select('id').where('id', 'in', runIds).orderBy('id').forNoKeyUpdate().execute();
  }
  for (const c of appending) {
    const row = byId.get(c.item_id);
    if (!row || (c.kind !== 'succeeded' && c.kind !== 'failed') || !c.append?.length) continue;
    await appendItems(ctx, db, s, { workspace_id: row.workspace_id, run_id: row.run_id, item_id: row.id }, c.append, now);
  }
  for (const c of planning) {
    const row = byId.get(c.item_id);
    if (!row || (c.kind !== 'succeeded' && c.kind !== 'failed') || !c.plan) continue;
    await planInTx(ctx, db, s, { workspace_id: row.workspace_id, run_id: row.run_id, item_id: row.id }, c.plan, now);
  }
  const finished_runs = await s.write(ctx, db, now);
  // Released and appended items are claimable: let other nodes know (a graceful shutdown hands
  // its work over this way).
  if (s.events.some((e) => e.type === 'item.released' || e.type === 'item.appended')) await ctx.notifyWork?.(db);
  return { accepted, lease_lost: lost, finished_runs };
}
