/**
 * What the trigger routes share (issue 15): the fire schema, run option fields, time parsing.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ValidationError } from '../../../core/errors.js';
import type { FireRecord } from '../../../core/triggers.js';
import { principalOf } from '../../auth/principal.js';
import { iso } from '../../present.js';

/** A path parameter `name`. */
export const Id = (name: string) => z.object({ [name]: z.string().min(1).max(100) });
export const Status = z.enum(['active', 'paused']);

export const FireSchema = z
  .object({
    source_type: z.enum(['rule', 'schedule']),
    source_id: z.string(),
    source_version: z.number().int(),
    cause: z.string(),
    event_id: z.string().nullable(),
    slot_at: z.string().nullable(),
    status: z.enum(['pending', 'started', 'skipped', 'failed']),
    reason: z.string().nullable(),
    run_id: z.string().nullable(),
  })
  .openapi('TriggerFire', { description: 'One cause routed to at most one run (a rule + an event, or a schedule + a slot).' });

export const runOptionFields = {
  prompt: z
    .string()
    .max(32 * 1024)
    .optional(),
  mode: z.enum(['live', 'dry_run', 'smoke_test']).optional(),
  profile: z.string().min(1).max(100).optional(),
  run_name: z.string().min(1).max(200).optional(),
};

/** An ISO-8601 time as epoch ms. @throws ValidationError naming `field` */
export function timeField(v: string | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(ms))
    throw new ValidationError(`${field}: expected an ISO-8601 time such as 2026-11-21T07:00:00Z`, { field });
  return ms;
}

export function presentFire(f: FireRecord): z.infer<typeof FireSchema> {
  return {
    source_type: f.source_type,
    source_id: f.source_id,
    source_version: f.source_version,
    cause: f.cause,
    event_id: f.event_id,
    slot_at: iso(f.slot_at),
    status: f.status,
    reason: f.reason,
    run_id: f.run_id,
  };
}

/** The token name of the caller, or null. */
export function actorOf(c: Context): string | null {
  try {
    return principalOf(c).token_name;
  } catch {
    return null;
  }
}
