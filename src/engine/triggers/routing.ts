/**
 * Routing fires into runs: the node that wrote a fire routes it after commit (it holds the
 * fire's lease); the run's idempotency key is derived from the fire, so a second attempt (after a
 * crash between the run and the fire's update) finds the first run instead of making another; a
 * sweep on every node takes fires whose lease lapsed and routes them.
 */
import { IdempotencyConflictError, NotFoundError, RunyardError } from '../../core/errors.js';
import type { TargetRef } from '../../core/kind.js';
import type { RunRecord } from '../../core/model.js';
import { concurrencyKey, eventScope, parseDuration, renderRulePrompt, ruleRunKey, type FireRecord } from '../../core/triggers.js';
import type { StartColumnRun } from '../runs-service.js';
import { targetForEvent } from './targets.js';
import { runOpts, type FireSink, type TriggerContext } from './shared.js';

/** What a fire starts: the target, the run options, and the rule's rate window if any. */
export interface FirePlan {
  target: TargetRef;
  opts: StartColumnRun;
  rate?: { window: number; limit: number };
  /** The rule's concurrency key value for this event, and its limit. */
  concurrency?: { key: string; limit: number };
}

export class FireRouter implements FireSink {
  #inFlight = new Set<Promise<unknown>>();
  #sweeping = false;
  /** Set by the service: the sweep does nothing while stopped. */
  stopped = true;

  constructor(private readonly ctx: TriggerContext) {}

  private get st() {
    return this.ctx.store.triggers;
  }

  /** Routes fires in the background; a failure leaves the fire pending for the sweep. */
  routeSoon(fires: FireRecord[]): void {
    for (const f of fires) {
      const p = this.route(f).catch((err: unknown) =>
        this.ctx.logger.warn('trigger routing failed; the sweep retries', { source_id: f.source_id, cause: f.cause, error: String(err) }),
      );
      this.#inFlight.add(p);
      void p.finally(() => this.#inFlight.delete(p));
    }
  }

  /** Waits for routing in flight. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Routes one fire this node holds: starts its run (or finds the one an earlier attempt started) and records the outcome. */
  async route(f: FireRecord): Promise<RunRecord | undefined> {
    const now = () => this.ctx.clock.now();
    const key = { source_id: f.source_id, cause: f.cause };
    let planned: FirePlan;
    try {
      planned = await this.plan(f);
    } catch (err) {
      if (!(err instanceof RunyardError)) throw err;
      await this.st.finishFire(key, { status: 'failed', reason: err.message.slice(0, 500), run_id: null }, now());
      return undefined;
    }
    const idem = planned.opts.idempotency_key ?? '';
    if (planned.rate && !(await this.st.takeRateToken(f.source_id, planned.rate.window, planned.rate.limit, f.cause))) {
      const existing = await this.ctx.store.findRunByIdempotencyKey(f.workspace_id, idem);
      if (!existing) {
        await this.st.finishFire(key, { status: 'skipped', reason: 'rate_limited', run_id: null }, now());
        return undefined;
      }
    }
    if (planned.concurrency && !(await this.takeSlot(f, planned.concurrency))) return undefined;
    const slotted = planned.concurrency !== undefined;
    try {
      const { run } = await this.ctx.runs.startRun(f.workspace_id, planned.target, planned.opts);
      const same = run.trigger.source_id === f.source_id && (f.event_id === null || run.trigger.actor === f.event_id);
      // The slot is bound before the fire is finished: a slot without a run is freed once its fire is.
      if (slotted && same) await this.st.bindConcurrencySlot(f.source_id, f.cause, run.id);
      else if (slotted) await this.st.releaseConcurrencySlot(f.source_id, f.cause);
      await this.st.finishFire(
        key,
        same ? { status: 'started', reason: null, run_id: run.id } : { status: 'skipped', reason: 'duplicate_key', run_id: run.id },
        now(),
      );
      return run;
    } catch (err) {
      // The key is taken by another cause's run (rule key expression), or a concurrent attempt won the insert.
      const existing = await this.ctx.store.findRunByIdempotencyKey(f.workspace_id, idem);
      if (existing) {
        const mine = existing.run.trigger.source_id === f.source_id && (f.event_id === null || existing.run.trigger.actor === f.event_id);
        if (slotted && mine) await this.st.bindConcurrencySlot(f.source_id, f.cause, existing.run.id);
        else if (slotted) await this.st.releaseConcurrencySlot(f.source_id, f.cause);
        await this.st.finishFire(
          key,
          mine ? { status: 'started', reason: null, run_id: existing.run.id } : { status: 'skipped', reason: 'duplicate_key', run_id: existing.run.id },
          now(),
        );
        return existing.run;
      }
      if (err instanceof RunyardError && !(err instanceof IdempotencyConflictError) && err.code !== 'database_unavailable' && err.code !== 'internal') {
        if (slotted) await this.st.releaseConcurrencySlot(f.source_id, f.cause);
        await this.st.finishFire(key, { status: 'failed', reason: err.message.slice(0, 500), run_id: null }, now());
        return undefined;
      }
      throw err;
    }
  }

  /**
   * Takes a concurrency slot of the fire's key, or holds the fire (pending, reason
   * `concurrency_limit`) until a run of the key ends. After holding it looks once more: a slot
   * freed between the first look and the hold woke no one, so this fire takes it.
   */
  private async takeSlot(f: FireRecord, c: { key: string; limit: number }): Promise<boolean> {
    const now = this.ctx.clock.now();
    if (await this.st.takeConcurrencySlot(f.source_id, c.key, c.limit, f.cause, now)) return true;
    await this.st.holdFire({ source_id: f.source_id, cause: f.cause }, c.key, now + this.ctx.options.heldRecheckMs, now);
    return this.st.takeConcurrencySlot(f.source_id, c.key, c.limit, f.cause, this.ctx.clock.now());
  }

  /**
   * Frees concurrency slots whose run is terminal (or whose fire ended without a run) and wakes
   * the oldest held fire of each freed key. Any node may do it: a slot is freed by one delete,
   * and a held fire is woken by compare-and-set on its lease.
   */
  async releaseFinished(): Promise<number> {
    let woken = 0;
    for (const s of await this.st.finishedConcurrencySlots(100)) {
      if (!(await this.st.releaseConcurrencySlot(s.source_id, s.cause))) continue;
      const fires = await this.st.wakeHeldFires(s.source_id, s.slot_key, 1, this.ctx.clock.now(), this.ctx.options.fireLeaseMs);
      woken += fires.length;
      this.routeSoon(fires);
    }
    return woken;
  }

  /** The target and run options of a fire, from the rule or schedule version it was decided with. */
  private async plan(f: FireRecord): Promise<FirePlan> {
    if (f.source_type === 'rule') {
      const def = (await this.st.getRule(f.workspace_id, f.source_id)) && (await this.st.getRuleVersion(f.source_id, f.source_version));
      // A rule deleted before its fire was routed starts nothing (the fire says why).
      if (!def) throw new NotFoundError('rule', f.source_id);
      const event = f.event_id === null ? undefined : await this.st.getEvent(f.workspace_id, f.event_id);
      if (!event) throw new NotFoundError('event', String(f.event_id));
      const prompt = renderRulePrompt(def, event);
      const period = def.rate ? parseDuration(def.rate.period, 'rate.period') : 0;
      return {
        ...(def.rate ? { rate: { window: Math.floor(event.created_at / period) * period, limit: def.rate.limit } } : {}),
        ...(def.concurrency ? { concurrency: { key: concurrencyKey(def.concurrency, eventScope(event)), limit: def.concurrency.limit } } : {}),
        target: targetForEvent(def.target, event),
        opts: {
          ...runOpts(def),
          ...(prompt === undefined ? {} : { prompt }),
          trigger: { type: 'rule', source_id: f.source_id, actor: event.id },
          idempotency_key: ruleRunKey(f.source_id, def, event),
        },
      };
    }
    const s = await this.st.getSchedule(f.workspace_id, f.source_id);
    if (!s) throw new NotFoundError('schedule', f.source_id);
    const def = s.definition;
    const slot = new Date(f.slot_at ?? 0).toISOString();
    return {
      target: def.target,
      opts: {
        ...runOpts(def),
        ...(def.prompt === undefined ? {} : { prompt: def.prompt }),
        name: `${def.run_name ?? def.name} · ${slot}`,
        trigger: { type: 'schedule', source_id: s.id, actor: null },
        tags: [`slot:${slot}`],
        idempotency_key: `schedule:${s.id}:${slot}`,
      },
    };
  }

  /** Routes fires a crash or a stopped node left pending (their lease lapsed). */
  async sweep(): Promise<number> {
    if (this.#sweeping || this.stopped) return 0;
    this.#sweeping = true;
    try {
      await this.releaseFinished();
      const fires = await this.st.claimPendingFires(this.ctx.clock.now(), this.ctx.options.fireLeaseMs, 100);
      for (const f of fires) await this.route(f).catch((err: unknown) => this.ctx.logger.warn('trigger sweep failed', { cause: f.cause, error: String(err) }));
      return fires.length;
    } catch (err) {
      this.ctx.logger.warn('trigger sweep failed', { error: String(err) });
      return 0;
    } finally {
      this.#sweeping = false;
    }
  }
}
