/**
 * Run control in flight: pause, resume, cancel, retry-failed and rerun. Each call is one store
 * transaction; this layer adds the wake-ups (executors claim resumed or retried work at once,
 * and abort a canceled run's attempts on this node at once).
 */
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { AnswerMeta } from '../store/flows-port.js';
import type { Clock } from '../core/ids.js';
import type { ItemRecord, RunRecord } from '../core/model.js';
import type { Store } from '../store/port.js';
import type { Notifier } from './notifier.js';
import type { ProfileCatalog } from './profiles.js';
import type { RunsService } from './runs-service.js';
import type { PreparedManualRun } from './run-overrides.js';
import type { KindRegistry } from '../kinds/index.js';

export interface ControlDeps {
  store: Store;
  clock: Clock;
  notifier: Notifier;
  runs: RunsService;
  profiles: ProfileCatalog;
  /** The run kinds: a rerun asks the run's kind to plan again. */
  kinds: KindRegistry;
}

/** How a rerun picks its definition: the version the original ran, or the current one. */
export type RerunPin = 'version' | 'current';

export class ControlService {
  constructor(private readonly deps: ControlDeps) {}

  /** No new item is claimed; in-flight items finish. @throws IllegalTransitionError (409) */
  async pause(ws: string, runId: string): Promise<RunRecord> {
    const run = await this.deps.store.pauseRun(ws, runId, 'user', this.deps.clock.now());
    this.deps.notifier.runChanged(run.id);
    return run;
  }

  /** @throws IllegalTransitionError (409) */
  async resume(ws: string, runId: string): Promise<RunRecord> {
    const run = await this.deps.store.resumeRun(ws, runId, this.deps.clock.now());
    this.deps.notifier.runChanged(run.id);
    this.deps.notifier.workAvailable();
    return run;
  }

  /**
   * Cancels; in-flight producers on this node are aborted at once, on other nodes at their
   * next heartbeat. Cancelling a canceled run returns it unchanged.
   * @throws IllegalTransitionError (409) naming the status of a succeeded/partial/failed run
   */
  async cancel(ws: string, runId: string): Promise<RunRecord> {
    const res = await this.deps.store.cancelRun(ws, runId, this.deps.clock.now());
    if (res.changed) this.deps.notifier.runCanceled(res.run.id);
    return res.run;
  }

  /**
   * Answers a waiting item: it becomes `succeeded` with `answer` as its outputs, the run's kind
   * plans what follows (appended in the same transaction) and the run's status is decided again.
   * Compare-and-set: of concurrent answers exactly one is applied.
   * @param answer the answer, a JSON object (becomes the item's `outputs`)
   * @returns the run after the answer and the answered item
   * @throws NotFoundError (404) for an unknown run or item; RunyardError `item_not_waiting`
   *   (409) when the item is not waiting (already answered) or the run is finished
   */
  async respond(ws: string, runId: string, itemId: string, answer: Record<string, unknown>, meta?: AnswerMeta): Promise<{ run: RunRecord; item: ItemRecord }> {
    const { kinds } = this.deps;
    const outcomeOf = (item: ItemRecord) =>
      item.status === 'failed' && item.error ? { kind: 'failed' as const, item, error: item.error } : { kind: 'answered' as const, item, answer };
    // Only a kind that plans with the run's items has them read in the answer's transaction.
    const known = await this.deps.store.getRun(ws, runId);
    const withItems = known !== undefined && kinds.has(known.kind) && kinds.get(known.kind, 'kind').plansWithItems === true;
    const res = await this.deps.store.respondToItem(
      ws,
      runId,
      itemId,
      answer,
      this.deps.clock.now(),
      withItems
        ? (run, item, items) => kinds.get(run.kind, 'kind').next(run, outcomeOf(item), items)
        : (run, item) => kinds.get(run.kind, 'kind').next(run, outcomeOf(item)),
      meta,
    );
    this.deps.notifier.runChanged(res.run.id);
    this.deps.notifier.workAvailable();
    return res;
  }

  /**
   * Re-executes only the failed items.
   * @throws RunyardError `nothing_to_retry` (422); IllegalTransitionError (409)
   */
  async retryFailed(ws: string, runId: string): Promise<{ run: RunRecord; retried: number }> {
    const res = await this.deps.store.retryFailedItems(ws, runId, this.deps.clock.now());
    this.deps.notifier.runChanged(res.run.id);
    this.deps.notifier.workAvailable();
    return res;
  }

  /**
   * A new run of the same target with `retry_of` set; the run's kind plans it again.
   * `version`: from the original's frozen spec and items (`RunKindModule.replay`); `current`:
   * from the target's definition as it is now (`RunKindModule.currentTarget`).
   * @throws NotFoundError; ValidationError
   */
  async rerun(ws: string, runId: string, pin: RerunPin, idempotencyKey?: string): Promise<{ run: RunRecord; created: boolean }> {
    const { store } = this.deps;
    const original = await store.getRun(ws, runId);
    if (!original) throw new NotFoundError('run', runId);
    // The rerun keeps the original's prompt, session, env and sealed secrets as stored.
    const carried: PreparedManualRun = {
      prompt: original.prompt,
      session_id: original.session_id,
      overrides_env: original.overrides_env,
      sealed_secrets: await store.getRunSecrets(ws, original.id),
      hashPart: undefined,
      env_names: Object.keys(original.overrides_env ?? {}),
      secret_names: original.secret_names,
    };
    const opts = {
      retry_of: original.id,
      mode: original.mode,
      tags: original.tags,
      trigger: { type: 'manual' as const },
      ...(idempotencyKey === undefined ? {} : { idempotency_key: idempotencyKey }),
    };
    const kind = this.deps.kinds.get(original.kind, 'kind');
    if (pin === 'current') {
      const target = kind.currentTarget(original);
      if (!target) throw new ValidationError(`pin: run ${original.id} has no current definition to re-run; use pin=version`, { field: 'pin' });
      return this.deps.runs.startRun(ws, target, { ...opts, profile: original.profile }, carried);
    }
    const items: ItemRecord[] = [];
    for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
      const page = await store.listItems(ws, original.id, {}, { limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
      items.push(...page.data);
      cursor = page.next_cursor ?? undefined;
    }
    const plan = kind.replay(original, items);
    return this.deps.runs.createRun(ws, {
      kind: original.kind,
      target_id: original.target_id,
      target_version: original.target_version,
      name: original.name,
      profile: this.deps.profiles.resolve(original.profile),
      spec: original.spec,
      opts,
      items: plan.items,
      phase: plan.phase ?? null,
      ...(plan.output === undefined ? {} : { output: plan.output }),
      manual: carried,
    });
  }
}
