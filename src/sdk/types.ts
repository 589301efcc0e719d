/**
 * Types of the Runyard HTTP API as seen by clients. Response shapes are inferred from the
 * server's zod schemas (the API contract, `src/server/schemas.ts`); only types are imported,
 * so the SDK carries no server code at run time.
 */
import type { z } from '@hono/zod-openapi';
import type {
  AddColumnBody,
  CellSchema,
  ColumnSchema,
  EventSchema,
  ItemSchema,
  NodeSchema,
  RowSchema,
  RunSchema,
  StartRunBody,
  TableSchema,
} from '../server/schemas.js';
import type { ManualRunBody } from '../server/manual-run-schemas.js';
import type { CreateOperationBody, OperationSchema } from '../server/operation-schemas.js';
import type { PriceVersionSchema } from '../server/price-schemas.js';
import type { AuditSchema, SessionSchema, TokenSchema, WorkspaceSchema } from '../server/access-schemas.js';

/** An API token (never its secret). */
export type Token = z.infer<typeof TokenSchema>;
/** A workspace. */
export type Workspace = z.infer<typeof WorkspaceSchema>;
/** One audit entry. */
export type AuditEntry = z.infer<typeof AuditSchema>;
/** The caller: workspace, role, token name. */
export type Session = z.infer<typeof SessionSchema>;

/** A run (DESIGN.md §3): status, counts, credits, timestamps. */
export type Run = z.infer<typeof RunSchema>;
/** One unit inside a run (a row of a column run, a step, a call). */
export type Item = z.infer<typeof ItemSchema>;
/** An append-only fact about a run or item; `seq` orders a run's events. */
export type RunEvent = z.infer<typeof EventSchema>;
/** An imported table. */
export type Table = z.infer<typeof TableSchema>;
/** One row of a table. */
export type Row = z.infer<typeof RowSchema>;
/** A column: a producer plus input templates over row fields. */
export type Column = z.infer<typeof ColumnSchema>;
/** A cell: value, status, inputs, error, attempts and provenance of one row × column. */
export type Cell = z.infer<typeof CellSchema>;
/** Body of `POST /v1/tables/{table_id}/columns`. */
export type ColumnDefinition = z.infer<typeof AddColumnBody>;
/** Body of `POST /v1/tables/{table_id}/columns/{column}/runs`. */
export type StartRunRequest = z.infer<typeof StartRunBody>;

/** An engine node (API and/or executor process) with its liveness. */
export type EngineNode = z.infer<typeof NodeSchema>;
/**
 * Body of `POST /v1/runs`: a manual run of a target with an optional prompt, profile, session
 * and per-run overrides (`overrides.secrets` values are write-only).
 */
export type ManualRunRequest = z.input<typeof ManualRunBody>;

/** Input formats of a table import. */
export type TableFormat = 'csv' | 'json' | 'ndjson';

/** A page of a cursor-paginated list; pass `next_cursor` back as `cursor` for the next page. */
export interface Page<T> {
  /** The entries of this page. */
  data: T[];
  /** Cursor of the next page; `null` on the last page. */
  next_cursor: string | null;
}

/** An unpaginated list. */
export interface List<T> {
  /** All entries. */
  data: T[];
}

/** Cursor pagination options. */
export interface PageOptions {
  /** Page size, 1 to 1000. @default 50 (server side) */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

/** Filters of `RunyardClient.listRuns`; list values are OR-ed. */
export interface RunFilters extends PageOptions {
  /** Run statuses (aliases `completed`, `cancelled`, `pending` accepted). */
  status?: string | string[];
  /** `column`, `flow`, `worker`, `ingestion`. */
  kind?: string | string[];
  /** `live`, `dry_run`, `smoke_test`. */
  mode?: string | string[];
  /** Trigger types: `manual`, `api`, `rule`, `schedule`, `webhook`, `event`, `chat`. */
  trigger?: string | string[];
  /** Only runs of this target. */
  target_id?: string;
  /** Substring of the run name. */
  name?: string;
  /** Only runs created at or after this ISO-8601 time. */
  created_after?: string;
  /** Only runs created before this ISO-8601 time. */
  created_before?: string;
}

/** Options of `RunyardClient.listItems`. */
export interface ItemFilters extends PageOptions {
  /** Item statuses, e.g. `failed`. */
  status?: string | string[];
}

/** One message of `RunyardClient.followEvents`: an event, or the end of the stream with the final run. */
export type FollowMessage = { type: 'event'; event: RunEvent } | { type: 'end'; run: Run };

/** A bulk operation (cancel, retry_failed or delete over the runs a filter selects) and its progress. */
export type Operation = z.infer<typeof OperationSchema>;
/** Body of `POST /v1/operations`. */
export type CreateOperationRequest = z.infer<typeof CreateOperationBody>;
/** Actions of a bulk operation. */
export type OperationAction = 'cancel' | 'retry_failed' | 'delete';
/** The run filters without paging (counts, exports). */
export type RunSelection = Omit<RunFilters, 'limit' | 'cursor'>;
/** Formats of an export. */
export type ExportFormat = 'json' | 'ndjson' | 'csv';

/** A streamed export: read `body` to the end (it is never buffered whole). */
export interface ExportDownload {
  /** The file's bytes, as the server streams them. */
  body: ReadableStream<Uint8Array>;
  /** The server's suggested file name (`Content-Disposition`), e.g. `run_01jd….csv`. */
  filename: string | null;
  /** The `Content-Type`, e.g. `text/csv; charset=utf-8`. */
  contentType: string;
}
/** A version of the workspace's prices (`GET`/`PUT /v1/prices`): price key → µ per unit. */
export type PriceVersion = z.infer<typeof PriceVersionSchema>;

/**
 * What a new run of an AI worker (a run, rerun or retry) does to the output an earlier run left
 * on the subject: `replace` updates it, `once` keeps it, `append` adds another.
 */
export interface OutputNotice {
  /** Whether the worker's output slot on the subject already holds an output. */
  exists: boolean;
  policy: 'replace' | 'append' | 'once';
  message: string;
}

/** `GET /v1/runs/{run_id}/output-notice`: `applies` is false (and the notice null) for a run that is not a worker run. */
export interface RunOutputNotice {
  applies: boolean;
  output_notice: OutputNotice | null;
}
