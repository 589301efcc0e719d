/**
 * Schedules (issue 15, `sch_…`): cron (seconds optional, croner) in a time zone. Each node's
 * scheduler moves a schedule's cursor by compare-and-set and writes one fire per slot, keyed
 * (schedule, slot time): two nodes never both fire a slot; missed slots fire only per `catch_up`.
 */
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { cronOf, decideSlots, nextSlots, type ScheduleDefinition, type ScheduleRecord, type TriggerStatus } from '../../core/triggers.js';
import type { NewFire } from '../../store/trigger-port.js';
import { checkRunOptions, nameCheck, type FireSink, type TriggerContext } from './shared.js';

export class SchedulesService {
  #ticking = false;
  /** Set by the service: the scheduler does nothing while stopped. */
  stopped = true;

  constructor(
    private readonly ctx: TriggerContext,
    private readonly router: FireSink,
  ) {}

  private get st() {
    return this.ctx.store.triggers;
  }

  /** @throws ValidationError naming `cron`, `timezone`, `end_at`, `catch_up` or the target's field */
  private async check(ws: string, def: ScheduleDefinition, now: number): Promise<void> {
    nameCheck(def.name, 'name');
    cronOf(def, now);
    if (nextSlots(def, now, 1).length === 0) throw new ValidationError('end_at: the schedule never fires before its end', { field: 'end_at' });
    await checkRunOptions(this.ctx, ws, def, def.target);
  }

  /**
   * Edits a schedule: `patch` over its definition, checked as a new one, saved as the next
   * version. Slots already decided stay decided; the new definition fires from now on.
   * @throws NotFoundError; ValidationError naming the field (nothing saved)
   */
  async updateSchedule(ws: string, id: string, patch: Partial<ScheduleDefinition>): Promise<ScheduleRecord> {
    const cur = await this.getSchedule(ws, id);
    const def: ScheduleDefinition = { ...cur.definition, ...patch };
    const now = this.ctx.clock.now();
    await this.check(ws, def, now);
    const s = await this.st.updateSchedule(ws, id, def, now);
    if (!s) throw new NotFoundError('schedule', id);
    return s;
  }

  /** @throws ValidationError naming `cron`, `timezone`, `end_at`, `catch_up` or the target's field */
  async createSchedule(ws: string, def: ScheduleDefinition, status: TriggerStatus = 'active'): Promise<ScheduleRecord> {
    const now = this.ctx.clock.now();
    await this.check(ws, def, now);
    return this.st.createSchedule({
      id: this.ctx.ids.next('sch'),
      workspace_id: ws,
      version: 1,
      status,
      definition: def,
      cursor_at: now,
      created_at: now,
      updated_at: now,
    });
  }

  /** @throws NotFoundError */
  async getSchedule(ws: string, id: string): Promise<ScheduleRecord> {
    const s = await this.st.getSchedule(ws, id);
    if (!s) throw new NotFoundError('schedule', id);
    return s;
  }

  listSchedules(ws: string): Promise<ScheduleRecord[]> {
    return this.st.listSchedules(ws);
  }

  /** Pause, or resume (slots passed while paused never fire). @throws NotFoundError */
  async setScheduleStatus(ws: string, id: string, status: TriggerStatus): Promise<ScheduleRecord> {
    const s = await this.st.setScheduleStatus(ws, id, status, this.ctx.clock.now());
    if (!s) throw new NotFoundError('schedule', id);
    return s;
  }

  /** @throws NotFoundError */
  async deleteSchedule(ws: string, id: string): Promise<void> {
    if (!(await this.st.deleteSchedule(ws, id))) throw new NotFoundError('schedule', id);
  }

  /** The next `n` fire times of a schedule, epoch ms. */
  nextFireTimes(s: ScheduleRecord, n = 5): number[] {
    return nextSlots(s.definition, Math.max(s.cursor_at, this.ctx.clock.now()), n);
  }

  /** One scheduler step: claims due slots of every active schedule (one node wins each) and routes them. */
  async tick(): Promise<number> {
    if (this.#ticking || this.stopped) return 0;
    this.#ticking = true;
    let fired = 0;
    try {
      const now = this.ctx.clock.now();
      for (const s of await this.st.activeSchedules()) {
        let d;
        try {
          d = decideSlots(s.definition, s.cursor_at, now, this.ctx.options.missedAfterMs);
        } catch (err) {
          this.ctx.logger.warn('schedule cannot be decided', { schedule_id: s.id, error: String(err) });
          continue;
        }
        if (d.cursor === s.cursor_at) continue;
        const lease = now + this.ctx.options.fireLeaseMs;
        const fires: NewFire[] = d.fire.map((t) => ({
          source_type: 'schedule',
          source_id: s.id,
          source_version: s.version,
          cause: new Date(t).toISOString(),
          event_id: null,
          group_key: null,
          slot_at: t,
          status: 'pending',
          reason: null,
          run_id: null,
          lease_until: lease,
        }));
        const claimed = await this.st.claimSlots(s.workspace_id, s.id, s.cursor_at, d.cursor, fires, now);
        if (d.skipped > 0 && claimed.length > 0)
          this.ctx.logger.info('schedule slots missed and not fired (catch_up)', { schedule_id: s.id, skipped: d.skipped });
        fired += claimed.length;
        this.router.routeSoon(claimed);
      }
    } catch (err) {
      this.ctx.logger.warn('scheduler step failed', { error: String(err) });
    } finally {
      this.#ticking = false;
    }
    return fired;
  }
}
