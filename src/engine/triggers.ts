/**
 * Triggers (issue 15): events routed by rules, cron schedules and signed webhooks start runs of
 * any registered kind, labelled with what started them. The parts live in engine/triggers/:
 * events, rules, schedules, hooks, and the routing of fires into runs.
 *
 * Never twice, never lost:
 * - an event and its fires (one per matching rule) are written in one transaction; a fire is
 *   unique per rule + event, and a schedule slot's fire per schedule + slot time;
 * - a fire is routed after commit by the node that wrote it (it holds the fire's lease); the run
 *   it starts has an idempotency key derived from the fire, so a second attempt (after a crash
 *   between the run and the fire's update) finds the first run instead of making another;
 * - a sweep on every node takes fires whose lease lapsed (a crash left them) and routes them.
 */
import type { FireRecord } from '../core/triggers.js';
import { EventsService } from './triggers/events.js';
import { HooksService } from './triggers/hooks.js';
import { FireRouter } from './triggers/routing.js';
import { RulesService } from './triggers/rules.js';
import { SchedulesService } from './triggers/schedules.js';
import { defaultTriggerOptions, type TriggerContext, type TriggerOptions, type TriggersDeps } from './triggers/shared.js';

export { defaultTriggerOptions, type FireView, type TriggerOptions, type TriggersDeps } from './triggers/shared.js';
export { type SendEvent } from './triggers/events.js';
export { DEFAULT_HOOK_BODY_BYTES, HOOK_SECRET_OVERLAP_MS, HookRejectedError, WEBHOOK_TOLERANCE_S, signatureMatches } from './triggers/hooks.js';

/** The trigger parts of one engine, and the loops (sweep, scheduler) of this node. */
export class TriggersService {
  readonly options: TriggerOptions;
  readonly router: FireRouter;
  readonly events: EventsService;
  readonly rules: RulesService;
  readonly schedules: SchedulesService;
  readonly hooks: HooksService;
  #timers: NodeJS.Timeout[] = [];

  constructor(deps: TriggersDeps) {
    this.options = { ...defaultTriggerOptions, ...deps.options };
    const ctx: TriggerContext = { ...deps, options: this.options };
    this.router = new FireRouter(ctx);
    this.events = new EventsService(ctx, this.router);
    this.rules = new RulesService(ctx);
    this.schedules = new SchedulesService(ctx, this.router);
    this.hooks = new HooksService(ctx, this.events);
  }

  /** Starts the sweep and the scheduler on this node (idempotent). */
  start(): void {
    if (!this.router.stopped) return;
    this.router.stopped = false;
    this.schedules.stopped = false;
    this.#timers.push(setInterval(() => void this.router.sweep(), this.options.sweepMs));
    this.#timers.push(setInterval(() => void this.schedules.tick(), this.options.scheduleTickMs));
    for (const t of this.#timers) t.unref();
  }

  /** Stops the loops and waits for routing in flight. */
  async stop(): Promise<void> {
    this.router.stopped = true;
    this.schedules.stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    await this.router.settle();
  }

  /** Recent fires of a rule or schedule, newest first. */
  fires(ws: string, sourceId: string, limit = 20): Promise<FireRecord[]> {
    return this.rules.fires(ws, sourceId, limit);
  }
}
