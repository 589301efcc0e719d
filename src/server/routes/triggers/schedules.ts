/**
 * Schedules: cron (+ seconds) in a time zone, one run per slot across all nodes, pause/resume,
 * next 5 fire times.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { FireRecord, ScheduleDefinition, ScheduleRecord } from '../../../core/triggers.js';
import type { Engine } from '../../../engine/engine.js';
import { wsOf } from '../../auth/principal.js';
import { RunTargetBody } from '../../manual-run-schemas.js';
import { iso } from '../../present.js';
import { ErrorSchema, json } from '../../schemas.js';
import { FireSchema, Id, Status, presentFire, runOptionFields, timeField } from './shared.js';

const ScheduleBody = z
  .object({
    name: z.string().min(1).max(200),
    cron: z.string().min(1).max(200).openapi({ description: '5 fields, or 6 with seconds first', example: '0 */5 * * * *' }),
    timezone: z.string().min(1).max(100).optional().openapi({ description: 'IANA time zone; default UTC' }),
    catch_up: z.enum(['none', 'latest', 'all']).optional().openapi({ description: 'Slots missed while no node ran: none (default), the latest, or all' }),
    end_at: z.string().optional().openapi({ description: 'ISO-8601; no slot after it fires' }),
    target: RunTargetBody,
    ...runOptionFields,
    status: Status.optional(),
  })
  .strict()
  .openapi('ScheduleInput');

const ScheduleSchema = z
  .object({
    id: z.string(),
    version: z.number().int(),
    status: Status,
    name: z.string(),
    cron: z.string(),
    timezone: z.string(),
    catch_up: z.string(),
    end_at: z.string().nullable(),
    target: z.record(z.string(), z.unknown()),
    prompt: z.string().nullable(),
    mode: z.string().nullable(),
    profile: z.string().nullable(),
    next_fire_times: z.array(z.string()),
    created_at: z.string(),
    updated_at: z.string(),
    recent_fires: z.array(FireSchema).optional(),
  })
  .openapi('Schedule');

function presentSchedule(engine: Engine, s: ScheduleRecord, fires?: FireRecord[]): z.infer<typeof ScheduleSchema> {
  const d = s.definition;
  let next: number[];
  try {
    next = s.status === 'active' ? engine.triggers.schedules.nextFireTimes(s) : [];
  } catch {
    // A definition that no longer decides (e.g. a time zone dropped from the runtime) shows none.
    next = [];
  }
  return {
    id: s.id,
    version: s.version,
    status: s.status,
    name: d.name,
    cron: d.cron,
    timezone: d.timezone,
    catch_up: d.catch_up,
    end_at: d.end_at === undefined ? null : iso(d.end_at),
    target: d.target,
    prompt: d.prompt ?? null,
    mode: d.mode ?? null,
    profile: d.profile ?? null,
    next_fire_times: next.map((t) => iso(t)),
    created_at: iso(s.created_at),
    updated_at: iso(s.updated_at),
    ...(fires ? { recent_fires: fires.map(presentFire) } : {}),
  };
}

function scheduleDef(b: z.infer<typeof ScheduleBody>): ScheduleDefinition {
  const { status: _s, target, end_at, timezone, catch_up, ...rest } = b;
  const end = timeField(end_at, 'end_at');
  return {
    ...(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Pick<ScheduleDefinition, 'name' | 'cron'>),
    timezone: timezone ?? 'UTC',
    catch_up: catch_up ?? 'none',
    ...(end === undefined ? {} : { end_at: end }),
    target: target as ScheduleDefinition['target'],
  };
}

/** Registers the schedule routes. */
export function scheduleRoutes(app: OpenAPIHono, engine: Engine): void {
  const t = engine.triggers.schedules;
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/schedules',
      summary: 'Create a schedule: cron (seconds optional) in a time zone; one run per slot across all nodes',
      request: { body: { content: { 'application/json': { schema: ScheduleBody } }, required: true } },
      responses: {
        201: json(ScheduleSchema, 'The schedule'),
        422: json(ErrorSchema, 'Invalid cron, unknown time zone, never fires, bad target (details.field)'),
      },
    }),
    async (c) => {
      const b = c.req.valid('json');
      return c.json(presentSchedule(engine, await t.createSchedule(wsOf(c), scheduleDef(b), b.status ?? 'active')), 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/schedules',
      summary: 'Schedules of the workspace',
      responses: { 200: json(z.object({ data: z.array(ScheduleSchema) }), 'Schedules') },
    }),
    async (c) => c.json({ data: (await t.listSchedules(wsOf(c))).map((s) => presentSchedule(engine, s)) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/schedules/{schedule_id}',
      summary: 'One schedule: next 5 fire times and recent fires',
      request: { params: Id('schedule_id') },
      responses: { 200: json(ScheduleSchema, 'The schedule'), 404: json(ErrorSchema, 'Unknown schedule') },
    }),
    async (c) => {
      const id = c.req.valid('param').schedule_id as string;
      return c.json(presentSchedule(engine, await t.getSchedule(wsOf(c), id), await engine.triggers.fires(wsOf(c), id)), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/schedules/{schedule_id}',
      summary: 'Edit a schedule (the fields given, over its definition): saved as a new version that fires from now on',
      request: {
        params: Id('schedule_id'),
        body: { content: { 'application/json': { schema: ScheduleBody.partial().strict().openapi('SchedulePatch') } }, required: true },
      },
      responses: {
        200: json(ScheduleSchema, 'The schedule at its new version'),
        404: json(ErrorSchema, 'Unknown schedule'),
        422: json(ErrorSchema, 'Invalid input, nothing saved (details.field)'),
      },
    }),
    async (c) => {
      const id = c.req.valid('param').schedule_id as string;
      const { status, end_at, target, ...rest } = c.req.valid('json');
      const end = timeField(end_at, 'end_at');
      const patch = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<ScheduleDefinition>;
      let s = await t.updateSchedule(wsOf(c), id, {
        ...patch,
        ...(end === undefined ? {} : { end_at: end }),
        ...(target === undefined ? {} : { target: target as ScheduleDefinition['target'] }),
      });
      if (status !== undefined && status !== s.status) s = await t.setScheduleStatus(wsOf(c), id, status);
      return c.json(presentSchedule(engine, s), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/schedules/{schedule_id}',
      summary: 'Delete a schedule (runs it started stay)',
      request: { params: Id('schedule_id') },
      responses: { 204: { description: 'Deleted' }, 404: json(ErrorSchema, 'Unknown schedule') },
    }),
    async (c) => {
      await t.deleteSchedule(wsOf(c), c.req.valid('param').schedule_id as string);
      return c.body(null, 204);
    },
  );
  for (const action of ['pause', 'resume'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/schedules/{schedule_id}/${action}`,
        summary: action === 'pause' ? 'Pause a schedule' : 'Resume a schedule (slots passed while paused do not fire)',
        request: { params: Id('schedule_id') },
        responses: { 200: json(ScheduleSchema, 'The schedule'), 404: json(ErrorSchema, 'Unknown schedule') },
      }),
      async (c) =>
        c.json(
          presentSchedule(engine, await t.setScheduleStatus(wsOf(c), c.req.valid('param').schedule_id as string, action === 'pause' ? 'paused' : 'active')),
          200,
        ),
    );
  }
}
