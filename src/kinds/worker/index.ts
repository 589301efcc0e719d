/**
 * The `worker` kind (issue 14): an AI worker acting on one row of a table (the run's subject).
 * The target names a saved worker (`wkr_…`, a version or its newest) and the subject row; the
 * run pins the version and freezes its definition, the subject and the context snapshot
 * (context.ts) in its spec. The agent loop is planned item by item (loop.ts).
 *
 * Target: `{type: 'worker', worker_id, version?, subject: {table_id, row_id}, prompt?}`.
 * A paused worker's runs are created held (`hold: worker:<id>`): they stay queued with the
 * waiting reason `worker_paused` until the worker is resumed.
 */
import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { FollowUp, KindReader, ResolvedTarget, RunKindModule, StartPlan, TargetRef } from '../../core/kind.js';
import type { RunRecord } from '../../core/model.js';
import { parseWorkerDefinition } from '../../core/worker.js';
import { offeredTools } from '../../core/worker-tools.js';
import { snapshotSource, type SnapshotSource } from './context.js';
import { afterLlm, afterTool, firstItems, parseKey, preview, totals, WORKER_LLM, type SubjectRow, type WorkerRunConfig } from './loop.js';

export { WORKER_LLM, WORKER_OUTPUT, WORKER_TOOL, type WorkerRunConfig, type LlmTurn, type ToolCallRecord } from './loop.js';
export { shortHash, type ContextSnapshot, type SnapshotSource } from './context.js';

/** A parsed worker target. */
export interface WorkerRef {
  worker_id: string;
  version: number | undefined;
  subject: SubjectRow;
  prompt: string | null;
}

const FIELDS: ReadonlySet<string> = new Set(['type', 'worker_id', 'version', 'subject', 'prompt']);

function parseSubject(raw: unknown): SubjectRow {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationError('subject: expected {table_id, row_id} (or {type: "row", table_id, id})', { field: 'subject' });
  }
  const s = raw as Record<string, unknown>;
  const tableId = s.table_id;
  const rowId = s.row_id ?? (s.type === 'row' ? s.id : undefined);
  if (typeof tableId !== 'string' || tableId === '') throw new ValidationError('subject.table_id: expected a table id (tbl_…)', { field: 'subject.table_id' });
  if (typeof rowId !== 'string' || rowId === '') throw new ValidationError('subject.row_id: expected a row id', { field: 'subject.row_id' });
  return { table_id: tableId, row_id: rowId };
}

function parseTarget(raw: TargetRef): WorkerRef {
  for (const k of Object.keys(raw)) {
    if (!FIELDS.has(k)) throw new ValidationError(`target.${k}: not a field of a worker target (${[...FIELDS].join(', ')})`, { field: `target.${k}` });
  }
  if (typeof raw.worker_id !== 'string' || raw.worker_id === '')
    throw new ValidationError('target.worker_id: expected a worker id (wkr_…)', { field: 'target.worker_id' });
  const v = raw.version;
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) {
    throw new ValidationError('target.version: expected a version number (1, 2, …)', { field: 'target.version' });
  }
  const p = raw.prompt;
  if (p !== undefined && p !== null && (typeof p !== 'string' || p.length > 20_000)) {
    throw new ValidationError('prompt: expected at most 20000 characters of text', { field: 'prompt' });
  }
  return { worker_id: raw.worker_id, version: v, subject: parseSubject(raw.subject), prompt: typeof p === 'string' && p !== '' ? p : null };
}

/** Reads the subject row and freezes every context source. @throws ValidationError naming `subject.*` */
async function snapshot(ref: WorkerRef, sources: WorkerRunConfig['definition']['context_sources'], io: KindReader): Promise<SnapshotSource[]> {
  const { table_id: tableId, row_id: rowId } = ref.subject;
  if (!(await io.table(tableId)))
    throw new ValidationError(`subject.table_id: no table ${JSON.stringify(tableId)} in this workspace`, { field: 'subject.table_id' });
  const subject = io.row ? await io.row(tableId, rowId) : (await io.rows(tableId)).find((r) => r.id === rowId);
  if (!subject) throw new ValidationError(`subject.row_id: table ${tableId} has no row ${JSON.stringify(rowId)}`, { field: 'subject.row_id' });
  const rowsOf = async (t: string) => ((await io.table(t)) ? io.rows(t) : undefined);
  const out: SnapshotSource[] = [];
  for (const s of sources) out.push(await snapshotSource(s, tableId, subject, rowsOf));
  return out;
}

function configOf(run: Pick<RunRecord, 'spec'>): WorkerRunConfig {
  return run.spec.config as unknown as WorkerRunConfig;
}

/** The context as a run card shows it: each source without its text. */
export function contextSummary(cfg: WorkerRunConfig): Omit<SnapshotSource, 'content'>[] {
  return cfg.context.sources.map(({ content: _c, ...rest }) => rest);
}

/** The worker kind module. */
export const workerKind: RunKindModule<WorkerRef> = {
  kind: 'worker',
  outcome: 'items',
  plansWithItems: true,

  parseTarget,

  async resolve(ref, io): Promise<ResolvedTarget> {
    const w = io.worker ? await io.worker(ref.worker_id, ref.version) : undefined;
    if (!w) throw new NotFoundError('worker', ref.version === undefined ? ref.worker_id : `${ref.worker_id}@${ref.version}`);
    const def = parseWorkerDefinition(w.definition);
    const sources = await snapshot(ref, def.context_sources, io);
    const cfg: WorkerRunConfig = {
      model: def.model.model,
      max_output_tokens: def.model.max_output_tokens,
      max_input_tokens: def.model.max_input_tokens,
      ...(def.model.credentials === undefined ? {} : { credentials: def.model.credentials }),
      worker: { id: w.id, version: w.version, name: w.name },
      definition: def,
      subject: ref.subject,
      prompt: ref.prompt,
      context: { sources },
      tools: offeredTools(def.tool_categories),
    };
    const { table_id: t, row_id: r } = ref.subject;
    return {
      kind: 'worker',
      target_id: w.id,
      target_version: w.version,
      default_name: `${w.name} · ${r}`,
      profile: 'small',
      producer: WORKER_LLM,
      config: cfg as unknown as Record<string, unknown>,
      sink: null,
      subject: { type: 'row', id: r, table_id: t, url: `/tables/${t}?row=${encodeURIComponent(r)}` },
      ...(w.status === 'paused' ? { hold: `worker:${w.id}` } : {}),
    };
  },

  start(target): Promise<StartPlan> {
    return Promise.resolve({ items: firstItems(target.config as unknown as WorkerRunConfig) });
  },

  next(run, outcome, items = []): FollowUp {
    const cfg = configOf(run);
    const k = parseKey(outcome.item.key);
    const view = items.find((i) => i.id === outcome.item.id);
    const t = totals(items);
    const stats = { context: contextSummary(cfg), steps: t.steps, tool_calls: t.tool_calls, tokens: { input: t.input_tokens, output: t.output_tokens } };
    const withStats = (f: FollowUp): FollowUp => ({
      ...f,
      result: { ...f.result, output: { ...((run.output as object | null) ?? {}), ...stats, ...(f.result?.output as object | undefined) } },
    });
    if (outcome.kind === 'failed' && k.type !== 'tool') {
      const e = outcome.error;
      return withStats({ append: [], result: { error: { code: e.code, message: `${outcome.item.key} failed: ${e.message}`, item_id: outcome.item.id } } });
    }
    if (outcome.kind === 'answered' || !view) return { append: [] };
    switch (k.type) {
      case 'llm':
        return withStats(afterLlm(cfg, run.workspace_id, k.step, view, items));
      case 'tool':
        return withStats(afterTool(cfg, run.workspace_id, k.step, k.call, items));
      case 'output': {
        const o = outcome.kind === 'succeeded' ? outcome.outputs : {};
        return withStats({
          append: [],
          result: {
            summary: preview(String(o.text ?? '')),
            output: { output: { location: o.location ?? null, action: o.action ?? null, preview: preview(String(o.text ?? '')) } },
          },
        });
      }
    }
  },

  replay(run): StartPlan {
    return { items: firstItems(configOf(run)) };
  },

  currentTarget(run): TargetRef {
    const cfg = configOf(run);
    return { type: 'worker', worker_id: run.target_id, subject: cfg.subject, ...(cfg.prompt === null ? {} : { prompt: cfg.prompt }) };
  },
};
