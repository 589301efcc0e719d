/**
 * Request and response schemas (zod). They generate `/openapi.json`; the CLI, SDK and console
 * use types derived from that document. Field names are snake_case; times are ISO-8601 UTC;
 * credits are shown in credits and in integer micro-credits (`*_micro`).
 */
import { z } from '@hono/zod-openapi';
import { ITEM_STATUSES, RUN_STATUSES } from '../core/status.js';
import { manualRunFields, RunOverridesView } from './manual-run-schemas.js';

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }) })
  .openapi('Error');

const iso = z.string().openapi({ example: '2026-11-21T07:00:00.000Z' });

export const RunSchema = z
  .object({
    id: z.string().openapi({ example: 'run_01jd…' }),
    workspace_id: z.string(),
    kind: z.enum(['column', 'flow', 'worker', 'ingestion', 'chain']).openapi({ description: 'chain: a test kind, present only with RUNYARD_TEST_KINDS=1' }),
    target_id: z.string(),
    target_version: z.number().int(),
    name: z.string(),
    status: z.enum(RUN_STATUSES as [string, ...string[]]),
    phase: z.string().nullable().openapi({
      description:
        'What the run is doing now, as its kind plans it (refines running, e.g. triage, step_2); each change is a run.phase event {from, to}; null: none',
    }),
    subject: z.unknown().openapi({
      description:
        "What the run acts on (a linked record, free JSON), or null; a row subject {type: 'row', id, table_id, url} also carries label (the row's label, or null)",
    }),
    output: z.unknown().openapi({ description: 'What the run produced, as its kind reports it (free JSON), or null' }),
    mode: z.enum(['live', 'dry_run', 'smoke_test']),
    trigger: z.object({ type: z.string(), source_id: z.string().nullable(), actor: z.string().nullable() }),
    profile: z.string(),
    prompt: z.string().nullable(),
    session_id: z.string().nullable(),
    items_total: z.number().int(),
    items_succeeded: z.number().int(),
    items_failed: z.number().int(),
    items_pending: z.number().int(),
    items_running: z.number().int().openapi({ description: 'Items leased and executing' }),
    items_waiting: z.number().int().openapi({
      description: 'Items waiting for an answer (no executor slot held); items_total is the sum of the seven buckets',
    }),
    items_skipped: z.number().int(),
    items_canceled: z.number().int(),
    no_items: z.boolean(),
    credits_reserved: z.number(),
    credits_used: z.number(),
    credits_reserved_micro: z.number().int(),
    credits_used_micro: z.number().int(),
    credits_released_micro: z.number().int(),
    budget_micro: z.number().int().nullable(),
    price_version: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'The price version the run was created with (GET /v1/prices?version=N); null: no prices were set, the run is free' }),
    result_summary: z.string().nullable().openapi({
      description: "The run's result in a sentence: its kind's summary when the kind wrote one, else (once finished) its item counts; null until then",
    }),
    error: z.object({ code: z.string(), message: z.string(), item_id: z.string().nullable() }).nullable(),
    waiting_reason: z.object({ code: z.string(), message: z.string(), until: iso.nullable() }).nullable().openapi({
      description:
        'Why a non-terminal run is not progressing (no node alive, nodes at capacity, paused, backing off, …); null when it is progressing or finished',
    }),
    retry_of: z.string().nullable(),
    idempotency_key: z.string().nullable(),
    tags: z.array(z.string()),
    overrides: RunOverridesView,
    pinned: z.boolean().openapi({ description: 'Pinned runs are kept by retention' }),
    created_at: iso,
    started_at: iso.nullable(),
    finished_at: iso.nullable(),
    updated_at: iso,
    duration_ms: z.number().int().nullable(),
    web_url: z.string(),
  })
  .openapi('Run');

export const ItemErrorSchema = z.object({ code: z.string(), message: z.string(), retryable: z.boolean(), detail: z.unknown().optional() }).openapi('ItemError');

export const ItemSchema = z
  .object({
    id: z.string(),
    run_id: z.string(),
    ordinal: z.number().int(),
    key: z.string(),
    label: z
      .string()
      .nullable()
      .openapi({
        description:
          "The record the item stands for (a column run's row, a worker run's subject row, a row named by the inputs' {table_id, row_id}): " +
          "the table's label field, else the row's first non-empty text field, at most 80 characters; null when it stands for none",
      }),
    status: z.enum(ITEM_STATUSES as [string, ...string[]]),
    attempt_count: z.number().int().openapi({ description: 'Attempts counted so far (a lease lost by a live node is not counted)' }),
    max_attempts: z.number().int(),
    lease_lost_count: z.number().int().openapi({
      description: 'Times the lease was lost while its node was alive (a stall, not a crash): the attempt was given back',
    }),
    max_lease_losses: z.number().int().openapi({ description: 'Lease losses the item survives; the next one fails it lease_lost_limit' }),
    next_attempt_at: iso.nullable(),
    inputs: z.record(z.string(), z.unknown()).nullable(),
    outputs: z.record(z.string(), z.unknown()).nullable(),
    waiting: z
      .object({ prompt: z.string(), form: z.record(z.string(), z.unknown()).nullable() })
      .nullable()
      .openapi({ description: 'What a waiting item asks (kept once answered): answer it with POST /v1/runs/{run_id}/items/{item_id}/respond' }),
    error: ItemErrorSchema.nullable(),
    provider: z.string().nullable(),
    usage: z.record(z.string(), z.unknown()).nullable(),
    credits_used: z.number(),
    credits_used_micro: z.number().int(),
    started_at: iso.nullable(),
    finished_at: iso.nullable(),
    duration_ms: z.number().int().nullable(),
  })
  .openapi('Item');

export const EventSchema = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    run_id: z.string(),
    item_id: z.string().nullable(),
    type: z.string(),
    data: z.record(z.string(), z.unknown()),
    created_at: iso,
  })
  .openapi('Event');

export const TableSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    fields: z.array(z.string()),
    row_count: z.number().int(),
    created_at: iso,
    label_column: z.string().nullable().openapi({
      description: "The field that labels the table's rows in item lists and run cards; null: the row's first non-empty text field",
    }),
  })
  .openapi('Table');

/** `PATCH /v1/tables/{table_id}`: the field that labels the table's rows (null: the first non-empty text field). */
export const PatchTableBody = z
  .object({
    label_column: z.string().min(1).max(200).nullable().openapi({ description: 'A field of the table, or null for the first non-empty text field' }),
  })
  .strict()
  .openapi('PatchTable');

export const RowSchema = z.object({ id: z.string(), ordinal: z.number().int(), data: z.record(z.string(), z.unknown()) }).openapi('Row');

export const ColumnSchema = z
  .object({
    id: z.string(),
    table_id: z.string(),
    name: z.string(),
    producer: z.string(),
    config: z.record(z.string(), z.unknown()),
    profile: z.string(),
    version: z.number().int(),
    created_at: iso,
    updated_at: iso,
  })
  .openapi('Column');

export const CellSchema = z
  .object({
    table_id: z.string(),
    row_id: z.string(),
    column_id: z.string(),
    column_name: z.string(),
    status: z.string(),
    value: z.unknown(),
    inputs: z.record(z.string(), z.unknown()).nullable(),
    error: ItemErrorSchema.nullable(),
    attempts: z.number().int(),
    lease_losses: z.number().int().openapi({ description: "The item's leases lost while its node was alive (not counted as attempts)" }),
    run_id: z.string(),
    item_id: z.string(),
    updated_at: iso,
  })
  .openapi('Cell');

/** An OpenAPI response entry: a JSON body of `schema`, with a description. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description };
}

/** `{ data, next_cursor }` page of a schema. */
export function pageOf<T extends z.ZodType>(schema: T, name: string) {
  return z.object({ data: z.array(schema), next_cursor: z.string().nullable() }).openapi(name);
}

export const ImportTableBody = z
  .object({
    name: z.string().min(1).max(200).openapi({ example: 'iris' }),
    format: z.enum(['csv', 'json', 'ndjson']),
    data: z.string().openapi({ description: 'The file content (CSV text, a JSON array of objects, or NDJSON).' }),
  })
  .strict()
  .openapi('ImportTable');

export const AddColumnBody = z
  .object({
    name: z.string().min(1).max(100),
    producer: z.string().min(1).openapi({ example: 'shell' }),
    config: z.record(z.string(), z.unknown()).openapi({ description: 'Producer config; strings may hold {{field}} templates over row fields.' }),
    profile: z.string().optional(),
  })
  .strict()
  .openapi('AddColumn');

export const StartRunBody = z
  .object({
    name: z.string().min(1).max(200).optional(),
    profile: z.string().optional(),
    mode: z.enum(['live', 'dry_run', 'smoke_test']).optional(),
    smoke_test_items: z.number().int().min(1).max(10_000).optional(),
    budget_micro: z.number().optional().openapi({ description: 'The most this run may spend, integer micro-credits; it pauses (reason budget) when reached' }),
    trigger: z.enum(['manual', 'api', 'rule', 'schedule', 'webhook', 'event', 'chat']).optional(),
    actor: z.string().max(200).optional(),
    tags: z.array(z.string().max(100)).max(50).optional(),
    ...manualRunFields,
  })
  .strict()
  .openapi('StartColumnRun');

export const NodeSchema = z
  .object({
    id: z.string(),
    hostname: z.string(),
    pid: z.number().int(),
    roles: z.array(z.string()),
    capacity: z.number().int(),
    in_flight: z.number().int(),
    alive: z.boolean(),
    started_at: iso,
    heartbeat_at: iso,
    stopped_at: iso.nullable(),
  })
  .openapi('Node');

export const RerunBody = z
  .object({
    pin: z.enum(['version', 'current']).default('version').openapi({ description: 'Re-run the definition version the original ran, or the current one' }),
  })
  .strict()
  .openapi('Rerun');

/** Page size: 1 to 1000. @default 50 */
export const limitParam = z.coerce.number().int().min(1).max(1000).default(50);
