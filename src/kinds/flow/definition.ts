/**
 * Flow definitions: the document (YAML or JSON) a flow is made of, its zod schema (published as
 * JSON Schema at `GET /v1/flows/schema`) and the checks the schema cannot express. An invalid
 * definition is refused with every error and its JSON path (`$.steps[2].next`): unknown step
 * type, duplicate id, a reference to a step that does not exist, a cycle (a jump back), a CEL
 * expression that does not compile, an undefined phase, a bad `inputs` or `form` schema.
 *
 * Steps run in list order; `next` (on any step, on branch cases, decide options and input
 * decisions) jumps forward to a later step, so a flow is acyclic by construction.
 */
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';
import { compile, ExpressionError } from './cel.js';

/** The phases of a flow that names none (seed 002). */
export const DEFAULT_PHASES = ['identifying_tools', 'triage', 'deciding_remediation', 'remediation', 'summarizing'] as const;

const stepId = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, { error: 'expected a step id: a letter or _, then letters, digits, _ or - (at most 64)' });
const cel = z.string().min(1, { error: 'expected a CEL expression' });
const obj = z.record(z.string(), z.unknown());

const common = {
  id: stepId,
  description: z.string().optional(),
  /** One of the flow's phases; default: the phase the flow is in. */
  phase: z.string().optional(),
  /** CEL: the step runs only when true (else it is passed over, and no item is made). */
  when: cel.optional(),
  /** Vars set from the step's `output` (CEL per var). */
  assign: z.record(z.string(), cel).optional(),
  retry: z.strictObject({ max_attempts: z.int().min(1).max(20) }).optional(),
  /**
   * Per-step time budget, s: a tool step's producer gets it as `timeout_ms` (unless its config
   * sets one); the run's item timeout (its profile) still bounds every attempt.
   */
  timeout_s: z.number().positive().max(86_400).optional(),
  on_error: z.enum(['fail', 'continue']).default('fail'),
  /** The step that follows (a later one); default the next in the list. */
  next: stepId.optional(),
};

const toolBody = {
  /** Any registered producer: shell, http, js (llm once it exists). */
  producer: z.string().min(1),
  /** The producer's config; strings may hold `{{…}}` templates over input, vars, steps, responses, args (and item, index in a loop). */
  config: obj.default({}),
  /** Values computed with CEL before the config is rendered, as `args.<name>`. */
  args: z.record(z.string(), cel).optional(),
};

const tool = z.strictObject({ ...common, type: z.literal('tool'), ...toolBody });
const branch = z.strictObject({
  ...common,
  type: z.literal('branch'),
  cases: z.array(z.strictObject({ when: cel, next: stepId })).min(1),
  default: stepId.optional(),
});
/** The model a `decide` step asks (the `llm` producer's connection fields). */
const decideModel = z.strictObject({
  model: z.string().min(1).max(200),
  base_url: z.string().min(1),
  api_key_env: z.string().optional(),
  credentials: z.record(z.string(), z.string()).optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_output_tokens: z.int().min(1).optional(),
});
const decide = z.strictObject({
  ...common,
  type: z.literal('decide'),
  options: z.array(z.strictObject({ id: z.string().min(1), description: z.string().optional(), next: stepId.optional() })).min(1),
  /** CEL returning one option id. Exactly one of `rule` and `model`. */
  rule: cel.optional(),
  /** CEL returning the rationale text of a rule; default names the rule. */
  rationale: cel.optional(),
  /** An LLM picks the option (the `llm` producer, JSON output constrained to the option ids) and gives its rationale. */
  model: decideModel.optional(),
  /** What the model is told (a `{{…}}` template); the options and their descriptions are appended. */
  prompt: z.string().min(1).optional(),
});
const forEach = z.strictObject({
  ...common,
  type: z.literal('for_each'),
  /** CEL returning the list to iterate. */
  items: cel,
  concurrency: z.int().min(1).max(100).default(1),
  step: z.strictObject({ ...toolBody, retry: common.retry }),
});
/** A branch of a `parallel` step: one tool call. */
const parallelBranch = z.strictObject({ id: stepId, ...toolBody, retry: common.retry, timeout_s: common.timeout_s });
const parallel = z.strictObject({
  ...common,
  type: z.literal('parallel'),
  /** Run all at once; the step succeeds when every branch has (with `on_error: continue`, whatever they did). */
  branches: z.array(parallelBranch).min(1).max(50),
});
const wait = z.strictObject({
  ...common,
  type: z.literal('wait'),
  /** CEL returning when to go on: a timestamp, an RFC 3339 string or epoch ms (`now`: when the step is reached, RFC 3339). */
  until: cel.optional(),
  /** Seconds to wait from when the step is reached. Exactly one of `until`, `for_s` and `event`. */
  for_s: z
    .number()
    .min(0)
    .max(30 * 86_400)
    .optional(),
  /** Wait for an event (`POST /v1/events` or a webhook) named `name` whose CEL `match` over `event` ({name, data}) holds. */
  event: z.strictObject({ name: z.string().min(1).max(200), match: cel.optional() }).optional(),
  /** An event wait: seconds it stays open. @default 259200 (72 h) */
  expires_in_s: z
    .number()
    .positive()
    .max(365 * 86_400)
    .optional(),
  /** An event wait that expires: fail the step, or continue without an event. */
  on_timeout: z.enum(['fail', 'continue']).default('fail'),
});
const formSchema = obj;
const input = z.strictObject({
  ...common,
  type: z.literal('input'),
  title: z.string().max(200).optional(),
  /** Markdown; `{{…}}` templates over input, vars, steps, responses. */
  prompt: z.string().min(1),
  /** JSON Schema subset: an object of string, number, integer, boolean, enum, multi-select (array of enum), date (format). */
  form: formSchema.optional(),
  decisions: z.array(z.strictObject({ id: z.string().min(1), label: z.string().optional(), next: stepId.optional() })).optional(),
  /** Seconds the wait stays open. @default 259200 (72 h) */
  expires_in_s: z
    .number()
    .positive()
    .max(365 * 86_400)
    .optional(),
  on_timeout: z.enum(['fail', 'cancel', 'continue']).default('fail'),
  /** The answer `on_timeout: continue` applies. */
  default: z.strictObject({ values: obj.optional(), decision: z.string().optional() }).optional(),
  /** Who may answer: role names (that role or higher) or API token names; absent: any operator. */
  assignees: z.array(z.string().min(1).max(200)).min(1).max(100).optional(),
});
const summarize = z.strictObject({
  ...common,
  type: z.literal('summarize'),
  /** The run's `result_summary`: a `{{…}}` template. */
  text: z.string().min(1),
  /** CEL: the run's `output.result`. */
  output: cel.optional(),
});

export const StepSchema = z.discriminatedUnion('type', [tool, branch, decide, forEach, parallel, input, wait, summarize]);
export const FlowDefinitionSchema = z.strictObject({
  name: z.string().min(1).max(200),
  description: z.string().max(10_000).optional(),
  /** JSON Schema of what a run is started with. */
  inputs: obj.optional(),
  /** Initial values of the flow's vars. */
  vars: obj.default({}),
  phases: z
    .array(z.string().min(1))
    .min(1)
    .default([...DEFAULT_PHASES]),
  steps: z.array(StepSchema).max(500),
});

export type FlowStep = z.output<typeof StepSchema>;
export type ToolStep = z.output<typeof tool>;
export type ForEachStep = z.output<typeof forEach>;
export type InputStep = z.output<typeof input>;
export type ParallelStep = z.output<typeof parallel>;
export type DecideStep = z.output<typeof decide>;
export type WaitStep = z.output<typeof wait>;
export type FlowDefinition = z.output<typeof FlowDefinitionSchema>;

/** One definition error: where (`$.steps[1].next`) and what. */
export interface DefinitionError {
  path: string;
  message: string;
}

const STEP_TYPES = StepSchema.options.map((o) => o.shape.type.value);

/** `$` + a zod-style path. */
function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : `${acc}.${String(k)}`), '$');
}

const ajv = new Ajv({ allErrors: true, strict: false });
const FORM_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array']);

function checkSchema(schema: unknown, path: string, errors: DefinitionError[], form: boolean): void {
  try {
    ajv.compile(schema as object);
  } catch (err) {
    errors.push({ path, message: `not a valid JSON Schema: ${(err as Error).message}` });
    return;
  }
  if (!form) return;
  const props = (schema as { properties?: Record<string, { type?: string; enum?: unknown; items?: { enum?: unknown } }> }).properties ?? {};
  for (const [name, p] of Object.entries(props)) {
    if (p?.type === undefined || !FORM_TYPES.has(p.type)) {
      errors.push({ path: `${path}.properties.${name}.type`, message: `a form field is one of ${[...FORM_TYPES].join(', ')}` });
    } else if (p.type === 'array' && !Array.isArray(p.items?.enum)) {
      errors.push({ path: `${path}.properties.${name}.items`, message: 'a multi-select field needs items.enum' });
    }
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function celAt(src: unknown, path: string, errors: DefinitionError[]): void {
  if (typeof src !== 'string' || src === '') return;
  try {
    compile(src);
  } catch (err) {
    errors.push({ path, message: err instanceof ExpressionError ? `CEL does not compile: ${err.reason}` : String(err) });
  }
}

/** Checks what the schema cannot, on the raw document (so they are listed even when the schema fails). */
function semanticErrors(raw: Record<string, unknown>, errors: DefinitionError[]): void {
  const steps = Array.isArray(raw.steps) ? raw.steps : [];
  const phases = Array.isArray(raw.phases) ? raw.phases.filter((p) => typeof p === 'string') : [...DEFAULT_PHASES];
  if (isRecord(raw.inputs)) checkSchema(raw.inputs, '$.inputs', errors, false);
  const index = new Map<string, number>();
  steps.forEach((s, i) => {
    if (!isRecord(s) || typeof s.id !== 'string') return;
    const first = index.get(s.id);
    if (first !== undefined) errors.push({ path: `$.steps[${i}].id`, message: `duplicate step id ${JSON.stringify(s.id)} (first at $.steps[${first}])` });
    else index.set(s.id, i);
  });
  const ref = (target: unknown, from: number, path: string) => {
    if (typeof target !== 'string') return;
    const at = index.get(target);
    if (at === undefined) errors.push({ path, message: `no step ${JSON.stringify(target)} in this flow` });
    else if (at <= from) errors.push({ path, message: `jumps back to ${JSON.stringify(target)} ($.steps[${at}]): a cycle; a step may only jump forward` });
  };
  steps.forEach((s, i) => {
    if (!isRecord(s)) return;
    const p = `$.steps[${i}]`;
    if (typeof s.type === 'string' && !STEP_TYPES.includes(s.type as never)) {
      errors.push({ path: `${p}.type`, message: `unknown step type ${JSON.stringify(s.type)}; use one of ${STEP_TYPES.join(', ')}` });
    }
    if (typeof s.phase === 'string' && !phases.includes(s.phase)) {
      errors.push({ path: `${p}.phase`, message: `phase ${JSON.stringify(s.phase)} is not one of the flow's phases (${phases.join(', ')})` });
    }
    ref(s.next, i, `${p}.next`);
    ref(s.default, i, `${p}.default`);
    for (const [list, field] of [
      ['cases', 'next'],
      ['options', 'next'],
      ['decisions', 'next'],
    ] as const) {
      const xs = s[list];
      if (Array.isArray(xs)) xs.forEach((c, j) => isRecord(c) && ref(c[field], i, `${p}.${list}[${j}].${field}`));
    }
    celAt(s.when, `${p}.when`, errors);
    celAt(s.rule, `${p}.rule`, errors);
    celAt(s.rationale, `${p}.rationale`, errors);
    celAt(s.items, `${p}.items`, errors);
    if (s.type === 'wait') {
      celAt(s.until, `${p}.until`, errors);
      if ([s.until, s.for_s, s.event].filter((x) => x !== undefined).length !== 1)
        errors.push({ path: `${p}.until`, message: 'a wait step needs exactly one of until, for_s and event' });
      if (isRecord(s.event)) celAt(s.event.match, `${p}.event.match`, errors);
    }
    if (s.type === 'decide' && (s.rule === undefined) === (s.model === undefined)) {
      errors.push({ path: `${p}.rule`, message: 'a decide step needs exactly one of rule (CEL) and model (an LLM)' });
    }
    if (s.type === 'decide' && s.model !== undefined && s.rationale !== undefined) {
      errors.push({ path: `${p}.rationale`, message: 'the model gives its own rationale; rationale is for a rule' });
    }
    if (Array.isArray(s.branches)) {
      const seen = new Set<unknown>();
      s.branches.forEach((b, j) => {
        if (!isRecord(b)) return;
        if (seen.has(b.id)) errors.push({ path: `${p}.branches[${j}].id`, message: `duplicate branch id ${JSON.stringify(b.id)}` });
        seen.add(b.id);
        if (isRecord(b.args)) for (const [k, v] of Object.entries(b.args)) celAt(v, `${p}.branches[${j}].args.${k}`, errors);
      });
    }
    if (s.type === 'summarize') celAt(s.output, `${p}.output`, errors);
    if (Array.isArray(s.cases)) s.cases.forEach((c, j) => isRecord(c) && celAt(c.when, `${p}.cases[${j}].when`, errors));
    for (const [field, m] of [
      ['assign', s.assign],
      ['args', s.args],
      ['step.args', isRecord(s.step) ? s.step.args : undefined],
    ] as const) {
      if (isRecord(m)) for (const [k, v] of Object.entries(m)) celAt(v, `${p}.${field}.${k}`, errors);
    }
    if (isRecord(s.form)) checkSchema(s.form, `${p}.form`, errors, true);
  });
}

/**
 * Parses a definition from YAML or JSON text, or an object.
 * @throws ValidationError (422) with `details.errors` listing every error with its JSON path
 */
export function parseDefinition(source: string | unknown): FlowDefinition {
  let raw: unknown = source;
  if (typeof source === 'string') {
    try {
      raw = parseYaml(source); // YAML is a superset of JSON
    } catch (err) {
      throw new ValidationError(`definition: not YAML or JSON: ${(err as Error).message.split('\n')[0]}`, {
        field: 'definition',
        errors: [{ path: '$', message: (err as Error).message }],
      });
    }
  }
  const errors: DefinitionError[] = [];
  if (!isRecord(raw)) errors.push({ path: '$', message: 'expected an object' });
  const res = FlowDefinitionSchema.safeParse(raw);
  if (!res.success) {
    for (const issue of res.error.issues) {
      const path = jsonPath(issue.path);
      // The unknown-type message comes from the semantic check (it names the types).
      if (path.endsWith('.type') && issue.code === 'invalid_union') continue;
      errors.push({ path, message: issue.message });
    }
  }
  if (isRecord(raw)) semanticErrors(raw, errors);
  if (errors.length > 0 || !res.success) {
    const first = errors[0] ?? { path: '$', message: 'invalid definition' };
    throw new ValidationError(`definition: ${errors.length} error(s); first at ${first.path}: ${first.message}`, {
      field: `definition${first.path.slice(1)}`,
      errors,
    });
  }
  return res.data;
}

/** The JSON Schema of a flow definition (`GET /v1/flows/schema`). */
export function definitionJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(FlowDefinitionSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** Fills `default`s of the inputs schema in (the run freezes the inputs with them). */
const inputsAjv = new Ajv({ allErrors: false, strict: false, useDefaults: true });

/**
 * Validates run inputs against the definition's `inputs` schema, filling in the schema's
 * `default`s (in place). @throws ValidationError naming `inputs.<field>`
 */
export function checkInputs(def: FlowDefinition, inputs: Record<string, unknown>): void {
  if (!def.inputs) return;
  const validate = inputsAjv.compile(def.inputs);
  if (validate(inputs)) return;
  const e = validate.errors?.[0];
  const missing = e?.keyword === 'required' ? (e.params as { missingProperty?: string }).missingProperty : undefined;
  const where = (e?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const field = `inputs${missing ? `.${missing}` : where ? `.${where}` : ''}`;
  throw new ValidationError(`${field}: ${e?.message ?? 'does not match the flow inputs schema'}`, { field, errors: validate.errors ?? [] });
}
