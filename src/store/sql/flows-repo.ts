/**
 * Flow definitions and waits (flows-port.ts), for both dialects.
 */
import { sql } from 'kysely';
import { NotFoundError } from '../../core/errors.js';
import type { ItemWait } from '../../core/model.js';
import type { FlowRecord, FlowStore, NewFlowVersion, WaitRecord, WaitStatus } from '../flows-port.js';
import { fromJson, toJson, type SqlContext } from './context.js';
import type { FlowsTable } from './schema.js';

function toFlow(r: FlowsTable): FlowRecord {
  return {
    id: r.id,
    version: Number(r.version),
    workspace_id: r.workspace_id,
    name: r.name,
    description: r.description,
    definition: JSON.parse(r.definition) as Record<string, unknown>,
    source: r.source,
    created_at: Number(r.created_at),
  };
}

/** The columns of a wait joined with its item's question and its run. */
function waitQuery(ctx: SqlContext) {
  return ctx.db
    .selectFrom('waits as w')
    .innerJoin('items as i', 'i.id', 'w.item_id')
    .innerJoin('runs as r', 'r.id', 'w.run_id')
    .select([
      'w.id',
      'w.workspace_id',
      'w.run_id',
      'w.item_id',
      'w.step_key',
      'w.phase',
      'w.title',
      'w.status',
      'w.on_timeout',
      'w.expires_at',
      'w.response',
      'w.responded_by',
      'w.idempotency_key',
      'w.reason',
      'w.created_at',
      'w.closed_at',
      'i.waiting',
      'i.status as item_status',
      'r.status as run_status',
      'r.name as run_name',
    ]);
}

type WaitRow = Awaited<ReturnType<ReturnType<typeof waitQuery>['executeTakeFirstOrThrow']>>;

function toWait(r: WaitRow): WaitRecord {
  const q = fromJson<ItemWait>(r.waiting ?? null);
  // An open wait whose item no longer waits was closed with its run (a cancel).
  const status = r.status === 'open' && r.item_status !== 'waiting_for_input' ? 'canceled' : (r.status as WaitStatus);
  return {
    id: r.id,
    workspace_id: r.workspace_id,
    run_id: r.run_id,
    item_id: r.item_id,
    step_key: r.step_key,
    phase: r.phase,
    title: r.title,
    prompt: q?.prompt ?? '',
    form: q?.form ?? null,
    decisions: q?.decisions ?? [],
    default: q?.default ?? null,
    assignees: q?.assignees ?? [],
    event: q?.event ?? null,
    status,
    on_timeout: r.on_timeout as WaitRecord['on_timeout'],
    expires_at: Number(r.expires_at),
    response: fromJson<Record<string, unknown>>(r.response),
    responded_by: r.responded_by,
    idempotency_key: r.idempotency_key,
    reason: r.reason ?? (status === 'canceled' && r.status === 'open' ? `run ${r.run_status}` : null),
    created_at: Number(r.created_at),
    closed_at: r.closed_at === null ? null : Number(r.closed_at),
    run_status: r.run_status,
    run_name: r.run_name,
  };
}

/** The flow store over a SQL context. */
export function sqlFlowStore(ctx: SqlContext): FlowStore {
  const insert = async (ws: string, id: string, version: number, v: NewFlowVersion, now: number): Promise<FlowRecord> => {
    const row: FlowsTable = {
      id,
      version,
      workspace_id: ws,
      name: v.name,
      description: v.description,
      definition: toJson(v.definition) ?? '{}',
      source: v.source,
      created_at: now,
    };
    await ctx.db.insertInto('flows').values(row).execute();
    return toFlow(row);
  };
  return {
    createFlow: (ws, v, now) => insert(ws, ctx.newId('flw'), 1, v, now),
    async addVersion(ws, id, v, now) {
      // The (id, version) key refuses a concurrent second writer of the same version.
      const top = await ctx.db
        .selectFrom('flows')
        .select(sql<number | null>`MAX(version)`.as('v'))
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .executeTakeFirst();
      if (top?.v === null || top?.v === undefined) throw new NotFoundError('flow', id);
      return insert(ws, id, Number(top.v) + 1, v, now);
    },
    async getFlow(ws, id, version) {
      let q = ctx.db.selectFrom('flows').selectAll().where('workspace_id', '=', ws).where('id', '=', id);
      q = version === undefined ? q.orderBy('version', 'desc').limit(1) : q.where('version', '=', version);
      const r = await q.executeTakeFirst();
      return r && toFlow(r);
    },
    async listFlows(ws) {
      const rows = await ctx.db
        .selectFrom('flows as f')
        .selectAll('f')
        .where('f.workspace_id', '=', ws)
        .where(({ eb, selectFrom }) =>
          eb(
            'f.version',
            '=',
            selectFrom('flows as g')
              .select(sql<number>`MAX(g.version)`.as('m'))
              .whereRef('g.id', '=', 'f.id'),
          ),
        )
        .orderBy('f.name')
        .orderBy('f.id')
        .execute();
      return rows.map(toFlow);
    },
    async getWait(ws, id) {
      const r = await waitQuery(ctx).where('w.workspace_id', '=', ws).where('w.id', '=', id).executeTakeFirst();
      return r && toWait(r);
    },
    async waitOfItem(ws, itemId) {
      const r = await waitQuery(ctx).where('w.workspace_id', '=', ws).where('w.item_id', '=', itemId).executeTakeFirst();
      return r && toWait(r);
    },
    async listWaits(ws, filter) {
      let q = waitQuery(ctx).where('w.workspace_id', '=', ws);
      if (filter.run_id !== undefined) q = q.where('w.run_id', '=', filter.run_id);
      if (filter.status === 'open') q = q.where('w.status', '=', 'open').where('i.status', '=', 'waiting_for_input');
      else if (filter.status === 'canceled')
        q = q.where((eb) => eb.or([eb('w.status', '=', 'canceled'), eb.and([eb('w.status', '=', 'open'), eb('i.status', '!=', 'waiting_for_input')])]));
      else if (filter.status !== undefined) q = q.where('w.status', '=', filter.status);
      const rows = await q
        .orderBy('w.created_at')
        .orderBy('w.id')
        .limit(filter.limit ?? 500)
        .execute();
      return rows.map(toWait);
    },
    async dueWaits(now, limit) {
      const rows = await waitQuery(ctx)
        .where('w.status', '=', 'open')
        .where('w.expires_at', '<=', now)
        .where('i.status', '=', 'waiting_for_input')
        .orderBy('w.expires_at')
        .limit(limit)
        .execute();
      return rows.map(toWait);
    },
    async closeWait(id, status, reason, now) {
      await ctx.db.updateTable('waits').set({ status, reason, closed_at: now }).where('id', '=', id).where('status', '=', 'open').execute();
    },
  };
}
