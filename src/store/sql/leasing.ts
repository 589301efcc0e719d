/**
 * Starting runs, leasing items, heartbeats and lease recovery (dialect-neutral SQL).
 * Lease tokens fence every later write: an item's token changes on every claim.
 *
 * Many nodes on one PostgreSQL: rows a node is about to change are locked as it reads them
 * (`FOR UPDATE SKIP LOCKED`: another node's claim or sweep skips them instead of waiting), and a
 * run's row is locked before its free slots are counted, so its concurrency holds across
 * nodes. Run rows are locked in id order by every writer except a claim's first run, which it
 * waits for while holding nothing: no lock cycle, so no deadlock between nodes. On SQLite the
 * single-writer `BEGIN IMMEDIATE` transaction gives the same guarantees and these clauses are
 * left out.
 *
 * A claim may be capped per run (`ClaimOptions.caps`): an executor that hears other nodes want
 * a run keeps to its share of it (engine/executor.ts), and slots a cap leaves free are announced
 * (`notifyWork`) for those nodes to claim. The claim of `completeAndClaim` runs after the
 * completion in the same transaction and never waits for a lock, so its run rows may follow the
 * account row there without a lock cycle.
 */
import { sql, type SelectQueryBuilder } from 'kysely';
import type { ItemError } from '../../core/errors.js';
import { transitionItem, transitionRun } from '../../core/status.js';
import type { RunRecord } from '../../core/model.js';
import { decideLeaseRecovery, isOwnerAlive, type LeaseOwner } from '../../core/lease-recovery.js';
import type { ClaimedItem, ClaimOptions, CompleteResult, Completion, LeaseSweep } from '../port.js';
import type { Db, SqlContext } from './context.js';
import { canReserve, startReservation } from '../../core/credits.js';
import { outstandingOf, postEntries, readBalance } from './ledger.js';
import { appendEvents } from './events.js';
import { toItem, toRun } from './mapping.js';
import { planInTx } from './plan-in-tx.js';
import { finishIfDone } from './run-finish.js';
import { leaseItems } from './lease.js';
import { CLAIMABLE } from './statuses.js';
import { checkCompletions, completeItemsIn } from './completion.js';
import { Settlement } from './settle.js';
import type { Database } from './schema.js';

/**
 * How many more items the run's remaining reservation covers (each may cost its bound; a
 * waiting item still holds its bound until it is answered).
 */
function affordableItems(run: RunRecord): number {
  if (run.item_cost_bound === 0) return Number.MAX_SAFE_INTEGER;
  return Math.floor((outstandingOf(run) - (run.items_running + run.items_waiting) * run.item_cost_bound) / run.item_cost_bound);
}

async function pauseForBudget(ctx: SqlContext, db: Db, run: RunRecord, now: number): Promise<void> {
  transitionRun(run.id, run.status, 'paused');
  await db
    .updateTable('runs')
    .set({ status: 'paused', paused_reason: 'budget', updated_at: now })
    .where('id', '=', run.id)
    .where('status', '=', 'running')
    .execute();
  await appendEvents(
    ctx,
    db,
    [{ workspace_id: run.workspace_id, run_id: run.id, item_id: null, type: 'run.paused', data: { reason: 'budget', credits_reserved: run.credits_reserved } }],
    now,
  );
}

/** PostgreSQL: lock the selected rows, skipping rows another transaction holds. */
function skipLocked<DB extends Database, TB extends keyof DB, O>(ctx: SqlContext, q: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
  return ctx.dialect === 'postgres' ? q.forUpdate().skipLocked() : q;
}

/**
 * PostgreSQL: locks a running run's row and reads its current counts (`wait`: queue for the
 * lock; else skip a run another transaction holds). SQLite: the run as read.
 */
async function lockRun(ctx: SqlContext, db: Db, run: RunRecord, wait: boolean): Promise<RunRecord | undefined> {
  if (ctx.dialect !== 'postgres') return run;
  const q = db.selectFrom('runs').selectAll().where('id', '=', run.id).where('status', '=', 'running').forNoKeyUpdate();
  const row = await (wait ? q : q.skipLocked()).executeTakeFirst();
  return row && toRun(row);
}

export async function startQueuedRuns(ctx: SqlContext, nodeId: string, now: number, limit: number): Promise<RunRecord[]> {
  return ctx.tx(async (db) => {
    const rows = await skipLocked(
      ctx,
      db
        .selectFrom('runs')
        .selectAll()
        .where('status', '=', 'queued')
        .where('held_by', 'is', null)
        .where((eb) => eb.or([eb('scheduled_for', 'is', null), eb('scheduled_for', '<=', now)]))
        .orderBy('id')
        .limit(limit),
    ).execute();
    const started: RunRecord[] = [];
    for (const r of rows) {
      const run = toRun(r);
      transitionRun(run.id, run.status, 'running');
      // Reserve the run's credits first: a run the balance does not cover stays queued (its
      // waiting reason says insufficient_credits) and starts when a grant arrives.
      const need = startReservation(run);
      if (need > 0) {
        if (!canReserve(await readBalance(ctx, db, run.workspace_id), need)) continue;
        await postEntries(
          ctx,
          db,
          [{ workspace_id: run.workspace_id, kind: 'reserve', amount: need, run_id: run.id, item_id: null, idempotency_key: `reserve:${run.id}:start` }],
          now,
        );
      }
      const row = await db
        .updateTable('runs')
        .set({ status: 'running', started_at: now, updated_at: now, claimed_by: nodeId, credits_reserved: run.credits_reserved + need })
        .where('id', '=', run.id)
        .where('status', '=', 'queued')
        .returningAll()
        .executeTakeFirst();
      if (!row) continue;
      await appendEvents(ctx, db, [{ workspace_id: run.workspace_id, run_id: run.id, item_id: null, type: 'run.started', data: { node_id: nodeId } }], now);
      const running = toRun(row);
      started.push(await finishIfDone(ctx, db, running, now));
    }
    return started;
  });
}

/**
 * Leases due items. Runs are served in the order of their earliest due item, so an item
 * returned by an expired lease (`next_attempt_at = 0`) of any run comes before every run's
 * backlog; runs at their concurrency are skipped, and every running run is considered (the
 * earliest-due lookup is one index seek per run).
 */
export async function claimItems(
  ctx: SqlContext,
  nodeId: string,
  now: number,
  leaseMs: number,
  limit: number,
  opts: ClaimOptions = {},
): Promise<ClaimedItem[]> {
  if (limit <= 0) return [];
  return ctx.tx((db) => claimItemsIn(ctx, db, nodeId, now, leaseMs, limit, true, opts));
}

/**
 * {@link claimItems} inside the caller's transaction. `waitFirst`: queue for the first run's
 * lock (PostgreSQL); false when the transaction already holds locks (a completion's run rows),
 * so that it never waits while holding anything (no lock cycle between nodes). `opts.caps`
 * bounds what is taken per run; a run it leaves with free slots is announced (NOTIFY) so that
 * the nodes waiting for it claim them. `opts.full` collects the due runs skipped at their
 * concurrency.
 */
export async function claimItemsIn(
  ctx: SqlContext,
  db: Db,
  nodeId: string,
  now: number,
  leaseMs: number,
  limit: number,
  waitFirst: boolean,
  opts: ClaimOptions = {},
): Promise<ClaimedItem[]> {
  const rows = await db
    .selectFrom('runs')
    .selectAll()
    .select((eb) =>
      eb
        .selectFrom('items')
        .select((e) => e.fn.min('items.next_attempt_at').as('m'))
        .whereRef('items.run_id', '=', 'runs.id')
        .where(CLAIMABLE)
        .as('due'),
    )
    .where('status', '=', 'running')
    .execute();
  const runs = rows
    .filter((r) => r.due !== null && Number(r.due) <= now)
    .map((r) => ({ run: toRun(r), due: Number(r.due) }))
    .filter(({ run }) => {
      if (run.items_running < run.spec.concurrency) return true;
      opts.full?.add(run.id);
      return false;
    })
    .sort((x, y) => x.due - y.due || (x.run.id < y.run.id ? -1 : 1));
  const claimed: ClaimedItem[] = [];
  const s = new Settlement();
  const lease = { token: ctx.newId('lse'), owner: nodeId, expires: now + leaseMs, now };
  let locked = 0;
  let leftForOthers = false;
  for (const candidate of runs) {
    if (claimed.length >= limit) break;
    // Counts as of now, under the run's lock: another node may have claimed since the read above.
    const run = await lockRun(ctx, db, candidate.run, waitFirst && locked === 0);
    if (!run) continue;
    locked += 1;
    const affordable = affordableItems(run);
    if (affordable <= 0) {
      // The budget is spent: nothing more is claimed; once nothing is in flight, pause.
      if (run.items_running === 0) await pauseForBudget(ctx, db, run, now);
      continue;
    }
    const free = run.spec.concurrency - run.items_running;
    if (free <= 0) opts.full?.add(run.id);
    const cap = opts.caps?.get(run.id) ?? Number.MAX_SAFE_INTEGER;
    const want = Math.min(free, limit - claimed.length, affordable, cap);
    // Slots kept free for the nodes that want this run (their claims take them).
    if (cap < Math.min(free, limit - claimed.length, affordable)) leftForOthers = true;
    if (want <= 0) continue;
    const due = await skipLocked(
      ctx,
      db
        .selectFrom('items')
        .select(['id', 'status'])
        .where('run_id', '=', run.id)
        .where(CLAIMABLE)
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .orderBy('ordinal')
        .limit(want),
    ).execute();
    if (due.length === 0) continue;
    const prior = new Map(due.map((d) => [d.id, d.status as 'pending' | 'retrying']));
    claimed.push(...(await leaseItems(ctx, db, run, prior, lease, s)));
  }
  if (leftForOthers) await ctx.notifyWork?.(db);
  if (claimed.length === 0) return claimed;
  await s.write(ctx, db, now);
  return claimed;
}

/**
 * Records completions and leases up to `claim.limit` more items in one transaction (one
 * commit instead of two per batch). The claim never waits for a run row another node holds:
 * this transaction already holds the completed items' run rows.
 */
export async function completeAndClaim(
  ctx: SqlContext,
  completions: Completion[],
  now: number,
  claim: { nodeId: string; leaseMs: number; limit: number } & ClaimOptions,
): Promise<CompleteResult & { claimed: ClaimedItem[] }> {
  const { unique, duplicates } = checkCompletions(completions);
  return ctx.tx(async (db) => {
    const result = completions.length > 0 ? await completeItemsIn(ctx, db, unique, duplicates, now) : { accepted: [], lease_lost: [], finished_runs: [] };
    const claimed = claim.limit > 0 ? await claimItemsIn(ctx, db, claim.nodeId, now, claim.leaseMs, claim.limit, false, claim) : [];
    return { ...result, claimed };
  });
}

/** Leases per heartbeat UPDATE (2 parameters each). */
const HEARTBEAT_CHUNK = 500;

/**
 * Extends leases, one UPDATE per chunk, each row fenced by its own token; returns the ids of the
 * leases found lost (taken by another node, or the item no longer running).
 *
 * PostgreSQL: a heartbeat never queues behind a row lock. A row another transaction holds (this
 * node's own completion of that item, mostly; a sweep taking it) is skipped this beat and counted
 * as still held when its committed state still shows this lease: a completion that commits
 * settles it, one that rolls back leaves the lease to the next beat. Queuing instead made a
 * heartbeat as slow as the slowest completion in flight, and under load leases of live nodes
 * expired behind it.
 */
export async function heartbeatItems(ctx: SqlContext, leases: { item_id: string; lease_token: string }[], now: number, leaseMs: number): Promise<string[]> {
  if (leases.length === 0) return [];
  const skip = ctx.dialect === 'postgres' ? sql`FOR UPDATE OF items SKIP LOCKED` : sql``;
  return ctx.tx(async (db) => {
    const kept = new Set<string>();
    for (let i = 0; i < leases.length; i += HEARTBEAT_CHUNK) {
      const chunk = leases.slice(i, i + HEARTBEAT_CHUNK);
      const values = sql.join(chunk.map((l) => sql`(${l.item_id}, ${l.lease_token})`));
      const res = await sql<{ id: string }>`
        WITH v(id, token) AS (VALUES ${values}),
        held AS (
          SELECT items.id FROM items JOIN v ON items.id = v.id AND items.lease_token = v.token
          WHERE items.status = 'running' ${skip}
        )
        UPDATE items SET lease_expires_at = ${now + leaseMs}
        FROM held
        WHERE items.id = held.id
        RETURNING items.id`.execute(db);
      for (const r of res.rows) kept.add(r.id);
      if (ctx.dialect !== 'postgres' || res.rows.length === chunk.length) continue;
      // Skipped rows whose committed state is still this lease are held, not lost.
      const rest = chunk.filter((l) => !kept.has(l.item_id));
      const busy = await sql<{ id: string }>`
        WITH v(id, token) AS (VALUES ${sql.join(rest.map((l) => sql`(${l.item_id}, ${l.lease_token})`))})
        SELECT items.id FROM items JOIN v ON items.id = v.id AND items.lease_token = v.token
        WHERE items.status = 'running'`.execute(db);
      for (const r of busy.rows) kept.add(r.id);
    }
    return leases.filter((l) => !kept.has(l.item_id)).map((l) => l.item_id);
  });
}

/**
 * Recovers expired leases (see `Store.recoverExpiredLeases`). With `sweep`, the sweeping node's
 * own leases that it still holds are extended instead (its in-flight work is never taken from
 * it), and an owner that heartbeated its node row within `sweep.lease_ms` counts as alive: its
 * item's attempt is given back and a lease loss counted (core/lease-recovery.ts).
 */
export async function recoverExpiredLeases(ctx: SqlContext, now: number, limit: number, sweep?: LeaseSweep): Promise<number> {
  return ctx.tx(async (db) => {
    // Skipping locked rows: an item being completed right now is not expired work, and two
    // nodes sweeping at once take disjoint items.
    const expired = await skipLocked(
      ctx,
      db
        .selectFrom('items')
        .select(['id', 'run_id', 'workspace_id', 'key', 'attempt_count', 'max_attempts', 'lease_lost_count', 'lease_owner', 'lease_token', 'lease_expires_at'])
        .where('status', '=', 'running')
        .where('lease_expires_at', '<', now)
        .orderBy('lease_expires_at')
        .limit(limit),
    ).execute();
    // Its own: held, or perhaps taken by a claim of its own still under way (not yet held).
    const mine = (r: (typeof expired)[number]) =>
      sweep !== undefined &&
      r.lease_owner === sweep.node_id &&
      r.lease_token !== null &&
      (sweep.held.get(r.id) === r.lease_token ||
        (sweep.claiming_since !== undefined && !sweep.held.has(r.id) && Number(r.lease_expires_at) >= sweep.claiming_since + sweep.lease_ms));
    const keep = expired.filter(mine).map((r) => r.id);
    if (keep.length > 0 && sweep) {
      // Still executing here: extend, never recover (the rows are this transaction's to change).
      await db
        .updateTable('items')
        .set({ lease_expires_at: now + sweep.lease_ms })
        .where('id', 'in', keep)
        .where('status', '=', 'running')
        .execute();
    }
    const rows = expired.filter((r) => !mine(r));
    const owners = await ownersOf(db, rows);
    const s = new Settlement();
    const failed: { id: string; error: ItemError }[] = [];
    for (const r of rows) {
      const decision = decideLeaseRecovery({
        attempt_count: Number(r.attempt_count),
        max_attempts: Number(r.max_attempts),
        lease_lost_count: Number(r.lease_lost_count),
        owner_id: r.lease_owner,
        owner_alive: isOwnerAlive(r.lease_owner === null ? undefined : owners.get(r.lease_owner), now, sweep?.lease_ms ?? DEFAULT_ALIVE_WINDOW_MS),
      });
      const exhausted = decision.kind === 'fail';
      const to = exhausted ? 'failed' : 'pending';
      transitionItem(r.id, 'running', to);
      const error: ItemError | null = exhausted ? decision.error : null;
      const res = await db
        .updateTable('items')
        .set({
          status: to,
          lease_token: null,
          lease_owner: null,
          lease_expires_at: null,
          attempt_count: decision.attempt_count,
          lease_lost_count: decision.lease_lost_count,
          // 0 puts a recovered item ahead of the backlog (claims order by next_attempt_at).
          next_attempt_at: exhausted ? null : 0,
          ...(exhausted ? { error: JSON.stringify(error), finished_at: now } : {}),
        })
        .where('id', '=', r.id)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) continue;
      s.deltas.add(r.run_id, 'running', to);
      const base = { workspace_id: r.workspace_id, run_id: r.run_id, item_id: r.id };
      s.events.push({
        ...base,
        type: 'item.lease_expired',
        data: {
          attempt: Number(r.attempt_count),
          node_id: r.lease_owner,
          next: to,
          // false: the node was alive (a stall): the attempt was given back, a lease loss counted.
          attempt_spent: decision.spent,
          lease_lost_count: decision.lease_lost_count,
        },
      });
      if (exhausted) {
        s.events.push({ ...base, type: 'item.failed', data: { code: decision.error.code } });
        s.settle({ ...base, key: r.key, attempt: Number(r.attempt_count), status: 'failed', value: null, outputs: null, error, credits_used: 0 });
        failed.push({ id: r.id, error: decision.error });
      }
    }
    if (sweep?.planAfterFailure && failed.length > 0) await planFailures(ctx, db, s, failed, sweep.planAfterFailure, now);
    await s.write(ctx, db, now);
    const recovered = s.events.filter((e) => e.type === 'item.lease_expired').length;
    if (recovered > 0) await ctx.notifyWork?.(db);
    return recovered;
  });
}

/**
 * Asks the kinds that plan with a run's items what follows the items the sweep failed (their
 * attempts spent by crashes), inside the sweep's transaction, as a completion would: a worker
 * or flow run then ends `failed` with the item's error, or goes on, instead of stopping short.
 */
async function planFailures(
  ctx: SqlContext,
  db: Db,
  s: Settlement,
  failed: { id: string; error: ItemError }[],
  planAfterFailure: NonNullable<LeaseSweep['planAfterFailure']>,
  now: number,
): Promise<void> {
  const rows = await db
    .selectFrom('items')
    .selectAll()
    .where(
      'id',
      'in',
      failed.map((f) => f.id),
    )
    .execute();
  if (ctx.dialect === 'postgres') {
    // Run rows in id order, as every writer locks them.
    const runIds = [...new Set(rows.map((r) => r.run_id))].sort();
    await db.selectFrom('runs').select('id').where('id', 'in', runIds).orderBy('id').forNoKeyUpdate().execute();
  }
  for (const row of rows) {
    const item = toItem(row);
    const error = failed.find((f) => f.id === row.id)!.error;
    await planInTx(
      ctx,
      db,
      s,
      { workspace_id: row.workspace_id, run_id: row.run_id, item_id: row.id },
      (run, items) => planAfterFailure(run, { item, error }, items) ?? { append: [] },
      now,
    );
  }
}

/** Liveness window when the sweeper names no lease length of its own: the default lease, ms. */
const DEFAULT_ALIVE_WINDOW_MS = 10_000;

/** The node rows of the leases' owners, by node id. */
async function ownersOf(db: Db, rows: { lease_owner: string | null }[]): Promise<Map<string, LeaseOwner>> {
  const ids = [...new Set(rows.map((r) => r.lease_owner).filter((o): o is string => o !== null))];
  if (ids.length === 0) return new Map();
  const nodes = await db.selectFrom('nodes').select(['id', 'heartbeat_at', 'stopped_at']).where('id', 'in', ids).execute();
  return new Map(nodes.map((n) => [n.id, { heartbeat_at: Number(n.heartbeat_at), stopped_at: n.stopped_at === null ? null : Number(n.stopped_at) }]));
}
