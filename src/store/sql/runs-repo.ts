/** Creating and reading runs, items and events (dialect-neutral SQL). */
import { IdempotencyConflictError, ValidationError } from '../../core/errors.js';
import type { EventRecord, ItemRecord, RunRecord } from '../../core/model.js';
import type { ItemStatus } from '../../core/status.js';
import type { NewRun, Page, RunFilter } from '../port.js';
import { decodeCursor, encodeCursor, toJson, type SqlContext } from './context.js';
import { whereRunFilter } from './run-filter.js';
import { appendEvents } from './events.js';
import { toEvent, toItem, toRun } from './mapping.js';

const ITEM_CHUNK = 250;

function cursorValue<T extends string | number>(cursor: string | undefined, type: 'string' | 'number'): T | undefined {
  if (cursor === undefined) return undefined;
  const v = decodeCursor<T>(cursor, type);
  if (v === undefined) throw new ValidationError('cursor is not a valid cursor', { field: 'cursor' });
  return v;
}

export async function createRun(ctx: SqlContext, ws: string, input: NewRun, now: number): Promise<{ run: RunRecord; created: boolean }> {
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
        return { run: toRun(existing), created: false };
      }
    }
    const skipped = input.items.filter((i) => i.status === 'skipped').length;
    const row = {
      id: run.id,
      workspace_id: ws,
      kind: run.kind,
      target_id: run.target_id,
      target_version: run.target_version,
      name: run.name,
      status: run.status,
      phase: run.phase,
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
      items_pending: input.items.length - skipped,
      items_running: 0,
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
      claimed_by: null,
      pinned: 0,
      overrides_env: toJson(run.overrides_env),
      overrides_secrets: input.sealed_secrets,
      paused_reason: null,
      credit_cap: run.credit_cap,
      item_cost_bound: run.item_cost_bound,
      credits_released: 0,
      created_at: now,
      started_at: null,
      finished_at: null,
      updated_at: now,
    };
    await db.insertInto('runs').values(row).execute();
    for (let i = 0; i < input.items.length; i += ITEM_CHUNK) {
      const chunk = input.items.slice(i, i + ITEM_CHUNK).map((it, j) => ({
        id: it.id,
        workspace_id: ws,
        run_id: run.id,
        ordinal: i + j,
        key: it.key,
        status: it.status,
        attempt_count: 0,
        max_attempts: run.spec.max_attempts,
        next_attempt_at: it.status === 'pending' ? now : null,
        inputs: toJson(it.inputs),
        outputs: null,
        error: null,
        provider: null,
        usage: null,
        credits_used: 0,
        lease_token: null,
        lease_owner: null,
        lease_expires_at: null,
        started_at: null,
        finished_at: null,
        duration_ms: null,
      }));
      await db.insertInto('items').values(chunk).execute();
    }
    await appendEvents(
      ctx,
      db,
      [
        {
          workspace_id: ws,
          run_id: run.id,
          item_id: null,
          type: 'run.queued',
          data: { items_total: input.items.length, mode: run.mode, trigger: run.trigger.type },
        },
      ],
      now,
    );
    await ctx.notifyWork?.(db);
    return { run: toRun(row), created: true };
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

export async function listRuns(ctx: SqlContext, ws: string, f: RunFilter, opts: { limit: number; cursor?: string }): Promise<Page<RunRecord>> {
  const before = cursorValue<string>(opts.cursor, 'string');
  let q = whereRunFilter(ctx, ctx.db.selectFrom('runs').selectAll().where('workspace_id', '=', ws), f);
  if (before !== undefined) q = q.where('id', '<', before);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(opts.limit + 1)
    .execute();
  const data = rows.slice(0, opts.limit).map(toRun);
  const last = data.at(-1);
  return { data, next_cursor: rows.length > opts.limit && last ? encodeCursor(last.id) : null };
}

export async function listItems(
  ctx: SqlContext,
  ws: string,
  runId: string,
  f: { status?: ItemStatus[] },
  opts: { limit: number; cursor?: string },
): Promise<Page<ItemRecord>> {
  const after = cursorValue<number>(opts.cursor, 'number') ?? -1;
  let q = ctx.db.selectFrom('items').selectAll().where('workspace_id', '=', ws).where('run_id', '=', runId).where('ordinal', '>', after);
  if (f.status?.length) q = q.where('status', 'in', f.status);
  const rows = await q
    .orderBy('ordinal')
    .limit(opts.limit + 1)
    .execute();
  const data = rows.slice(0, opts.limit).map(toItem);
  const last = data.at(-1);
  return { data, next_cursor: rows.length > opts.limit && last ? encodeCursor(last.ordinal) : null };
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
  const rows = await q.orderBy('seq').limit(limit).execute();
  return rows.map(toEvent);
}
