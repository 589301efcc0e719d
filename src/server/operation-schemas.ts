/**
 * API contract of bulk operations and run counts (kept apart from schemas.ts so run control,
 * secrets and these endpoints can grow without touching one file), with the operation presenter.
 */
import { z } from '@hono/zod-openapi';
import { OPERATION_ACTIONS } from '../core/operation.js';
import type { OperationRecord } from '../store/port.js';
import { iso } from './present.js';
import { presentFilter, RunFilterBody, RunFilterSchema } from './run-filter.js';

const isoTime = z.string().openapi({ example: '2026-11-21T07:00:00.000Z' });

export const OperationSchema = z
  .object({
    id: z.string().openapi({ example: 'op_01jd…' }),
    action: z.enum(OPERATION_ACTIONS as [string, ...string[]]),
    filter: RunFilterSchema.openapi({ description: 'The effective filter: delete only selects finished runs, cancel only unfinished ones' }),
    status: z.enum(['running', 'succeeded', 'failed']),
    total: z.number().int().openapi({ description: 'Runs matched when it started; once finished, the runs visited' }),
    succeeded: z.number().int(),
    failed: z.number().int().openapi({ description: 'Runs the action was refused for (e.g. a finished run cannot be canceled)' }),
    error: z.string().nullable().openapi({ description: 'Why it failed; with status succeeded and failed > 0, the first refusal' }),
    created_at: isoTime,
    updated_at: isoTime,
    finished_at: isoTime.nullable(),
  })
  .openapi('Operation');

export const CreateOperationBody = z
  .object({
    action: z.enum(OPERATION_ACTIONS as [string, ...string[]]).openapi({ example: 'delete' }),
    filter: RunFilterBody,
  })
  .strict()
  .openapi('CreateOperation');

export const RunCountSchema = z.object({ count: z.number().int() }).openapi('RunCount');

export function presentOperation(op: OperationRecord): z.infer<typeof OperationSchema> {
  return {
    id: op.id,
    action: op.action,
    filter: presentFilter(op.filter),
    status: op.status,
    total: op.total,
    succeeded: op.succeeded,
    failed: op.failed,
    error: op.error,
    created_at: iso(op.created_at),
    updated_at: iso(op.updated_at),
    finished_at: iso(op.finished_at),
  };
}
