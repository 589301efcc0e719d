/**
 * AI workers (issue 14): saved, versioned definitions (an edit makes a new version; a run pins
 * the version it started on), their status (a paused worker's new runs wait queued with the
 * reason `worker_paused`; resuming releases them), and their runs on a subject row.
 */
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { Clock, IdSource } from '../core/ids.js';
import type { RunRecord } from '../core/model.js';
import { OUTPUT_CATEGORY, parseWorkerDefinition, WORKER_TEMPLATES, type WorkerDefinition } from '../core/worker.js';
import type { Page, Store } from '../store/port.js';
import type { WorkerRecord } from '../store/workers-port.js';
import type { SubjectRow, WorkerRunConfig } from '../kinds/worker/loop.js';
import type { PriceBook } from './prices.js';
import type { RunsService, StartColumnRun } from './runs-service.js';

/** Dependencies of {@link WorkersService}. */
export interface WorkersDeps {
  store: Store;
  clock: Clock;
  ids: IdSource;
  runs: RunsService;
  prices: Pick<PriceBook, 'current'>;
}

/** What a run request asks: the subject row and an optional prompt. */
export interface WorkerRunRequest {
  subject: unknown;
  prompt?: string | undefined;
  version?: number | undefined;
}

/** What a new run will do to the output an earlier run left (told before it starts). */
export interface OutputNotice {
  /** Whether the output slot of this subject already holds an output. */
  exists: boolean;
  /** `replace`: it will be updated; `once`: it will be kept; `append`: another will be added. */
  policy: 'replace' | 'append' | 'once';
  message: string;
}

export class WorkersService {
  constructor(private readonly deps: WorkersDeps) {}

  /** The shipped templates: key, title and the fields a worker made from it gets. */
  templates(): { key: string; title: string; definition: Record<string, unknown> }[] {
    return Object.entries(WORKER_TEMPLATES).map(([key, t]) => ({ key, title: t.title, definition: t.definition }));
  }

  /**
   * Parses a definition and checks what it names exists: the tables of context sources and of
   * a `new_record` output, and (when the workspace has prices) a price for the model.
   * @throws ValidationError (422) naming the field
   */
  async check(ws: string, raw: unknown): Promise<WorkerDefinition> {
    const def = parseWorkerDefinition(raw);
    for (const [i, s] of def.context_sources.entries()) {
      if ((s.type === 'related_records' || s.type === 'table_rows') && !(await this.deps.store.getTable(ws, s.table_id))) {
        throw new ValidationError(`context_sources[${i}].table_id: no table ${JSON.stringify(s.table_id)} in this workspace`, {
          field: `context_sources[${i}].table_id`,
        });
      }
    }
    if (def.output.mode === 'new_record' && !(await this.deps.store.getTable(ws, def.output.table_id!))) {
      throw new ValidationError(`output.table_id: no table ${JSON.stringify(def.output.table_id)} in this workspace`, { field: 'output.table_id' });
    }
    const prices = await this.deps.prices.current(ws);
    const table = prices.prices as Record<string, number>;
    if (prices.version !== null && !Object.hasOwn(table, `tokens:${def.model.model}:input`)) {
      throw new ValidationError(
        `model.model: unknown model ${JSON.stringify(def.model.model)}: the workspace has no price tokens:${def.model.model}:input (PUT /v1/prices)`,
        { field: 'model.model' },
      );
    }
    return def;
  }

  /** Creates a worker (version 1, active). @throws ValidationError */
  async create(ws: string, raw: unknown): Promise<WorkerRecord> {
    const def = await this.check(ws, raw);
    return this.deps.store.workers.createWorker(ws, this.deps.ids.next('wkr'), this.versionOf(def), this.deps.clock.now());
  }

  /**
   * Saves an edit as the next version (the whole definition; the instructions of a version
   * never change). Runs already started keep the version they pinned.
   * @throws ValidationError; NotFoundError
   */
  async edit(ws: string, id: string, raw: unknown): Promise<WorkerRecord> {
    const def = await this.check(ws, raw);
    const w = await this.deps.store.workers.addVersion(ws, id, this.versionOf(def), this.deps.clock.now());
    if (!w) throw new NotFoundError('worker', id);
    return w;
  }

  private versionOf(def: WorkerDefinition) {
    return { name: def.name, template_key: def.template_key ?? null, definition: def as unknown as Record<string, unknown> };
  }

  /** A version (default the newest). @throws NotFoundError */
  async get(ws: string, id: string, version?: number): Promise<WorkerRecord> {
    const w = await this.deps.store.workers.getWorker(ws, id, version);
    if (!w) throw new NotFoundError('worker', version === undefined ? id : `${id}@${version}`);
    return w;
  }

  list(ws: string): Promise<WorkerRecord[]> {
    return this.deps.store.workers.listWorkers(ws);
  }

  /** Pauses a worker: runs started from now wait queued (`worker_paused`); runs in flight finish. @throws NotFoundError */
  async pause(ws: string, id: string): Promise<WorkerRecord> {
    const res = await this.deps.store.workers.setStatus(ws, id, 'paused', this.deps.clock.now());
    if (!res) throw new NotFoundError('worker', id);
    return res.worker;
  }

  /** Resumes a worker and releases its held runs. @throws NotFoundError */
  async resume(ws: string, id: string): Promise<{ worker: WorkerRecord; released: number }> {
    const res = await this.deps.store.workers.setStatus(ws, id, 'active', this.deps.clock.now());
    if (!res) throw new NotFoundError('worker', id);
    return res;
  }

  /**
   * Starts a run of the worker on a subject row (pinned to `version`, default the newest).
   * @throws NotFoundError (worker); ValidationError naming `subject.table_id` / `subject.row_id`
   *   when the subject does not exist; as RunsService.startRun
   */
  async run(ws: string, id: string, req: WorkerRunRequest, opts: StartColumnRun = {}): Promise<{ run: RunRecord; created: boolean; notice: OutputNotice }> {
    const w = await this.get(ws, id, req.version);
    const def = parseWorkerDefinition(w.definition);
    const budget = def.limits.max_credits_micro;
    const res = await this.deps.runs.startRun(
      ws,
      { type: 'worker', worker_id: id, version: w.version, subject: req.subject, ...(req.prompt === undefined ? {} : { prompt: req.prompt }) },
      { ...(budget === undefined ? {} : { budget_micro: budget }), ...(req.prompt === undefined ? {} : { prompt: req.prompt }), ...opts },
    );
    const subject = res.run.subject as { table_id: string; id: string };
    return { ...res, notice: await this.notice(ws, w.id, def, { table_id: subject.table_id, row_id: subject.id }, res.run.id) };
  }

  /**
   * What a rerun or retry of `run` would do to the output its worker left on the run's subject,
   * told before it starts: the run's pinned definition (output mode, slot, policy) against the
   * subject as it is now. Every existing output counts (the new run does not exist yet).
   * @returns null when `run` is not a worker run
   */
  async noticeForRun(ws: string, run: RunRecord): Promise<OutputNotice | null> {
    if (run.kind !== 'worker') return null;
    const cfg = run.spec.config as unknown as WorkerRunConfig;
    return this.notice(ws, run.target_id, parseWorkerDefinition(cfg.definition), cfg.subject);
  }

  /**
   * What a run of worker `workerId` on `subject` does to an output an earlier run left;
   * `newRunId` (the run being started) is not an earlier run.
   */
  private async notice(ws: string, workerId: string, def: WorkerDefinition, subject: SubjectRow, newRunId?: string): Promise<OutputNotice> {
    const policy = def.output.policy;
    let exists = false;
    if (def.output.mode === 'task_comment') {
      const page = await this.deps.store.comments.listRowComments(ws, subject.table_id, subject.row_id, { limit: 200 });
      exists = page.data.some((c) => c.slot === `${workerId}:${def.output.slot}` && c.created_by_run !== newRunId);
    } else if (def.output.mode === 'record_field') {
      const row = await this.deps.store.getRow(ws, subject.table_id, subject.row_id);
      const v = row?.data[def.output.field!];
      exists = v !== undefined && v !== null && v !== '';
    }
    const what = OUTPUT_CATEGORY[def.output.mode] === null ? 'writes no output' : `writes ${def.output.mode} (slot ${def.output.slot})`;
    const message = !exists
      ? `no earlier output: the run ${what}`
      : policy === 'replace'
        ? 'an earlier output exists: it will be replaced'
        : policy === 'once'
          ? 'an earlier output exists: it will be kept (once)'
          : 'an earlier output exists: another one will be added (append)';
    return { exists, policy, message };
  }

  /** The worker's runs, newest first. @throws NotFoundError */
  async runs(ws: string, id: string, opts: { limit: number; cursor?: string }): Promise<Page<RunRecord>> {
    await this.get(ws, id);
    return this.deps.store.listRuns(ws, { kind: ['worker'], target_id: id }, opts);
  }
}
