/**
 * Flows and waits (issue 13): versioned flow definitions, starting flow runs, answering waits
 * (validated on the server, first valid answer wins, idempotent by key) and the reaper that
 * applies a wait's `on_timeout` once it expires.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { roleAllows, isRole, type Role } from '../core/access.js';
import { ForbiddenError, NotFoundError, RunyardError, ValidationError } from '../core/errors.js';
import type { Clock } from '../core/ids.js';
import type { RunRecord } from '../core/model.js';
import { parseDefinition, type FlowDefinition } from '../kinds/flow/index.js';
import { test } from '../kinds/flow/cel.js';
import type { FlowRecord, WaitRecord, WaitStatus } from '../store/flows-port.js';
import type { Store } from '../store/port.js';
import type { ControlService } from './control.js';
import type { Logger } from './logger.js';
import type { RunsService, StartColumnRun } from './runs-service.js';

export interface FlowsDeps {
  store: Store;
  clock: Clock;
  runs: RunsService;
  control: ControlService;
  logger: Logger;
}

/** An answer to a wait, as a request gives it. */
export interface WaitAnswer {
  /** The form's values (validated against the wait's form). */
  values?: Record<string, unknown> | undefined;
  /** One of the wait's decisions (required when it has any). */
  decision?: string | undefined;
  comment?: string | undefined;
}

/** The result of answering: `replayed` when the same Idempotency-Key had already won. */
export interface AnswerResult {
  wait: WaitRecord;
  run: RunRecord | undefined;
  replayed: boolean;
}

/** Producers whose steps run code on the server: a flow using them needs an admin to save it. */
export const CODE_PRODUCERS: ReadonlySet<string> = new Set(['shell', 'js']);

/** The producers a definition's tool and loop steps use. */
export function producersOf(def: FlowDefinition): string[] {
  const out = new Set<string>();
  for (const s of def.steps) {
    if (s.type === 'tool') out.add(s.producer);
    if (s.type === 'for_each') out.add(s.step.producer);
    if (s.type === 'parallel') for (const b of s.branches) out.add(b.producer);
    if (s.type === 'decide' && s.model !== undefined) out.add('llm');
  }
  return [...out];
}

const ajv = new Ajv({ allErrors: false, strict: false, useDefaults: true });

function fieldOf(e: ErrorObject): string {
  const missing = e.keyword === 'required' ? (e.params as { missingProperty?: string }).missingProperty : undefined;
  const where = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  return ['values', where, missing].filter((x) => x).join('.');
}

/** Who answers: an API token's name and role (a plain string: a name with operator rights). */
export type Answerer = string | { token_name: string; role: Role };

/**
 * May `who` answer a wait with these `assignees`? An empty list: anyone (the route already
 * needs the operator role). A role name admits that role and higher ones (core/access.ts); any
 * other entry is a token name and admits that token alone.
 */
export function mayAnswer(assignees: readonly string[], who: Answerer): boolean {
  if (assignees.length === 0) return true;
  const { token_name, role } = typeof who === 'string' ? { token_name: who, role: 'operator' as Role } : who;
  return assignees.some((a) => (isRole(a) ? roleAllows(role, a) : a === token_name));
}

/** A closed wait: 409 with what was recorded. */
function closed(wait: WaitRecord): RunyardError {
  return new RunyardError('item_not_waiting', `wait ${wait.id} is ${wait.status}: it takes no answer`, {
    field: 'wait_id',
    status: wait.status,
    outcome: { status: wait.status, response: wait.response, responded_by: wait.responded_by, closed_at: wait.closed_at, reason: wait.reason },
  });
}

export class FlowsService {
  constructor(private readonly deps: FlowsDeps) {}

  /**
   * Parses and validates a definition (YAML or JSON text, or an object).
   * @throws ValidationError (422) with `details.errors` listing every error and its JSON path
   */
  validate(source: unknown): FlowDefinition {
    return parseDefinition(source);
  }

  /** Creates a flow (version 1). @throws ValidationError */
  async create(ws: string, source: unknown): Promise<FlowRecord> {
    const def = this.validate(source);
    return this.deps.store.flows.createFlow(ws, this.versionOf(def, source), this.deps.clock.now());
  }

  /** Adds a version to a flow (runs in flight keep theirs). @throws ValidationError; NotFoundError */
  async addVersion(ws: string, id: string, source: unknown): Promise<FlowRecord> {
    const def = this.validate(source);
    return this.deps.store.flows.addVersion(ws, id, this.versionOf(def, source), this.deps.clock.now());
  }

  private versionOf(def: FlowDefinition, source: unknown) {
    return {
      name: def.name,
      description: def.description ?? null,
      definition: def as unknown as Record<string, unknown>,
      source: typeof source === 'string' ? source : JSON.stringify(source, null, 2),
    };
  }

  /** @throws NotFoundError */
  async get(ws: string, id: string, version?: number): Promise<FlowRecord> {
    const f = await this.deps.store.flows.getFlow(ws, id, version);
    if (!f) throw new NotFoundError('flow', version === undefined ? id : `${id}@${version}`);
    return f;
  }

  list(ws: string): Promise<FlowRecord[]> {
    return this.deps.store.flows.listFlows(ws);
  }

  /**
   * Starts a run of a flow (its newest version unless `version` is given); `inputs` are checked
   * against the flow's `inputs` schema. @throws NotFoundError; ValidationError naming `inputs.<field>`
   */
  run(
    ws: string,
    id: string,
    body: { version?: number | undefined; inputs?: Record<string, unknown> | undefined },
    opts: StartColumnRun = {},
  ): Promise<{ run: RunRecord; created: boolean }> {
    return this.deps.runs.startRun(
      ws,
      { type: 'flow', flow_id: id, ...(body.version === undefined ? {} : { version: body.version }), inputs: body.inputs ?? {} },
      opts,
    );
  }

  listWaits(ws: string, filter: { status?: WaitStatus; run_id?: string; limit?: number }): Promise<WaitRecord[]> {
    return this.deps.store.flows.listWaits(ws, filter);
  }

  /** @throws NotFoundError */
  async getWait(ws: string, id: string): Promise<WaitRecord> {
    const w = await this.deps.store.flows.getWait(ws, id);
    if (!w) throw new NotFoundError('wait', id);
    return w;
  }

  /** @throws ForbiddenError (403, `details.assignees`) when `who` may not answer `wait` ({@link mayAnswer}) */
  checkAssignee(wait: Pick<WaitRecord, 'id' | 'assignees'>, who: Answerer): void {
    if (mayAnswer(wait.assignees, who)) return;
    const name = typeof who === 'string' ? who : `${who.token_name} (${who.role})`;
    const err = new ForbiddenError(
      `wait ${wait.id} is assigned to ${wait.assignees.join(', ')}; ${name} may not answer it`,
      wait.assignees.filter(isRole)[0] ?? 'assignee',
    );
    Object.assign(err.details as object, { assignees: wait.assignees });
    throw err;
  }

  /**
   * The assignee check for an answer given to the item directly
   * (`POST /v1/runs/{run}/items/{item}/respond`): the same rule as a wait's.
   * @throws ForbiddenError (403) when the item's open wait is assigned to others
   */
  async checkItemAssignee(ws: string, runId: string, itemId: string, who: Answerer): Promise<void> {
    const waits = await this.deps.store.flows.listWaits(ws, { run_id: runId, status: 'open', limit: 500 });
    const wait = waits.find((w) => w.item_id === itemId);
    if (wait) this.checkAssignee(wait, who);
  }

  /**
   * Checks an answer against the wait: `values` against its form (defaults filled in),
   * `decision` against its decisions. @throws ValidationError naming `values.<field>` or `decision`
   */
  checkAnswer(wait: WaitRecord, a: WaitAnswer): Record<string, unknown> {
    const values = structuredClone(a.values ?? {});
    if (wait.form) {
      const validate = ajv.compile({ type: 'object', ...wait.form });
      if (!validate(values)) {
        const e = validate.errors![0]!;
        const field = fieldOf(e);
        throw new ValidationError(`${field}: ${e.message ?? 'does not match the form'}`, { field, errors: validate.errors });
      }
    }
    if (wait.decisions.length > 0) {
      const ids = wait.decisions.map((d) => d.id);
      if (a.decision === undefined) throw new ValidationError(`decision: required; one of ${ids.join(', ')}`, { field: 'decision' });
      if (!ids.includes(a.decision))
        throw new ValidationError(`decision: ${JSON.stringify(a.decision)} is not one of ${ids.join(', ')}`, { field: 'decision' });
    } else if (a.decision !== undefined) {
      throw new ValidationError('decision: this wait offers no decisions', { field: 'decision' });
    }
    return { values, ...(a.decision === undefined ? {} : { decision: a.decision }), ...(a.comment === undefined ? {} : { comment: a.comment }) };
  }

  /**
   * Answers a wait. The first valid answer wins (compare-and-set on the waiting item); a repeat
   * with the winner's Idempotency-Key returns it (`replayed`).
   * @throws NotFoundError (404); ForbiddenError (403) when `who` is not one of the wait's
   *   `assignees` (nothing changes); ValidationError (422, the wait stays open); RunyardError
   *   `item_not_waiting` (409, `details.outcome` the recorded outcome) when it is closed
   */
  async respond(ws: string, id: string, a: WaitAnswer, who: Answerer, idempotencyKey?: string): Promise<AnswerResult> {
    const wait = await this.getWait(ws, id);
    this.checkAssignee(wait, who);
    const actor = typeof who === 'string' ? who : who.token_name;
    const replay = (w: WaitRecord): AnswerResult | undefined =>
      idempotencyKey !== undefined && w.status === 'answered' && w.idempotency_key === idempotencyKey ? { wait: w, run: undefined, replayed: true } : undefined;
    const early = replay(wait);
    if (early) return early;
    if (wait.status !== 'open') throw closed(wait);
    const answer = this.checkAnswer(wait, a);
    try {
      const res = await this.deps.control.respond(ws, wait.run_id, wait.item_id, { ...answer, by: actor }, { actor, idempotency_key: idempotencyKey ?? null });
      return { wait: await this.getWait(ws, id), run: res.run, replayed: false };
    } catch (err) {
      if (!(err instanceof RunyardError) || err.code !== 'item_not_waiting') throw err;
      const now = await this.getWait(ws, id);
      const again = replay(now);
      if (again) return again;
      throw closed(now);
    }
  }

  /**
   * Answers every open wait of a flow `wait` step on `ev`'s name whose `match` holds over
   * `event` ({name, data}) with `{event: {id, name, data}, by: 'event:<id>'}`. Waits opened
   * after the event do not see it (no lookback). A `match` that fails to evaluate leaves the
   * wait open (logged). @returns how many waits it answered
   */
  async resumeOnEvent(ev: { id: string; workspace_id: string; name: string; data: unknown }): Promise<number> {
    const open = await this.deps.store.flows.listWaits(ev.workspace_id, { status: 'open', limit: 500 });
    let n = 0;
    for (const w of open) {
      if (w.event?.name !== ev.name) continue;
      const event = { name: ev.name, data: ev.data };
      try {
        if (w.event.match !== undefined && !test(w.event.match, { event })) continue;
      } catch (err) {
        this.deps.logger.warn('event wait: match failed', { err: String(err), wait_id: w.id, event_id: ev.id });
        continue;
      }
      const by = `event:${ev.id}`;
      try {
        await this.deps.control.respond(w.workspace_id, w.run_id, w.item_id, { event: { id: ev.id, ...event }, by }, { actor: by });
        n += 1;
      } catch (err) {
        if (!(err instanceof RunyardError)) throw err; // answered or canceled meanwhile
      }
    }
    return n;
  }

  /**
   * Applies `on_timeout` to every expired open wait: `continue` answers it with its default,
   * `fail` fails its item (`wait_expired`; the flow's `on_error` decides), `cancel` cancels the run.
   * @returns how many waits it closed
   */
  async reap(limit = 100): Promise<number> {
    const { store, clock, control } = this.deps;
    const due = await store.flows.dueWaits(clock.now(), limit);
    let n = 0;
    for (const w of due) {
      const reason = `expired at ${new Date(w.expires_at).toISOString()}: on_timeout=${w.on_timeout}`;
      try {
        if (w.on_timeout === 'continue') {
          const d = w.default ?? {};
          const answer = { values: d.values ?? {}, ...(d.decision === undefined ? {} : { decision: d.decision }), by: 'system:reaper', timed_out: true };
          await control.respond(w.workspace_id, w.run_id, w.item_id, answer, { actor: 'system:reaper', wait_status: 'expired', reason });
        } else if (w.on_timeout === 'fail') {
          const fail = { code: 'wait_expired', message: `wait ${w.id} ${reason}`, retryable: false };
          await control.respond(w.workspace_id, w.run_id, w.item_id, {}, { actor: 'system:reaper', wait_status: 'expired', reason, fail });
        } else {
          await store.flows.closeWait(w.id, 'expired', reason, clock.now());
          await control.cancel(w.workspace_id, w.run_id);
        }
        n += 1;
      } catch (err) {
        // Answered or canceled meanwhile: nothing to apply.
        if (!(err instanceof RunyardError)) this.deps.logger.warn('wait reaper: could not apply on_timeout', { err: String(err), wait_id: w.id });
      }
    }
    return n;
  }
}

/** Runs {@link FlowsService.reap} every `everyMs` until stopped. */
export function startReaper(flows: FlowsService, everyMs: number, logger: Logger): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    flows
      .reap()
      .catch((err: unknown) => logger.warn('wait reaper failed', { err: String(err) }))
      .finally(() => {
        busy = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
