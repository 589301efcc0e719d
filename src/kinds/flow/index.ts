/**
 * The `flow` kind (alias `workflow`): a versioned definition (definition.ts) whose steps run in
 * order, each executed step an item (key = step id; `id[i]` for iteration i of a `for_each`),
 * appended as the flow advances. The kind plans inside the transaction that writes each
 * outcome (`plansWithItems`), from the run's items: step outputs are the items' outputs, vars
 * live in `runs.output.vars` (written with the outcome that assigned them), so a crash resumes at
 * the step in flight and a succeeded step never runs again.
 *
 * Step types: `tool` (an item of any producer), `branch` / `decide` / `summarize` (computed here
 * with CEL and recorded as a `flow_step` item that echoes its output), `for_each` (an item per
 * element, at most `concurrency` at once, joined when all are done), `input` (an `input` item:
 * a wait a person answers; the run is `waiting_for_input` meanwhile and holds no slot).
 *
 * Outcome: a step that fails with `on_error: fail` fails the run (`runs.error`
 * `step_failed`); with `continue` the flow goes on and ends `partial`; a run in which no step
 * was selected ends `succeeded` with no items. A CEL error at run time fails the step it belongs
 * to with `expression_error` naming the expression.
 *
 * Target: `{type: 'flow', flow_id, version?, inputs?}`; the definition is frozen in the run's
 * spec (`config.definition`, `config.inputs`) and the run pins `target_version`.
 */
import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { FollowUp, ItemOutcome, ItemView, PlannedItem, ResolvedTarget, RunKindModule, StartPlan, TargetRef } from '../../core/kind.js';
import type { RunRecord } from '../../core/model.js';
import { renderDeep } from '../../core/template.js';
import { evaluate, ExpressionError, test } from './cel.js';
import { checkInputs, parseDefinition, type FlowDefinition, type FlowStep, type ForEachStep, type ParallelStep } from './definition.js';
import { computed, decideByModel, exprFail, FLOW_STEP_PRODUCER, stepOutput, toolItem, waitItem } from './planners.js';

export { parseDefinition, definitionJsonSchema, checkInputs, DEFAULT_PHASES, type FlowDefinition } from './definition.js';

/** A parsed flow target. */
export interface FlowRef {
  flow_id: string;
  version: number | undefined;
  inputs: Record<string, unknown>;
}

export { FLOW_STEP_PRODUCER } from './planners.js';

const FIELDS: ReadonlySet<string> = new Set(['type', 'flow_id', 'version', 'inputs']);

/** What expressions see. */
interface Scope {
  input: Record<string, unknown>;
  vars: Record<string, unknown>;
  steps: Record<string, { output: unknown; status: string }>;
  responses: Record<string, unknown>;
}

/** The frozen definition and inputs of a run. */
function frozen(run: Pick<RunRecord, 'spec'>): { def: FlowDefinition; inputs: Record<string, unknown> } {
  const cfg = run.spec.config as { definition: FlowDefinition; inputs: Record<string, unknown> };
  return { def: cfg.definition, inputs: cfg.inputs ?? {} };
}

/** `id` or `id[i]` → step id and loop index. */
function parseKey(key: string): { id: string; index: number | null } {
  const m = /^(.*)\[(\d+)\]$/.exec(key);
  return m ? { id: m[1]!, index: Number(m[2]) } : { id: key, index: null };
}

function varsOf(run: Pick<RunRecord, 'output'>, def: FlowDefinition): Record<string, unknown> {
  const out = run.output as { vars?: Record<string, unknown> } | null;
  return out?.vars ?? { ...def.vars };
}

/** The scope from the run's items (succeeded step outputs; loops as `{outputs, failed}`). */
function scopeOf(def: FlowDefinition, inputs: Record<string, unknown>, vars: Record<string, unknown>, items: readonly ItemView[]): Scope {
  const steps: Scope['steps'] = {};
  const responses: Scope['responses'] = {};
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  const loops = new Map<string, { outputs: unknown[]; failed: number }>();
  for (const it of items) {
    const { id, index } = parseKey(it.key);
    if (index !== null) {
      const l = loops.get(id) ?? { outputs: [], failed: 0 };
      l.outputs[index] = it.status === 'succeeded' ? (it.outputs ?? null) : null;
      if (it.status === 'failed') l.failed += 1;
      loops.set(id, l);
      continue;
    }
    steps[id] = { output: it.status === 'succeeded' ? stepOutput(byId.get(id), it.outputs ?? null) : null, status: it.status };
    if (byId.get(id)?.type === 'input' && it.status === 'succeeded') responses[id] = it.outputs;
  }
  for (const [id, l] of loops) {
    const step = byId.get(id);
    // A parallel step's outputs are keyed by branch id.
    const outputs = step?.type === 'parallel' ? Object.fromEntries(step.branches.map((b, j) => [b.id, l.outputs[j] ?? null])) : l.outputs;
    steps[id] = { output: { outputs, failed: l.failed }, status: 'succeeded' };
  }
  return { input: inputs, vars, steps, responses };
}

/** The items that start a `for_each`: the first `concurrency` elements (or none: the loop is done). */
function loopStart(step: ForEachStep, scope: Scope): { items: PlannedItem[]; list: unknown[] } | { error: PlannedItem } {
  let list: unknown;
  try {
    list = evaluate(step.items, scope as unknown as Record<string, unknown>);
  } catch (err) {
    return { error: exprFail(`${step.id}[0]`, err) };
  }
  if (!Array.isArray(list)) return { error: exprFail(`${step.id}[0]`, new ExpressionError(step.items, 'expected a list')) };
  const items = list
    .slice(0, step.concurrency)
    .map((item, i) => toolItem(`${step.id}[${i}]`, { ...step.step, timeout_s: step.timeout_s }, { ...scope, item, index: i }));
  return { items, list };
}

/** The plan of the step at `at`, or undefined when it is passed over (`when` false). */
function planStep(step: FlowStep, scope: Scope): PlannedItem[] | undefined {
  const ctx = scope as unknown as Record<string, unknown>;
  if (step.when !== undefined) {
    try {
      if (!test(step.when, ctx)) return undefined;
    } catch (err) {
      return [exprFail(step.id, err)];
    }
  }
  try {
    switch (step.type) {
      case 'tool':
        return [toolItem(step.id, step, ctx)];
      case 'branch': {
        const hit = step.cases.findIndex((c) => test(c.when, ctx));
        const next = hit >= 0 ? step.cases[hit]!.next : (step.default ?? null);
        return [computed(step.id, { output: { case: hit >= 0 ? hit : null, next } })];
      }
      case 'decide': {
        if (step.model !== undefined) return [decideByModel(step, ctx)];
        const rule = step.rule!;
        const option = evaluate(rule, ctx);
        const chosen = step.options.find((o) => o.id === option);
        if (!chosen) {
          const ids = step.options.map((o) => o.id).join(', ');
          return [
            computed(step.id, {
              error: { code: 'expression_error', message: `expression ${JSON.stringify(rule)}: chose ${JSON.stringify(option)}, not one of ${ids}` },
            }),
          ];
        }
        const rationale = step.rationale ? String(evaluate(step.rationale, ctx)) : `rule ${rule} chose ${chosen.id}`;
        return [computed(step.id, { output: { option: chosen.id, rationale, decided_by: 'rule', next: chosen.next ?? null } })];
      }
      case 'for_each': {
        const s = loopStart(step, scope);
        if ('error' in s) return [s.error];
        // An empty list: the loop is recorded as a step with no iterations.
        return s.items.length > 0 ? s.items : [computed(step.id, { output: { outputs: [], failed: 0 } })];
      }
      case 'parallel':
        return step.branches.map((b, j) => toolItem(`${step.id}[${j}]`, b, ctx));
      case 'wait':
        return [waitItem(step, ctx, Date.now())];
      case 'input': {
        const prompt = String(renderDeep(step.prompt, ctx, 'prompt'));
        const inputs: Record<string, unknown> = {
          prompt,
          ...(step.title ? { title: String(renderDeep(step.title, ctx, 'title')) } : {}),
          ...(step.form ? { form: step.form } : {}),
          ...(step.decisions ? { decisions: step.decisions } : {}),
          ...(step.expires_in_s ? { expires_in_ms: Math.round(step.expires_in_s * 1000) } : {}),
          on_timeout: step.on_timeout,
          ...(step.default ? { default: step.default } : {}),
          ...(step.assignees ? { assignees: step.assignees } : {}),
        };
        return [{ key: step.id, producer: 'input', inputs }];
      }
      case 'summarize': {
        const summary = String(renderDeep(step.text, ctx, 'text'));
        const result = step.output ? evaluate(step.output, ctx) : null;
        return [computed(step.id, { output: { summary, result } })];
      }
    }
  } catch (err) {
    return [exprFail(step.id, err)];
  }
}

/**
 * Walks from step index `from`: the first step whose `when` holds is planned; steps passed
 * over make no item. None left: the flow is done (its phase cleared).
 */
function advance(def: FlowDefinition, scope: Scope, from: number, phase: string | null): FollowUp {
  for (let i = from; i < def.steps.length; i++) {
    const step = def.steps[i]!;
    const items = planStep(step, scope);
    if (items === undefined) continue;
    return { append: items, phase: step.phase ?? phase ?? def.phases[0] ?? null };
  }
  return { append: [], phase: null };
}

function indexOf(def: FlowDefinition, id: string | null | undefined): number | undefined {
  if (id === null || id === undefined) return undefined;
  const i = def.steps.findIndex((s) => s.id === id);
  return i < 0 ? undefined : i;
}

/** Applies a step's `assign`; returns the new vars, or the expression error. */
function assigned(step: FlowStep, scope: Scope, output: unknown): { vars: Record<string, unknown> } | { error: ExpressionError } {
  if (!step.assign) return { vars: scope.vars };
  const vars = { ...scope.vars };
  try {
    for (const [name, src] of Object.entries(step.assign)) vars[name] = evaluate(src, { ...scope, output } as unknown as Record<string, unknown>);
  } catch (err) {
    return { error: err instanceof ExpressionError ? err : new ExpressionError(String(step.assign), String(err)) };
  }
  return { vars };
}

/** After a step (not a loop iteration) settled: assign, pick the next step, plan it. */
function afterStep(def: FlowDefinition, run: RunRecord, step: FlowStep, at: number, outcome: ItemOutcome, scope: Scope): FollowUp {
  if (outcome.kind === 'failed') {
    if (step.on_error === 'continue') return advance(def, scope, at + 1, run.phase);
    const why = `step ${step.id} failed: ${outcome.error.code}: ${outcome.error.message}`;
    return {
      append: [],
      result: { error: { code: outcome.error.code === 'expression_error' ? 'expression_error' : 'step_failed', message: why, item_id: outcome.item.id } },
    };
  }
  const output = outcome.kind === 'answered' ? outcome.answer : stepOutput(step, outcome.outputs);
  const a = assigned(step, scope, output);
  if ('error' in a)
    return { append: [], result: { error: { code: 'expression_error', message: `step ${step.id} assign: ${a.error.message}`, item_id: outcome.item.id } } };
  const varsChanged = a.vars !== scope.vars;
  const next = { ...scope, vars: a.vars, steps: { ...scope.steps, [step.id]: { output, status: 'succeeded' } } };
  let jump: string | null | undefined = step.next;
  const out = output as { next?: string | null; decision?: string } | null;
  if ((step.type === 'branch' || step.type === 'decide') && out?.next) jump = out.next;
  if (step.type === 'input' && out?.decision) jump = step.decisions?.find((d) => d.id === out.decision)?.next ?? jump;
  const f = advance(def, next, indexOf(def, jump) ?? at + 1, step.phase ?? run.phase);
  const result: NonNullable<FollowUp['result']> = {};
  if (varsChanged) result.output = { ...((run.output as object | null) ?? {}), vars: a.vars };
  if (step.type === 'summarize') {
    const s = output as { summary?: string; result?: unknown };
    if (s.summary !== undefined) result.summary = s.summary;
    result.output = { ...((run.output as object | null) ?? {}), vars: a.vars, result: s.result ?? null };
  }
  return Object.keys(result).length > 0 ? { ...f, result } : f;
}

/**
 * A loop's evaluated list by `run:step`, so each iteration does not evaluate it again. Safe: a
 * flow runs one step at a time, so nothing the list's expression sees changes while its loop
 * runs (vars are assigned at the join). Lost on restart, then evaluated again. Bounded.
 */
const loopLists = new Map<string, unknown[]>();
const LOOP_LISTS_MAX = 1000;

function rememberList(key: string, list: unknown[]): void {
  if (loopLists.has(key)) return;
  if (loopLists.size >= LOOP_LISTS_MAX) loopLists.delete(loopLists.keys().next().value!);
  loopLists.set(key, list);
}

/**
 * After one element of a loop or one branch of a `parallel` settled: start the next elements
 * (a loop, up to its concurrency), or join when all are done.
 */
function afterIteration(def: FlowDefinition, run: RunRecord, step: ForEachStep | ParallelStep, at: number, scope: Scope, items: readonly ItemView[]): FollowUp {
  const prefix = `${step.id}[`;
  const mine = items.filter((i) => i.key.startsWith(prefix));
  const started = new Set(mine.map((i) => parseKey(i.key).index!));
  const open = mine.filter((i) => i.status === 'pending' || i.status === 'running' || i.status === 'waiting_for_input').length;
  const failed = mine.filter((i) => i.status === 'failed').length;
  let list: unknown = step.type === 'parallel' ? step.branches : loopLists.get(`${run.id}:${step.id}`);
  try {
    if (step.type === 'for_each' && list === undefined)
      list = evaluate(step.items, { ...scope, steps: Object.fromEntries(Object.entries(scope.steps).filter(([k]) => k !== step.id)) } as unknown as Record<
        string,
        unknown
      >);
  } catch (err) {
    return { append: [], result: { error: { code: 'expression_error', message: `step ${step.id}: ${(err as Error).message}` } } };
  }
  const all = Array.isArray(list) ? list : [];
  if (step.type === 'for_each') rememberList(`${run.id}:${step.id}`, all);
  const stop = failed > 0 && step.on_error === 'fail';
  const append: PlannedItem[] = [];
  if (!stop && step.type === 'for_each') {
    for (let i = 0; i < all.length && open + append.length < step.concurrency; i++) {
      if (!started.has(i)) append.push(toolItem(`${step.id}[${i}]`, { ...step.step, timeout_s: step.timeout_s }, { ...scope, item: all[i], index: i }));
    }
  }
  if (append.length > 0 || open > 0) return { append };
  // Every started iteration is done and nothing is left to start: the loop is joined.
  if (stop) {
    const what = step.type === 'parallel' ? 'branches' : 'iterations';
    return { append: [], result: { error: { code: 'step_failed', message: `step ${step.id}: ${failed} of ${all.length} ${what} failed` } } };
  }
  const output = scope.steps[step.id]?.output ?? { outputs: [], failed };
  const outcome: ItemOutcome = { kind: 'succeeded', item: { key: step.id } as ItemOutcome['item'], outputs: output as Record<string, unknown> };
  return afterStep(def, run, step, at, outcome, scope);
}

/**
 * Drops planned steps the run already has: after retry-failed, a step that failed with
 * `on_error: continue` and now succeeds plans a next step that ran already (a step runs once).
 */
function withoutExisting(f: FollowUp, items: readonly ItemView[]): FollowUp {
  if (f.append.length === 0) return f;
  const keys = new Set(items.map((i) => i.key));
  const append = f.append.filter((p) => !keys.has(p.key));
  return append.length === f.append.length ? f : { ...f, append };
}

function targetOf(raw: TargetRef): FlowRef {
  for (const k of Object.keys(raw)) {
    if (!FIELDS.has(k)) throw new ValidationError(`target.${k}: not a field of a flow target (${[...FIELDS].join(', ')})`, { field: `target.${k}` });
  }
  if (typeof raw.flow_id !== 'string' || raw.flow_id === '')
    throw new ValidationError('target.flow_id: expected a flow id (flw_…)', { field: 'target.flow_id' });
  const v = raw.version;
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) {
    throw new ValidationError('target.version: expected a version number (1, 2, …)', { field: 'target.version' });
  }
  const inputs = raw.inputs ?? {};
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs))
    throw new ValidationError('target.inputs: expected an object', { field: 'target.inputs' });
  return { flow_id: raw.flow_id, version: v, inputs: inputs as Record<string, unknown> };
}

function startOf(config: Record<string, unknown>): StartPlan {
  const { def, inputs } = frozen({ spec: { config } as RunRecord['spec'] });
  const scope = scopeOf(def, inputs, { ...def.vars }, []);
  const f = advance(def, scope, 0, def.phases[0] ?? null);
  if (f.append.length === 0) return { items: [], phase: null, output: { no_steps: true, vars: scope.vars } };
  return { items: f.append, phase: f.phase ?? null };
}

/** The flow kind module. */
export const flowKind: RunKindModule<FlowRef> = {
  kind: 'flow',
  aliases: ['workflow'],
  outcome: 'items',
  plansWithItems: true,

  parseTarget: targetOf,

  async resolve(ref, io): Promise<ResolvedTarget> {
    const flow = io.flow ? await io.flow(ref.flow_id, ref.version) : undefined;
    if (!flow) throw new NotFoundError('flow', ref.version === undefined ? ref.flow_id : `${ref.flow_id}@${ref.version}`);
    const def = parseDefinition(flow.definition);
    checkInputs(def, ref.inputs);
    return {
      kind: 'flow',
      target_id: flow.id,
      target_version: flow.version,
      default_name: flow.name,
      profile: 'small',
      producer: FLOW_STEP_PRODUCER,
      config: { definition: def, inputs: ref.inputs },
      sink: null,
    };
  },

  start(target): Promise<StartPlan> {
    return Promise.resolve(startOf(target.config));
  },

  next(run, outcome, items = []): FollowUp {
    const { def, inputs } = frozen(run);
    const { id, index } = parseKey(outcome.item.key);
    const at = indexOf(def, id);
    if (at === undefined) return { append: [] };
    const step = def.steps[at]!;
    const scope = scopeOf(def, inputs, varsOf(run, def), items);
    const f =
      (step.type === 'for_each' || step.type === 'parallel') && index !== null
        ? afterIteration(def, run, step, at, scope, items)
        : afterStep(def, run, step, at, outcome, scope);
    return withoutExisting(f, items);
  },

  replay(run): StartPlan {
    return startOf(run.spec.config);
  },

  currentTarget(run): TargetRef {
    return { type: 'flow', flow_id: run.target_id, inputs: frozen(run).inputs };
  },
};
