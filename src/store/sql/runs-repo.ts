/** Creating and reading runs, items and events (dialect-neutral SQL). */
import { IdempotencyConflictError, ValidationError } from '../../core/errors.js';
import type { EventRecord, ItemRecord, RunRecord } from '../../core/model.js';
import { transitionItem, transitionRun, type ItemStatus } from '../../core/status.js';
import { startReservation } from '../../core/credits.js';
import type { ClaimedItem, NewRun, Page, RunFilter, StartOnCreate } from '../port.js';
import { sql } from 'kysely';
import { cursorAfter, keysetPage, toJson, type SqlContext } from './context.js';
import { nameContains, whereRunFilter } from './run-filter.js';
import { appendEvents } from './events.js';
import { leaseColumns, startedEvent } from './lease.js';
import { expandEvents } from './event-batch.js';
import { toEvent, toItem, toRun } from './mapping.js';

const ITEM_CHUNK = 250;

/**
 * How many items a new run leases at creation for a local executor (`StartOnCreate`): none
 * when it must reserve credits first (the reservation and its waiting reason stay with
 * `startQueuedRuns`), is scheduled or held, or has nothing pending; else up to its concurrency.
 */
function leasedAtCreation(input: NewRun, start: StartOnCreate | undefined, pending: number): number {
  const { run } = input;
  if (!start || start.limit <= 0 || pending === 0 || run.status !== 'queued' || run.held_by) return 0;
  if (startReservation({ item_cost_bound: run.item_cost_bound, items_pending: pending, credit_cap: run.credit_cap }) !== 0) return 0;
  return Math.min(start.limit, run.spec.concurrency, pending);
}

export async function createRun(
  ctx: SqlContext,
  ws: string,
  input: NewRun,
  now: number,
  start?: StartOnCreate,
): Promise<{ run: RunRecord; created: boolean; claimed: ClaimedItem[] }> {
  const { run } = input;
  return ctx.tx(async (db) => {
    if (run.idempotency_key !== null) {
      const existing = await db
        .selectFrom('runs')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('idempotency_key', '=', run.idempotency_key)
        .executeTakeFirst();
      if (existing) {
        if (existing.request_hash !== input.request_hash) throw new IdempotencyConflictError(run.idempotency_key);
        return { run: toRun(existing), created: false, claimed: [] };
      }
    }
    const skipped = input.items.filter((i) => i.status === 'skipped').length;
    const leased = leasedAtCreation(input, start, input.items.length - skipped);
    if (leased > 0) transitionRun(run.id, run.status, 'running');
    const lease = leased > 0 && start ? { token: ctx.newId('lse'), owner: start.node_id, expires: now + start.lease_ms, now } : undefined;
    const row = {
      id: run.id,
      workspace_id: ws,
      kind: run.kind,
      target_id: run.target_id,
      target_version: run.target_version,
      name: run.name,
      status: lease ? ('running' as const) : run.status,
      phase: run.phase,
      subject: toJson(run.subject ?? null),
      mode: run.mode,
      trigger_type: run.trigger.type,
      trigger_source_id: run.trigger.source_id,
      trigger_actor: run.trigger.actor,
      profile: run.profile,
      prompt: run.prompt,
      session_id: run.session_id,
      items_total: input.items.length,
      items_succeeded: 0,
      items_failed: 0,
      items_pending: input.items.length - skipped - leased,
      items_running: leased,
      items_waiting: 0,
      output: toJson(run.output ?? null),
      items_skipped: skipped,
      items_canceled: 0,
      credits_reserved: run.credits_reserved,
      credits_used: 0,
      result_summary: run.result_summary,
      error: toJson(run.error),
      retry_of: run.retry_of,
      idempotency_key: run.idempotency_key,
      request_hash: input.request_hash,
      tags: JSON.stringify(run.tags),
      spec: JSON.stringify(run.spec),
      scheduled_for: null,
      held_by: run.held_by ?? null,
      claimed_by: lease ? lease.owner : null,
      pinned: 0,
      overrides_env: toJson(run.overrides_env),
      overrides_secrets: input.sealed_secrets,
      paused_reason: null,
      credit_cap: run.credit_cap,
      item_cost_bound: run.item_cost_bound,
      credits_released: 0,
      price_version: run.price_version,
      created_at: now,
      started_at: lease ? now : null,
      finished_at: null,
      updated_at: now,
    };
    await db.insertInto('runs').values(row).execute();
    // The first `leased` pending items (in ordinal order, as a claim takes them) go out running.
    let toLease = leased;
    const claimedRows: Parameters<typeof toItem>[0][] = [];
    for (let i = 0; i < input.items.length; i += ITEM_CHUNK) {
      const chunk = input.items.slice(i, i + ITEM_CHUNK).map((it, j) => {
        const take = lease !== undefined && toLease > 0 && it.status === 'pending';
        if (take) {
          toLease -= 1;
          transitionItem(it.id, 'pending', 'running');
        }
        const item = {
          id: it.id,
          workspace_id: ws,
          run_id: run.id,
          ordinal: i + j,
          key: it.key,
          status: it.status,
          attempt_count: 0,
          max_attempts: it.max_attempts ?? run.spec.max_attempts,
          lease_lost_count: 0,
          next_attempt_at: it.status === 'pending' ? now : null,
          inputs: toJson(it.inputs),
          outputs: null,
          error: null,
          provider: null,
          usage: null,
          credits_used: 0,
          lease_token: null as string | null,
          lease_owner: null as string | null,
          lease_expires_at: null as number | null,
          started_at: null as number | null,
          finished_at: null,
          duration_ms: null,
          producer: it.producer ?? null,
          cost_bound: null,
          // Leased in its creation transaction: the columns a claim would set.
          ...(take ? { ...leaseColumns(lease), attempt_count: 1 } : {}),
        };
        if (take) claimedRows.push(item);
        return item;
      });
      await db.insertInto('items').values(chunk).execute();
    }
    const queued = { items_total: input.items.length, mode: run.mode, trigger: run.trigger.type };
    await appendEvents(
      ctx,
      db,
      [
        { workspace_id: ws, run_id: run.id, item_id: null, type: 'run.queued', data: queued },
        ...(lease
          ? [
              { workspace_id: ws, run_id: run.id, item_id: null, type: 'run.started', data: { node_id: lease.owner } },
              ...claimedRows.map((it) => startedEvent(it, 1, lease.owner)),
            ]
          : []),
      ],
      now,
    );
    // Leased here, nothing is left for other nodes to claim unless items remain pending.
    if (!lease || leased < input.items.length - skipped) await ctx.notifyWork?.(db);
    const created = toRun(row);
    const claimed = lease ? claimedRows.map((it) => ({ item: toItem(it), run: created, lease_token: lease.token, lease_expires_at: lease.expires })) : [];
    return { run: created, created: true, claimed };
  });
}

export async function getRun(ctx: SqlContext, ws: string, id: string): Promise<RunRecord | undefined> {
  const r = await ctx.db.selectFrom('runs').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  return r && toRun(r);
}

export async function getRunSecrets(ctx: SqlContext, ws: string, id: string): Promise<string | null> {
  const r = await ctx.db.selectFrom('runs').select('overrides_secrets').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  return r?.overrides_secrets ?? null;
}

export async function findRunByIdempotencyKey(ctx: SqlContext, ws: string, key: string): Promise<{ run: RunRecord; request_hash: string | null } | undefined> {
  const r = await ctx.db.selectFrom('runs').selectAll().where('workspace_id', '=', ws).where('idempotency_key', '=', key).executeTakeFirst();
  return r && { run: toRun(r), request_hash: r.request_hash };
}

/**
 * Where a page of runs ends: the last run's `created_at` and id (the list's order), carried in
 * the opaque cursor as `"<created_at>.<id>"`.
 */
export interface RunCursor {
  created_at: number;
  id: string;
}

function runCursor(cursor: string | undefined): RunCursor | undefined {
  const v = cursorAfter<string>(cursor, 'string');
  if (v === undefined) return undefined;
  const m = /^(\d{1,16})\.(.+)$/.exec(v);
  if (!m) throw new ValidationError('cursor is not a valid cursor', { field: 'cursor' });
  return { created_at: Number(m[1]), id: m[2]! };
}

/**
 * SQLite name search: when the term is at least 3 characters, the trigram index `runs_name`
 * (migration 0004) finds the candidate runs; up to this many are fetched by rowid and sorted.
 * More candidates mean a common term: then walking the newest-first index and testing each
 * name finds a page sooner than sorting every match.
 */
export const NAME_CANDIDATES = 5000;

/** SQLite: rowids of runs whose name may contain `name`, or undefined to walk the index instead. */
async function nameCandidates(ctx: SqlContext, name: string | undefined): Promise<number[] | undefined> {
  if (ctx.dialect !== 'sqlite' || name === undefined || [...name].length < 3) return undefined;
  // An FTS5 phrase of trigrams is a substring match; inside quotes only `"` is special.
  const phrase = `"${name.replace(/"/g, '""')}"`;
  const { rows } = await sql<{ rowid: number }>`SELECT rowid FROM runs_name WHERE runs_name MATCH ${phrase} LIMIT ${NAME_CANDIDATES + 1}`.execute(ctx.db);
  return rows.length > NAME_CANDIDATES ? undefined : rows.map((r) => r.rowid);
}

/**
 * One filter per index walk: a list of several statuses (else kinds) becomes one branch per
 * value, each read in index order (`runs_status_newest`, `runs_kind_newest`) and merged, as no
 * single index yields `status IN (a, b)` newest first.
 */
function branches(f: RunFilter): RunFilter[] {
  if (f.status && f.status.length > 1) return f.status.map((s) => ({ ...f, status: [s] }));
  if (f.kind && f.kind.length > 1) return f.kind.map((k) => ({ ...f, kind: [k] }));
  return [f];
}

function newestFirst(a: { created_at: number | bigint | string; id: string }, b: { created_at: number | bigint | string; id: string }): number {
  const d = Number(b.created_at) - Number(a.created_at);
  return d !== 0 ? d : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * SQLite name search without other filters than time first tests the names of this many of the
 * newest runs, read from the index `runs_name_newest` alone (no row reads): a term common
 * enough to fill a page there (about 1 run in 100) is answered in a few ms without the
 * trigram index, whose cost grows with how common the term's trigrams are.
 */
export const NAME_WINDOW = 5_000;

/**
 * The queries of one page of {@link listRuns}: one per index walk (see `branches`), each newest
 * first, after the cursor, at most `limit` rows. Exported for the plan tests (every filter
 * must read an index in order: no scan of runs, no sort).
 * @param o.rowids SQLite name-search candidates (`nameCandidates`)
 * @param o.window SQLite name search: test the name only among this many newest runs (`NAME_WINDOW`)
 */
export function runListQueries(
  ctx: SqlContext,
  ws: string,
  f: RunFilter,
  o: { limit: number; after?: RunCursor | undefined; rowids?: number[] | undefined; window?: number | undefined },
) {
  return branches(f).map((bf) => {
    const { name, ...rest } = bf;
    // With rowids, `+workspace_id` keeps SQLite off the workspace's indexes (all lead with it):
    // the few candidates are read by rowid, not found by walking every run of the workspace.
    const mine = o.rowids ? sql<boolean>`+workspace_id = ${ws}` : sql<boolean>`workspace_id = ${ws}`;
    let q = whereRunFilter(ctx, ctx.db.selectFrom('runs').selectAll().where(mine), o.window === undefined ? bf : rest);
    if (o.after) q = q.where(sql<boolean>`(created_at, id) < (${o.after.created_at}, ${o.after.id})`);
    if (o.rowids) {
      q = q.where(sql<boolean>`rowid IN (${sql.join(o.rowids)})`);
    }
    if (o.window !== undefined && name !== undefined) {
      // The window's (created_at, id, name) come from the index alone; only matches are read.
      const newest = q
        .clearSelect()
        .select([sql<number>`rowid`.as('rid'), 'name', 'created_at', 'id'])
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(o.window)
        .as('w');
      const matches = ctx.db.selectFrom(newest).select('w.rid').where(nameContains(ctx, name)).limit(o.limit);
      q = ctx.db
        .selectFrom('runs')
        .selectAll()
        .where(sql<boolean>`rowid IN (${matches})`);
    }
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(o.limit);
  });
}

/** Does only a name (and times) filter the runs: the case `NAME_WINDOW` serves. */
function nameAndTimeOnly(f: RunFilter): boolean {
  return !f.status?.length && !f.kind?.length && !f.mode?.length && !f.trigger?.length && f.target_id === undefined;
}

/**
 * Newest first by (`created_at`, id), keyset pagination: every filter reads one index range in
 * order and stops after the page (migration 0004), so a page deep in a history of millions of
 * runs costs what the first does. SQLite name search: a name-only filter first tests the newest
 * {@link NAME_WINDOW} names; a page not filled there comes from the trigram index's candidates
 * (a rare term), or, past {@link NAME_CANDIDATES} of them, from the whole walk.
 */
export async function listRuns(ctx: SqlContext, ws: string, f: RunFilter, opts: { limit: number; cursor?: string }): Promise<Page<RunRecord>> {
  const after = runCursor(opts.cursor);
  const take = opts.limit + 1;
  const run = async (o: { rowids?: number[] | undefined; window?: number }) => {
    const pages = await Promise.all(runListQueries(ctx, ws, f, { limit: take, after, ...o }).map((q) => q.execute()));
    return pages.length === 1 ? pages[0]! : pages.flat().sort(newestFirst).slice(0, take);
  };
  let rows: Awaited<ReturnType<typeof run>> | undefined;
  const searching = ctx.dialect === 'sqlite' && f.name !== undefined && f.name !== '';
  if (searching && nameAndTimeOnly(f)) {
    const windowed = await run({ window: NAME_WINDOW });
    if (windowed.length === take) rows = windowed;
  }
  if (rows === undefined) {
    const rowids = searching ? await nameCandidates(ctx, f.name) : undefined;
    rows = rowids?.length === 0 ? [] : await run({ rowids });
  }
  return keysetPage(rows, opts.limit, toRun, (r) => `${r.created_at}.${r.id}`);
}

export async function listItems(
  ctx: SqlContext,
  ws: string,
  runId: string,
  f: { status?: ItemStatus[] },
  opts: { limit: number; cursor?: string },
): Promise<Page<ItemRecord>> {
  const after = cursorAfter<number>(opts.cursor, 'number') ?? -1;
  let q = ctx.db.selectFrom('items').selectAll().where('workspace_id', '=', ws).where('run_id', '=', runId).where('ordinal', '>', after);
  if (f.status?.length) q = q.where('status', 'in', f.status);
  const rows = await q
    .orderBy('ordinal')
    .limit(opts.limit + 1)
    .execute();
  return keysetPage(rows, opts.limit, toItem, (i) => i.ordinal);
}

export async function getItem(ctx: SqlContext, ws: string, id: string): Promise<ItemRecord | undefined> {
  const r = await ctx.db.selectFrom('items').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  return r && toItem(r);
}

export async function listEvents(
  ctx: SqlContext,
  ws: string,
  runId: string | null,
  afterSeq: number,
  limit: number,
): Promise<(EventRecord & { seq: number })[]> {
  let q = ctx.db.selectFrom('events').selectAll().where('workspace_id', '=', ws).where('seq', '>', afterSeq);
  if (runId !== null) q = q.where('run_id', '=', runId);
  // Every stored row holds at least one event past `afterSeq`: `limit` rows hold enough.
  const rows = await q.orderBy('seq').limit(limit).execute();
  return expandEvents(rows.map(toEvent), afterSeq, limit);
}
