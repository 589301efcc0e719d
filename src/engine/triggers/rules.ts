/**
 * Rules (issue 15, `rul_…`, versioned): on an event name, an optional CEL filter, a target of any
 * registered kind, a prompt template and flow control (idempotency key, debounce, rate). A fire
 * routes with the version it was decided with.
 */
import { NotFoundError, ValidationError } from '../../core/errors.js';
import {
  compileCel,
  concurrencyKey,
  evalFilter,
  eventScope,
  parseDuration,
  renderRulePrompt,
  ruleRunKey,
  type FireRecord,
  type RuleDefinition,
  type RuleRecord,
  type TriggerStatus,
} from '../../core/triggers.js';
import type { SendEvent } from './events.js';
import { checkTargetTemplates, targetForEvent } from './targets.js';
import { checkRunOptions, nameCheck, type TriggerContext } from './shared.js';

export class RulesService {
  constructor(private readonly ctx: TriggerContext) {}

  private get st() {
    return this.ctx.store.triggers;
  }

  /**
   * Checks a rule definition: the filter and key compile, the prompt parses, the target names a
   * registered kind and exists.
   * @throws ValidationError naming the field (`if`, `idempotency_key`, `prompt`, `target…`)
   */
  async checkRule(ws: string, def: RuleDefinition): Promise<void> {
    nameCheck(def.name, 'name');
    nameCheck(def.on, 'on');
    if (def.if !== undefined) compileCel(def.if, 'if');
    if (def.idempotency_key !== undefined) compileCel(def.idempotency_key, 'idempotency_key');
    if (def.debounce !== undefined) {
      parseDuration(def.debounce.period, 'debounce.period');
      if (def.debounce.key !== undefined) compileCel(def.debounce.key, 'debounce.key');
    }
    if (def.rate !== undefined) {
      parseDuration(def.rate.period, 'rate.period');
      if (!Number.isInteger(def.rate.limit) || def.rate.limit < 1 || def.rate.limit > 10_000)
        throw new ValidationError('rate.limit: expected an integer from 1 to 10000', { field: 'rate.limit' });
    }
    if (def.concurrency !== undefined) {
      compileCel(def.concurrency.key, 'concurrency.key');
      if (!Number.isInteger(def.concurrency.limit) || def.concurrency.limit < 1 || def.concurrency.limit > 1000)
        throw new ValidationError('concurrency.limit: expected an integer from 1 to 1000', { field: 'concurrency.limit' });
    }
    checkTargetTemplates(def.target);
    await checkRunOptions(this.ctx, ws, def, def.target);
  }

  /** Saves a new rule (version 1). @throws ValidationError naming the field (nothing saved) */
  async createRule(ws: string, def: RuleDefinition, status: TriggerStatus = 'active'): Promise<RuleRecord> {
    await this.checkRule(ws, def);
    const now = this.ctx.clock.now();
    return this.st.createRule({ id: this.ctx.ids.next('rul'), workspace_id: ws, version: 1, status, definition: def, created_at: now, updated_at: now });
  }

  /** Saves a new version of a rule; fires decided earlier keep the version they were decided with. @throws ValidationError, NotFoundError */
  async updateRule(ws: string, id: string, def: RuleDefinition): Promise<RuleRecord> {
    await this.getRule(ws, id);
    await this.checkRule(ws, def);
    const r = await this.st.updateRule(ws, id, def, this.ctx.clock.now());
    if (!r) throw new NotFoundError('rule', id);
    return r;
  }

  /** @throws NotFoundError */
  async getRule(ws: string, id: string): Promise<RuleRecord> {
    const r = await this.st.getRule(ws, id);
    if (!r) throw new NotFoundError('rule', id);
    return r;
  }

  listRules(ws: string): Promise<RuleRecord[]> {
    return this.st.listRules(ws);
  }

  /** Pause (events are still recorded, the rule's fires `skipped: rule_paused`) or resume. @throws NotFoundError */
  async setRuleStatus(ws: string, id: string, status: TriggerStatus): Promise<RuleRecord> {
    const r = await this.st.setRuleStatus(ws, id, status, this.ctx.clock.now());
    if (!r) throw new NotFoundError('rule', id);
    return r;
  }

  /** @throws NotFoundError */
  async deleteRule(ws: string, id: string): Promise<void> {
    if (!(await this.st.deleteRule(ws, id))) throw new NotFoundError('rule', id);
  }

  /** Recent fires of a rule or schedule, newest first. */
  fires(ws: string, sourceId: string, limit = 20): Promise<FireRecord[]> {
    return this.st.listFires(ws, { source_id: sourceId, limit });
  }

  /**
   * Tests a rule against a sample event without writing or starting anything: whether it
   * matches, and the run it would start (target, trigger, prompt, idempotency key).
   * @throws NotFoundError; ValidationError naming `name`
   */
  async testRule(ws: string, id: string, sample: SendEvent) {
    const rule = await this.getRule(ws, id);
    nameCheck(sample.name, 'name');
    const now = this.ctx.clock.now();
    const ev = { id: 'tev_sample', name: sample.name, data: sample.data ?? {}, ts: sample.ts ?? now };
    const def = rule.definition;
    if (sample.name !== def.on) return { match: false, reason: `the rule listens to "${def.on}", not "${sample.name}"`, run: null };
    if (rule.status === 'paused') return { match: false, reason: 'rule_paused', run: null };
    const f = evalFilter(def, eventScope(ev));
    if (!f.match) return { match: false, reason: 'error' in f ? f.error : 'if: false', run: null };
    try {
      const prompt = renderRulePrompt(def, ev);
      return {
        match: true,
        reason: null,
        run: {
          target: targetForEvent(def.target, ev),
          trigger: { type: 'rule' as const, source_id: rule.id, actor: ev.id },
          prompt: prompt ?? null,
          mode: def.mode ?? 'live',
          profile: def.profile ?? null,
          name: def.run_name ?? null,
          idempotency_key: ruleRunKey(rule.id, def, ev),
          ...(def.concurrency ? { concurrency_key: concurrencyKey(def.concurrency, eventScope(ev)) } : {}),
        },
      };
    } catch (err) {
      return { match: true, reason: `would fail: ${(err as Error).message}`, run: null };
    }
  }
}
