/**
 * Planning of the flow steps that are more than one CEL evaluation: a tool call (its args, its
 * config rendered, its `timeout_s`), a `decide` step that asks an LLM, a `wait` until a time,
 * and how a step's recorded outputs read in expressions (`steps.<id>.output`).
 */
import type { PlannedItem } from '../../core/kind.js';
import { renderDeep } from '../../core/template.js';
import { evaluate, ExpressionError } from './cel.js';
import type { DecideStep, FlowStep, WaitStep } from './definition.js';

/** The producer that records a computed step (branch, decide by rule, summarize, wait) or fails it. */
export const FLOW_STEP_PRODUCER = 'flow_step';

/** Producers whose config takes `timeout_ms` (a step's `timeout_s` lands there). */
export const TIMEOUT_PRODUCERS: ReadonlySet<string> = new Set(['shell', 'http', 'llm']);

/** Attempts a `wait` item may spend re-checking its time (each waits up to the run's max retry delay). */
export const WAIT_MAX_ATTEMPTS = 100;

/** A tool call as a step (or a loop's body, or a parallel branch) declares it. */
export interface ToolBody {
  producer: string;
  config: Record<string, unknown>;
  args?: Record<string, string> | undefined;
  retry?: { max_attempts: number } | undefined;
  timeout_s?: number | undefined;
}

/** A computed step recorded as an item: its output, or the error that fails it. */
export function computed(key: string, body: { output: Record<string, unknown> } | { error: { code: string; message: string } }): PlannedItem {
  return { key, producer: FLOW_STEP_PRODUCER, inputs: body };
}

/** The item that fails `key` with `expression_error` naming the expression. */
export function exprFail(key: string, err: unknown): PlannedItem {
  const message = err instanceof ExpressionError ? err.message : String((err as Error)?.message ?? err);
  return computed(key, { error: { code: 'expression_error', message } });
}

/**
 * A tool item: `args` evaluated (CEL), the config rendered over the scope and `args`, and
 * `timeout_s` given to producers that take `timeout_ms` unless the config sets it.
 */
export function toolItem(key: string, body: ToolBody, scope: Record<string, unknown>): PlannedItem {
  try {
    const args: Record<string, unknown> = {};
    for (const [k, src] of Object.entries(body.args ?? {})) args[k] = evaluate(src, scope);
    const inputs = renderDeep(body.config, { ...scope, args }, 'config') as Record<string, unknown>;
    if (body.timeout_s !== undefined && TIMEOUT_PRODUCERS.has(body.producer) && inputs.timeout_ms === undefined) {
      inputs.timeout_ms = Math.round(body.timeout_s * 1000);
    }
    return { key, producer: body.producer, inputs, ...(body.retry ? { max_attempts: body.retry.max_attempts } : {}) };
  } catch (err) {
    return exprFail(key, err);
  }
}

/**
 * The `llm` item of a `decide` step with a `model`: the prompt, then the options, and a JSON
 * Schema that only admits one of the option ids and a rationale.
 */
export function decideByModel(step: DecideStep, scope: Record<string, unknown>): PlannedItem {
  const model = step.model!;
  const options = step.options.map((o) => `- ${o.id}${o.description ? `: ${o.description}` : ''}`).join('\n');
  const intro = step.prompt ? `${String(renderDeep(step.prompt, scope, 'prompt'))}\n\n` : '';
  const user = `${intro}Pick exactly one of these options and give your rationale in one or two sentences.\n${options}`;
  const inputs: Record<string, unknown> = {
    ...JSON.parse(JSON.stringify(model)),
    system: 'You are the decision step of an automated run. Answer only with JSON: {"option": "<one option id>", "rationale": "<why>"}.',
    user,
    json_schema: {
      type: 'object',
      properties: { option: { type: 'string', enum: step.options.map((o) => o.id) }, rationale: { type: 'string' } },
      required: ['option', 'rationale'],
    },
    ...(step.timeout_s === undefined ? {} : { timeout_ms: Math.round(step.timeout_s * 1000) }),
  };
  return { key: step.id, producer: 'llm', inputs, ...(step.retry ? { max_attempts: step.retry.max_attempts } : {}) };
}

/**
 * A `wait` item: recorded by `flow_step` once `wait_until` (epoch ms) has passed; before that
 * each attempt gives the item back until then (it holds no slot meanwhile).
 * `until` sees `now` (RFC 3339, when the step is reached). @throws ExpressionError
 */
export function waitItem(step: WaitStep, scope: Record<string, unknown>, now: number): PlannedItem {
  if (step.event !== undefined) {
    // A wait on an event is a wait record (durable, race-free: opened with the item), answered by the event.
    const inputs = {
      prompt: `waiting for event ${step.event.name}${step.event.match ? ` where ${step.event.match}` : ''}`,
      title: `event ${step.event.name}`,
      event: JSON.parse(JSON.stringify(step.event)) as Record<string, unknown>,
      ...(step.expires_in_s ? { expires_in_ms: Math.round(step.expires_in_s * 1000) } : {}),
      on_timeout: step.on_timeout,
    };
    return { key: step.id, producer: 'input', inputs };
  }
  let at: number;
  if (step.for_s !== undefined) at = now + Math.round(step.for_s * 1000);
  else {
    const v = evaluate(step.until!, { ...scope, now: new Date(now).toISOString() });
    at = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
    if (!Number.isFinite(at)) throw new ExpressionError(step.until!, `expected an RFC 3339 time or epoch ms, got ${JSON.stringify(v)}`);
  }
  return {
    key: step.id,
    producer: FLOW_STEP_PRODUCER,
    inputs: { output: { until: new Date(at).toISOString() }, wait_until: at },
    max_attempts: WAIT_MAX_ATTEMPTS,
  };
}

/**
 * A step's recorded outputs as expressions read them: a `decide` step that asked a model reads
 * `{option, rationale, decided_by: 'llm', model, next}` (from the `llm` item's JSON value).
 */
export function stepOutput(step: FlowStep | undefined, outputs: unknown): unknown {
  if (step?.type !== 'decide' || step.model === undefined || outputs === null || typeof outputs !== 'object') return outputs;
  const rec = outputs as { value?: { option?: string; rationale?: string }; model?: string };
  const option = rec.value?.option ?? null;
  const chosen = step.options.find((o) => o.id === option);
  return { option, rationale: rec.value?.rationale ?? '', decided_by: 'llm', model: rec.model ?? step.model.model, next: chosen?.next ?? null };
}
