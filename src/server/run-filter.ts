/**
 * The run filter as the API speaks it: query parameters (`GET /v1/runs/count`, exports) and
 * the `filter` object of a bulk operation. Comma-separated (query) or array (body) values are
 * OR-ed; statuses accept the aliases `completed`, `cancelled`, `pending`; times are ISO-8601.
 */
import { z } from '@hono/zod-openapi';
import { ValidationError } from '../core/errors.js';
import type { RunKind, RunMode, TriggerType } from '../core/model.js';
import { parseRunStatus, type RunStatus } from '../core/status.js';
import type { RunFilter } from '../store/port.js';
import { iso } from './present.js';

const KINDS = ['column', 'flow', 'worker', 'ingestion', 'chain'] as const;
const MODES = ['live', 'dry_run', 'smoke_test'] as const;
const TRIGGERS = ['manual', 'api', 'rule', 'schedule', 'webhook', 'event', 'chat'] as const;

/** Query parameters selecting runs (the filters of `GET /v1/runs`, without paging). */
export const RunFilterQuery = z.object({
  status: z.string().optional().openapi({ description: 'Comma-separated statuses; aliases completed, cancelled, pending accepted' }),
  kind: z
    .string()
    .optional()
    .openapi({ description: `Comma-separated: ${KINDS.join(', ')}` }),
  mode: z
    .string()
    .optional()
    .openapi({ description: `Comma-separated: ${MODES.join(', ')}` }),
  trigger: z
    .string()
    .optional()
    .openapi({ description: `Comma-separated: ${TRIGGERS.join(', ')}` }),
  target_id: z.string().optional(),
  name: z.string().max(200).optional().openapi({ description: 'Case-insensitive substring of the run name' }),
  created_after: z.string().optional().openapi({ description: 'ISO-8601; inclusive' }),
  created_before: z.string().optional().openapi({ description: 'ISO-8601; exclusive' }),
});

const listValue = z.union([z.string(), z.array(z.string()).max(20)]);

/** The `filter` of a bulk operation. */
export const RunFilterBody = z
  .object({
    status: listValue.optional(),
    kind: listValue.optional(),
    mode: listValue.optional(),
    trigger: listValue.optional(),
    target_id: z.string().optional(),
    name: z.string().max(200).optional(),
    created_after: z.string().optional(),
    created_before: z.string().optional(),
  })
  .strict()
  .openapi('RunFilter');

/** A filter as the API shows it (e.g. in an Operation): arrays and ISO-8601 times. */
export const RunFilterSchema = z
  .object({
    status: z.array(z.string()).optional(),
    kind: z.array(z.string()).optional(),
    mode: z.array(z.string()).optional(),
    trigger: z.array(z.string()).optional(),
    target_id: z.string().optional(),
    name: z.string().optional(),
    created_after: z.string().optional(),
    created_before: z.string().optional(),
  })
  .openapi('RunFilterShown');

function oneOf<T extends string>(values: readonly T[]) {
  return (v: string) => ((values as readonly string[]).includes(v.trim().toLowerCase()) ? (v.trim().toLowerCase() as T) : undefined);
}

/**
 * A comma list (or array) checked value by value with `parse`; duplicates dropped.
 * @throws ValidationError naming `field` and the first unknown value
 */
export function listOf<T extends string>(raw: string | string[] | undefined, field: string, parse: (v: string) => T | undefined): T[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  const values = Array.isArray(raw) ? raw : raw.split(',');
  if (values.length === 0) return undefined;
  return [
    ...new Set(
      values.map((v) => {
        const p = parse(v);
        if (p === undefined) throw new ValidationError(`${field}: unknown value ${JSON.stringify(v.slice(0, 100))}`, { field });
        return p;
      }),
    ),
  ];
}

function timeOf(raw: string | undefined, field: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(ms))
    throw new ValidationError(`${field}: expected an ISO-8601 time such as 2026-11-21T07:00:00Z`, { field });
  return ms;
}

type FilterInput = { [K in keyof z.infer<typeof RunFilterBody>]?: z.infer<typeof RunFilterBody>[K] | undefined };

/**
 * Parses filter values from the query or a body.
 * @param prefix prepended to field names in errors (`filter.` for a body)
 * @throws ValidationError naming the field
 */
export function parseRunFilter(q: FilterInput, prefix = ''): RunFilter {
  const f: RunFilter = {};
  const status = listOf<RunStatus>(q.status, `${prefix}status`, parseRunStatus);
  const kind = listOf<RunKind>(q.kind, `${prefix}kind`, oneOf(KINDS));
  const mode = listOf<RunMode>(q.mode, `${prefix}mode`, oneOf(MODES));
  const trigger = listOf<TriggerType>(q.trigger, `${prefix}trigger`, oneOf(TRIGGERS));
  const after = timeOf(q.created_after, `${prefix}created_after`);
  const before = timeOf(q.created_before, `${prefix}created_before`);
  if (status) f.status = status;
  if (kind) f.kind = kind;
  if (mode) f.mode = mode;
  if (trigger) f.trigger = trigger;
  if (q.target_id) f.target_id = q.target_id;
  if (q.name) f.name = q.name;
  if (after !== undefined) f.created_after = after;
  if (before !== undefined) f.created_before = before;
  return f;
}

/** A stored filter in API form. */
export function presentFilter(f: RunFilter): z.infer<typeof RunFilterSchema> {
  const out: z.infer<typeof RunFilterSchema> = {};
  if (f.status) out.status = f.status;
  if (f.kind) out.kind = f.kind;
  if (f.mode) out.mode = f.mode;
  if (f.trigger) out.trigger = f.trigger;
  if (f.target_id !== undefined) out.target_id = f.target_id;
  if (f.name !== undefined) out.name = f.name;
  if (f.created_after !== undefined) out.created_after = iso(f.created_after);
  if (f.created_before !== undefined) out.created_before = iso(f.created_before);
  return out;
}
