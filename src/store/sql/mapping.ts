/** Row ↔ record mapping for the SQL adapters. */
import type { ItemError } from '../../core/errors.js';
import type {
  CellRecord,
  ColumnRecord,
  EventRecord,
  ItemRecord,
  ItemWait,
  RowRecord,
  RunError,
  RunKind,
  RunMode,
  RunRecord,
  RunSpec,
  TableRecord,
  TriggerType,
} from '../../core/model.js';
import type { Usage } from '../../core/producer.js';
import type { ItemStatus, RunStatus } from '../../core/status.js';
import type { NodeRecord } from '../port.js';
import { fromJson } from './context.js';
import type { CellsTable, ColumnsTable, EventsTable, ItemsTable, NodesTable, RunsTable, TableRowsTable, TablesTable } from './schema.js';

type Selected<T> = { [K in keyof T]: T[K] extends import('kysely').Generated<infer U> ? U : T[K] };

export function toRun(r: Selected<RunsTable>): RunRecord {
  return {
    id: r.id,
    workspace_id: r.workspace_id,
    kind: r.kind as RunKind,
    target_id: r.target_id,
    target_version: Number(r.target_version),
    name: r.name,
    status: r.status as RunStatus,
    phase: r.phase,
    subject: fromJson<unknown>(r.subject) ?? null,
    output: fromJson<unknown>(r.output) ?? null,
    mode: r.mode as RunMode,
    trigger: { type: r.trigger_type as TriggerType, source_id: r.trigger_source_id, actor: r.trigger_actor },
    profile: r.profile,
    prompt: r.prompt,
    session_id: r.session_id,
    items_total: Number(r.items_total),
    items_succeeded: Number(r.items_succeeded),
    items_failed: Number(r.items_failed),
    items_pending: Number(r.items_pending),
    items_running: Number(r.items_running),
    items_waiting: Number(r.items_waiting ?? 0),
    items_skipped: Number(r.items_skipped),
    items_canceled: Number(r.items_canceled),
    credits_reserved: Number(r.credits_reserved),
    credits_used: Number(r.credits_used),
    result_summary: r.result_summary,
    error: fromJson<RunError>(r.error),
    retry_of: r.retry_of,
    idempotency_key: r.idempotency_key,
    tags: fromJson<string[]>(r.tags) ?? [],
    spec: fromJson<RunSpec>(r.spec) as RunSpec,
    pinned: Number(r.pinned) === 1,
    overrides_env: fromJson<Record<string, string>>(r.overrides_env),
    secret_names: fromJson<{ names: string[] }>(r.overrides_secrets)?.names ?? [],
    paused_reason: r.paused_reason,
    credit_cap: r.credit_cap === null ? null : Number(r.credit_cap),
    item_cost_bound: Number(r.item_cost_bound),
    credits_released: Number(r.credits_released),
    price_version: r.price_version === null ? null : Number(r.price_version),
    created_at: Number(r.created_at),
    started_at: r.started_at === null ? null : Number(r.started_at),
    finished_at: r.finished_at === null ? null : Number(r.finished_at),
    updated_at: Number(r.updated_at),
    held_by: r.held_by ?? null,
  };
}

export function toItem(r: Omit<ItemsTable, 'lease_token' | 'lease_owner' | 'lease_expires_at'>): ItemRecord {
  return {
    id: r.id,
    workspace_id: r.workspace_id,
    run_id: r.run_id,
    ordinal: Number(r.ordinal),
    key: r.key,
    status: r.status as ItemStatus,
    attempt_count: Number(r.attempt_count),
    max_attempts: Number(r.max_attempts),
    lease_lost_count: Number(r.lease_lost_count),
    next_attempt_at: r.next_attempt_at === null ? null : Number(r.next_attempt_at),
    inputs: fromJson<Record<string, unknown>>(r.inputs),
    outputs: fromJson<Record<string, unknown>>(r.outputs),
    error: fromJson<ItemError>(r.error),
    provider: r.provider,
    usage: fromJson<Usage>(r.usage),
    credits_used: Number(r.credits_used),
    started_at: r.started_at === null ? null : Number(r.started_at),
    finished_at: r.finished_at === null ? null : Number(r.finished_at),
    duration_ms: r.duration_ms === null ? null : Number(r.duration_ms),
    producer: r.producer ?? null,
    cost_bound: r.cost_bound === null || r.cost_bound === undefined ? null : Number(r.cost_bound),
    waiting: fromJson<ItemWait>(r.waiting ?? null),
  };
}

export function toEvent(r: Selected<EventsTable>): EventRecord & { seq: number } {
  return {
    seq: Number(r.seq),
    id: r.id,
    workspace_id: r.workspace_id,
    run_id: r.run_id,
    item_id: r.item_id,
    type: r.type,
    data: fromJson<Record<string, unknown>>(r.data) ?? {},
    created_at: Number(r.created_at),
  };
}

export function toTable(r: Omit<TablesTable, 'status' | 'label_column'> & { label_column?: string | null }): TableRecord {
  return {
    id: r.id,
    workspace_id: r.workspace_id,
    name: r.name,
    fields: fromJson<string[]>(r.fields) ?? [],
    row_count: Number(r.row_count),
    created_at: Number(r.created_at),
    label_column: r.label_column ?? null,
  };
}

export function toRow(r: Pick<TableRowsTable, 'id' | 'table_id' | 'ordinal' | 'data'>): RowRecord {
  return { id: r.id, table_id: r.table_id, ordinal: Number(r.ordinal), data: fromJson<Record<string, unknown>>(r.data) ?? {} };
}

export function toColumn(r: ColumnsTable): ColumnRecord {
  return {
    id: r.id,
    workspace_id: r.workspace_id,
    table_id: r.table_id,
    name: r.name,
    producer: r.producer,
    config: fromJson<Record<string, unknown>>(r.config) ?? {},
    profile: r.profile,
    version: Number(r.version),
    created_at: Number(r.created_at),
    updated_at: Number(r.updated_at),
  };
}

export function toCell(r: CellsTable): CellRecord {
  return {
    table_id: r.table_id,
    row_id: r.row_id,
    column_id: r.column_id,
    status: r.status as ItemStatus,
    value: fromJson<unknown>(r.value),
    error: fromJson<ItemError>(r.error),
    run_id: r.run_id,
    item_id: r.item_id,
    attempt: Number(r.attempt),
    updated_at: Number(r.updated_at),
  };
}

export function toNode(r: NodesTable): NodeRecord {
  return {
    id: r.id,
    hostname: r.hostname,
    pid: Number(r.pid),
    roles: fromJson<string[]>(r.roles) ?? [],
    capacity: Number(r.capacity),
    started_at: Number(r.started_at),
    heartbeat_at: Number(r.heartbeat_at),
    stopped_at: r.stopped_at === null ? null : Number(r.stopped_at),
    pid_namespace: r.pid_namespace,
  };
}
