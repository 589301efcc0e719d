/** Events, rules, schedules, fires and webhooks over a SQL context (dialect-neutral; migration 0015). */
import type {
  FireRecord,
  FireStatus,
  RuleDefinition,
  RuleRecord,
  ScheduleDefinition,
  ScheduleRecord,
  TriggerEventRecord,
  TriggerStatus,
} from '../../core/triggers.js';
import type { HookRecord, HookRejectionRecord, NewFire, TriggerStore } from '../trigger-port.js';
import { cursorAfter, keysetPage, type SqlContext } from './context.js';
import { sqlTriggerConcurrency } from './trigger-concurrency-repo.js';
import type { HooksTable, RulesTable, SchedulesTable, TriggerEventsTable, TriggerFiresTable } from './trigger-schema.js';

function toEvent(r: TriggerEventsTable): TriggerEventRecord {
  return {
    id: r.id,
    workspace_id: r.workspace_id,
    name: r.name,
    data: JSON.parse(r.data) as unknown,
    client_id: r.client_id,
    source_type: r.source_type === 'webhook' ? 'webhook' : 'api',
    source_id: r.source_id,
    actor: r.actor,
    ts: Number(r.ts),
    created_at: Number(r.created_at),
  };
}

function toRule(r: RulesTable): RuleRecord {
  return {
    id: r.id,
    workspace_id: r.workspace_id,
    version: Number(r.version),
    status: r.status === 'paused' ? 'paused' : 'active',
    definition: JSON.parse(r.definition) as RuleDefinition,
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
  };
}

function toSchedule(r: SchedulesTable): ScheduleRecord {
  return {
    id: r.id,
    workspace_id: r.workspace_id,
    version: Number(r.version),
    status: r.status === 'paused' ? 'paused' : 'active',
    definition: JSON.parse(r.definition) as ScheduleDefinition,
    cursor_at: Number(r.cursor_at),
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
  };
}

function toFire(r: TriggerFiresTable): FireRecord {
  return {
    workspace_id: r.workspace_id,
    source_type: r.source_type === 'schedule' ? 'schedule' : 'rule',
    source_id: r.source_id,
    source_version: Number(r.source_version),
    cause: r.cause,
    event_id: r.event_id,
    group_key: r.group_key,
    slot_at: r.slot_at === null ? null : Number(r.slot_at),
    status: r.status as FireStatus,
    reason: r.reason,
    run_id: r.run_id,
    attempts: Number(r.attempts),
    lease_until: Number(r.lease_until),
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
  };
}

function toHook(r: HooksTable): HookRecord {
  return {
    ...r,
    status: r.status === 'paused' ? 'paused' : 'active',
    max_body_bytes: Number(r.max_body_bytes),
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
  };
}

function fireRow(ws: string, f: NewFire, now: number): TriggerFiresTable {
  return { ...f, workspace_id: ws, attempts: 0, created_at: now, updated_at: now };
}

/** The {@link TriggerStore} over a SQL context. */
export function sqlTriggerStore(ctx: SqlContext): TriggerStore {
  const db = ctx.db;
  return {
    ...sqlTriggerConcurrency(ctx, toFire as (r: never) => FireRecord),
    async recordEvent(ev, windowMs, decide, now) {
      return ctx.tx(async (tx) => {
        const ws = ev.workspace_id;
        if (ev.dedupe_key !== null) {
          // A key past its window is released (kept on the event as client_id only).
          await tx
            .updateTable('trigger_events')
            .set({ dedupe_key: null })
            .where('workspace_id', '=', ws)
            .where('dedupe_key', '=', ev.dedupe_key)
            .where('created_at', '<', now - windowMs)
            .execute();
        }
        const ins = await tx
          .insertInto('trigger_events')
          .values({ ...ev, data: JSON.stringify(ev.data ?? null) })
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        if (Number(ins.numInsertedOrUpdatedRows ?? 0n) === 0 && ev.dedupe_key !== null) {
          const first = await tx
            .selectFrom('trigger_events')
            .selectAll()
            .where('workspace_id', '=', ws)
            .where('dedupe_key', '=', ev.dedupe_key)
            .executeTakeFirstOrThrow();
          return { event: toEvent(first), created: false, fires: [] };
        }
        const rules = await tx.selectFrom('rules').selectAll().where('workspace_id', '=', ws).where('on_event', '=', ev.name).orderBy('id').execute();
        const fires = decide(rules.map(toRule)).map((f) => fireRow(ws, f, now));
        const grouped = fires.filter((f) => f.group_key !== null && f.status === 'pending');
        if (grouped.length > 0) {
          // Debounce: events of one rule take turns (PostgreSQL: the rule's row lock; SQLite's
          // writer is single), so each sees the fire it supersedes.
          if (ctx.dialect === 'postgres') {
            await tx
              .selectFrom('rules')
              .select('id')
              .where('id', 'in', [...new Set(grouped.map((f) => f.source_id))])
              .orderBy('id')
              .forUpdate()
              .execute();
          }
          for (const f of grouped) {
            await tx
              .updateTable('trigger_fires')
              .set({ status: 'skipped', reason: 'debounced', updated_at: now })
              .where('source_id', '=', f.source_id)
              .where('group_key', '=', f.group_key)
              .where('status', '=', 'pending')
              .execute();
          }
        }
        if (fires.length > 0) await tx.insertInto('trigger_fires').values(fires).execute();
        const { dedupe_key: _k, ...event } = ev;
        return { event, created: true, fires: fires.map(toFire) };
      });
    },
    async getEvent(ws, id) {
      const r = await db.selectFrom('trigger_events').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
      return r && toEvent(r);
    },
    async listEvents(ws, f, opts) {
      let q = db.selectFrom('trigger_events').selectAll().where('workspace_id', '=', ws);
      if (f.name !== undefined) q = q.where('name', '=', f.name);
      if (f.source_id !== undefined) q = q.where('source_id', '=', f.source_id);
      if (f.created_after !== undefined) q = q.where('created_at', '>=', f.created_after);
      if (f.created_before !== undefined) q = q.where('created_at', '<', f.created_before);
      const after = cursorAfter<string>(opts.cursor, 'string');
      if (after !== undefined) q = q.where('id', '<', after);
      const rows = await q
        .orderBy('id', 'desc')
        .limit(opts.limit + 1)
        .execute();
      return keysetPage(rows, opts.limit, toEvent, (e) => e.id);
    },

    async createRule(rule) {
      await ctx.tx(async (tx) => {
        const definition = JSON.stringify(rule.definition);
        await tx
          .insertInto('rules')
          .values({
            id: rule.id,
            workspace_id: rule.workspace_id,
            name: rule.definition.name,
            version: rule.version,
            on_event: rule.definition.on,
            status: rule.status,
            definition,
            created_at: rule.created_at,
            updated_at: rule.updated_at,
          })
          .execute();
        await tx
          .insertInto('rule_versions')
          .values({ rule_id: rule.id, version: rule.version, workspace_id: rule.workspace_id, definition, created_at: rule.created_at })
          .execute();
      });
      return rule;
    },
    async updateRule(ws, id, def, now) {
      return ctx.tx(async (tx) => {
        const cur = await tx.selectFrom('rules').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
        if (!cur) return undefined;
        const version = Number(cur.version) + 1;
        const definition = JSON.stringify(def);
        await tx.updateTable('rules').set({ version, definition, name: def.name, on_event: def.on, updated_at: now }).where('id', '=', id).execute();
        await tx.insertInto('rule_versions').values({ rule_id: id, version, workspace_id: ws, definition, created_at: now }).execute();
        return toRule({ ...cur, version, definition, name: def.name, on_event: def.on, updated_at: now });
      });
    },
    async setRuleStatus(ws, id, status, now) {
      await db.updateTable('rules').set({ status, updated_at: now }).where('workspace_id', '=', ws).where('id', '=', id).execute();
      return this.getRule(ws, id);
    },
    async getRule(ws, id) {
      const r = await db.selectFrom('rules').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
      return r && toRule(r);
    },
    async getRuleVersion(ruleId, version) {
      const r = await db.selectFrom('rule_versions').select('definition').where('rule_id', '=', ruleId).where('version', '=', version).executeTakeFirst();
      return r && (JSON.parse(r.definition) as RuleDefinition);
    },
    async listRules(ws) {
      const rows = await db.selectFrom('rules').selectAll().where('workspace_id', '=', ws).orderBy('id').execute();
      return rows.map(toRule);
    },
    async deleteRule(ws, id) {
      const r = await db.deleteFrom('rules').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async createSchedule(s) {
      await db
        .insertInto('schedules')
        .values({
          id: s.id,
          workspace_id: s.workspace_id,
          name: s.definition.name,
          version: s.version,
          status: s.status,
          definition: JSON.stringify(s.definition),
          cursor_at: s.cursor_at,
          created_at: s.created_at,
          updated_at: s.updated_at,
        })
        .execute();
      return s;
    },
    async updateSchedule(ws, id, def, now) {
      const cur = await this.getSchedule(ws, id);
      if (!cur) return undefined;
      await db
        .updateTable('schedules')
        .set({ name: def.name, definition: JSON.stringify(def), version: cur.version + 1, cursor_at: Math.max(cur.cursor_at, now), updated_at: now })
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .execute();
      return this.getSchedule(ws, id);
    },
    async setScheduleStatus(ws, id, status, now) {
      let q = db.updateTable('schedules').set({ status, updated_at: now });
      if (status === 'active') q = q.set({ cursor_at: now });
      // Resuming an active schedule keeps its cursor.
      await q.where('workspace_id', '=', ws).where('id', '=', id).where('status', '!=', status).execute();
      return this.getSchedule(ws, id);
    },
    async getSchedule(ws, id) {
      const r = await db.selectFrom('schedules').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
      return r && toSchedule(r);
    },
    async listSchedules(ws) {
      const rows = await db.selectFrom('schedules').selectAll().where('workspace_id', '=', ws).orderBy('id').execute();
      return rows.map(toSchedule);
    },
    async activeSchedules() {
      const rows = await db.selectFrom('schedules').selectAll().where('status', '=', 'active').orderBy('id').execute();
      return rows.map(toSchedule);
    },
    async deleteSchedule(ws, id) {
      const r = await db.deleteFrom('schedules').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async claimSlots(ws, scheduleId, expected, cursor, fires, now) {
      return ctx.tx(async (tx) => {
        const moved = await tx
          .updateTable('schedules')
          .set({ cursor_at: cursor })
          .where('workspace_id', '=', ws)
          .where('id', '=', scheduleId)
          .where('status', '=', 'active')
          .where('cursor_at', '=', expected)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) === 0) return [];
        const out: FireRecord[] = [];
        for (const f of fires) {
          const row = fireRow(ws, f, now);
          const ins = await tx
            .insertInto('trigger_fires')
            .values(row)
            .onConflict((oc) => oc.doNothing())
            .executeTakeFirst();
          if (Number(ins.numInsertedOrUpdatedRows ?? 0n) > 0) out.push(toFire(row));
        }
        return out;
      });
    },

    async claimPendingFires(now, leaseMs, limit) {
      const rows = await db
        .selectFrom('trigger_fires')
        .selectAll()
        .where('status', '=', 'pending')
        .where('lease_until', '<=', now)
        .orderBy('lease_until')
        .limit(limit)
        .execute();
      const out: FireRecord[] = [];
      for (const r of rows) {
        const upd = await db
          .updateTable('trigger_fires')
          .set({ lease_until: now + leaseMs, attempts: Number(r.attempts) + 1, updated_at: now })
          .where('source_id', '=', r.source_id)
          .where('cause', '=', r.cause)
          .where('status', '=', 'pending')
          .where('lease_until', '=', r.lease_until)
          .executeTakeFirst();
        if (Number(upd.numUpdatedRows) > 0) out.push(toFire({ ...r, lease_until: now + leaseMs, attempts: Number(r.attempts) + 1, updated_at: now }));
      }
      return out;
    },
    async takeRateToken(sourceId, windowStart, limit, cause) {
      const mine = await db.selectFrom('trigger_rate_tokens').select('n').where('source_id', '=', sourceId).where('cause', '=', cause).executeTakeFirst();
      if (mine) return true;
      const taken = await db.selectFrom('trigger_rate_tokens').select('n').where('source_id', '=', sourceId).where('window_start', '=', windowStart).execute();
      const used = new Set(taken.map((t) => Number(t.n)));
      for (let n = 1; n <= limit; n++) {
        if (used.has(n)) continue;
        const ins = await db
          .insertInto('trigger_rate_tokens')
          .values({ source_id: sourceId, window_start: windowStart, n, cause })
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        if (Number(ins.numInsertedOrUpdatedRows ?? 0n) > 0) return true;
        // Taken meanwhile (or this cause took one concurrently): look again.
        const again = await db.selectFrom('trigger_rate_tokens').select('n').where('source_id', '=', sourceId).where('cause', '=', cause).executeTakeFirst();
        if (again) return true;
      }
      return false;
    },
    async finishFire(key, patch, now) {
      await db
        .updateTable('trigger_fires')
        .set({ ...patch, updated_at: now })
        .where('source_id', '=', key.source_id)
        .where('cause', '=', key.cause)
        .where('status', '=', 'pending')
        .execute();
    },
    async listFires(ws, by) {
      if ('event_ids' in by) {
        if (by.event_ids.length === 0) return [];
        const rows = await db
          .selectFrom('trigger_fires')
          .selectAll()
          .where('workspace_id', '=', ws)
          .where('event_id', 'in', by.event_ids)
          .orderBy('source_id')
          .execute();
        return rows.map(toFire);
      }
      const rows = await db
        .selectFrom('trigger_fires')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('source_id', '=', by.source_id)
        .orderBy('created_at', 'desc')
        .orderBy('cause', 'desc')
        .limit(by.limit)
        .execute();
      return rows.map(toFire);
    },

    async createHook(h) {
      await db.insertInto('hooks').values(h).execute();
      return h;
    },
    async findHook(id) {
      const r = await db.selectFrom('hooks').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toHook(r);
    },
    async getHook(ws, id) {
      const r = await db.selectFrom('hooks').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
      return r && toHook(r);
    },
    async listHooks(ws) {
      const rows = await db.selectFrom('hooks').selectAll().where('workspace_id', '=', ws).orderBy('id').execute();
      return rows.map(toHook);
    },
    async updateHook(ws, id, patch, now) {
      await db
        .updateTable('hooks')
        .set({ ...patch, updated_at: now })
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .execute();
      return this.getHook(ws, id);
    },
    async deleteHook(ws, id) {
      const r = await db.deleteFrom('hooks').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async recordHookRejection(r: HookRejectionRecord) {
      await db.insertInto('hook_rejections').values(r).execute();
    },
    async listHookRejections(ws, hookId, limit) {
      const rows = await db
        .selectFrom('hook_rejections')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('hook_id', '=', hookId)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ ...r, status: Number(r.status), created_at: Number(r.created_at) }));
    },
  };
}

export type { TriggerStatus };
