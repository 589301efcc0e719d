/** Storage records → API shapes: ISO-8601 times, credits in both units, derived fields. */
import { DEFAULT_MAX_LEASE_LOSSES } from '../core/lease-recovery.js';
import type { WaitingReason } from '../core/waiting.js';
import type { Engine } from '../engine/engine.js';
import { itemLabels, subjectLabels } from '../engine/item-labels.js';
import type { CellRecord, ColumnRecord, EventRecord, ItemRecord, RowRecord, RunRecord, TableRecord } from '../core/model.js';

const MICRO = 1_000_000;

/** Epoch ms → ISO-8601 UTC (null stays null). */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * A run in API shape; `waiting` is its computed waiting reason (null when progressing or done);
 * `subjectLabel`, when given, is the label of the row its subject names (`subject.label`).
 */
export function presentRun(r: RunRecord, baseUrl: string, waiting: WaitingReason | null = null, subjectLabel?: string | null) {
  return {
    id: r.id,
    workspace_id: r.workspace_id,
    kind: r.kind,
    target_id: r.target_id,
    target_version: r.target_version,
    name: r.name,
    status: r.status,
    phase: r.phase,
    subject: subjectLabel === undefined || r.subject === null || typeof r.subject !== 'object' ? (r.subject ?? null) : { ...r.subject, label: subjectLabel },
    output: r.output ?? null,
    mode: r.mode,
    trigger: r.trigger,
    profile: r.profile,
    prompt: r.prompt,
    session_id: r.session_id,
    items_total: r.items_total,
    items_succeeded: r.items_succeeded,
    items_failed: r.items_failed,
    items_pending: r.items_pending,
    items_running: r.items_running,
    items_waiting: r.items_waiting,
    items_skipped: r.items_skipped,
    items_canceled: r.items_canceled,
    no_items: r.items_total === 0,
    credits_reserved: r.credits_reserved / MICRO,
    credits_used: r.credits_used / MICRO,
    credits_reserved_micro: r.credits_reserved,
    credits_used_micro: r.credits_used,
    credits_released_micro: r.credits_released,
    budget_micro: r.credit_cap,
    price_version: r.price_version,
    result_summary: r.result_summary,
    error: r.error,
    waiting_reason: waiting && { code: waiting.code, message: waiting.message, until: waiting.until === undefined ? null : iso(waiting.until) },
    retry_of: r.retry_of,
    idempotency_key: r.idempotency_key,
    tags: r.tags,
    // Secret values are write-only: only their names are ever shown.
    overrides: { env: r.overrides_env ?? {}, secret_names: r.secret_names },
    pinned: r.pinned,
    created_at: iso(r.created_at),
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
    updated_at: iso(r.updated_at),
    duration_ms: r.started_at === null ? null : (r.finished_at ?? r.updated_at) - r.started_at,
    web_url: `${baseUrl}/runs/${r.id}`,
  };
}

/**
 * Runs in API shape with their waiting reasons computed (see engine/waiting.ts) and the label of
 * a subject row (`subject.label`, engine/item-labels.ts; one query per table of subjects).
 */
export async function presentRuns(engine: Engine, baseUrl: string, runs: RunRecord[]) {
  const [reasons, labels] = await Promise.all([engine.waiting.explain(runs[0]?.workspace_id ?? engine.workspaceId, runs), subjectLabels(engine.store, runs)]);
  return runs.map((r) => presentRun(r, baseUrl, reasons.get(r.id) ?? null, labels.get(r.id)));
}

/** One run in API shape with its waiting reason. */
export async function presentOne(engine: Engine, baseUrl: string, run: RunRecord) {
  const [view] = await presentRuns(engine, baseUrl, [run]);
  return view as ReturnType<typeof presentRun>;
}

/**
 * An item in API shape; `label` names the record it stands for (engine/item-labels.ts), null
 * when it stands for none or was not looked up.
 */
export function presentItem(i: ItemRecord, label: string | null = null) {
  return {
    id: i.id,
    run_id: i.run_id,
    ordinal: i.ordinal,
    key: i.key,
    label,
    status: i.status,
    attempt_count: i.attempt_count,
    max_attempts: i.max_attempts,
    lease_lost_count: i.lease_lost_count,
    max_lease_losses: DEFAULT_MAX_LEASE_LOSSES,
    next_attempt_at: i.status === 'retrying' && i.next_attempt_at !== null ? iso(i.next_attempt_at) : null,
    inputs: i.inputs,
    outputs: i.outputs,
    waiting: i.waiting ?? null,
    error: i.error,
    provider: i.provider,
    usage: i.usage as Record<string, unknown> | null,
    credits_used: i.credits_used / MICRO,
    credits_used_micro: i.credits_used,
    started_at: iso(i.started_at),
    finished_at: iso(i.finished_at),
    duration_ms: i.duration_ms,
  };
}

/** A page of `run`'s items in API shape, labelled by their records in one batch per table. */
export async function presentItems(engine: Engine, run: RunRecord, items: readonly ItemRecord[]) {
  const labels = await itemLabels(engine.store, run, items);
  return items.map((i) => presentItem(i, labels.get(i.id) ?? null));
}

export function presentEvent(e: EventRecord & { seq: number }) {
  return { seq: e.seq, id: e.id, run_id: e.run_id, item_id: e.item_id, type: e.type, data: e.data, created_at: iso(e.created_at) };
}

export function presentTable(t: TableRecord) {
  return { id: t.id, name: t.name, fields: t.fields, row_count: t.row_count, created_at: iso(t.created_at), label_column: t.label_column };
}

export function presentRow(r: RowRecord) {
  return { id: r.id, ordinal: r.ordinal, data: r.data };
}

export function presentColumn(c: ColumnRecord) {
  return {
    id: c.id,
    table_id: c.table_id,
    name: c.name,
    producer: c.producer,
    config: c.config,
    profile: c.profile,
    version: c.version,
    created_at: iso(c.created_at),
    updated_at: iso(c.updated_at),
  };
}

export function presentCell(c: CellRecord, column: ColumnRecord, item: ItemRecord | undefined) {
  return {
    table_id: c.table_id,
    row_id: c.row_id,
    column_id: c.column_id,
    column_name: column.name,
    status: c.status,
    value: c.value,
    inputs: item?.inputs ?? null,
    error: c.error,
    attempts: item?.attempt_count ?? c.attempt,
    lease_losses: item?.lease_lost_count ?? 0,
    run_id: c.run_id,
    item_id: c.item_id,
    updated_at: iso(c.updated_at),
  };
}
