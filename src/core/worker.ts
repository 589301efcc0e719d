/**
 * AI worker definitions (issue 14): a saved, versioned definition that acts on a record (a row
 * of a table, the run's subject) and writes an output (a task comment, a field, a new record).
 * Pure: parsing and checking a definition, the shipped templates and the output rules. The key
 * of the model never sits in a definition: `model.api_key_env` names a run env variable,
 * filled from a per-run secret or a saved credential (`model.credentials`).
 */
import { z } from 'zod';
import { ValidationError } from './errors.js';
import { LLM_PROVIDERS } from './llm-providers.js';
import { TOOL_CATEGORIES, type ToolCategory } from './worker-tools.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const int = (min: number, max: number) =>
  z
    .number({ error: `expected an integer from ${min} to ${max}` })
    .int({ error: `expected an integer from ${min} to ${max}` })
    .min(min, { error: `expected an integer from ${min} to ${max}` })
    .max(max, { error: `expected an integer from ${min} to ${max}` });
const maxChars = int(1, 200_000).default(4000);
const fields = z.array(z.string().min(1).max(200), { error: 'expected a list of field names' }).max(200).optional();
const name = z.string().min(1, { error: 'expected a name' }).max(100);

/** The model a worker calls (`provider`: see llm-providers.ts). Prices are `tokens:<model>:input|output` (µ per 1,000 tokens). */
const ModelSchema = z.strictObject({
  provider: z.enum(LLM_PROVIDERS, { error: `expected one of ${LLM_PROVIDERS.join(', ')}` }).default('openai-compatible'),
  model: z
    .string({ error: 'expected a model name' })
    .min(1, { error: 'expected a model name' })
    .max(200)
    .refine((m) => !m.includes('{{'), { error: 'must be a fixed model name (runs are priced by it)' }),
  base_url: z
    .string({ error: 'expected an http: or https: URL' })
    .refine((u) => /^https?:\/\//i.test(u) && URL.canParse(u), { error: 'expected an http: or https: URL' }),
  api_key_env: z.string().regex(ENV_NAME, { error: 'expected an env variable name (letters, digits and _)' }).optional(),
  /** Env variable → saved credential name (the key comes from the credential store at run time). */
  credentials: z.record(z.string().regex(ENV_NAME), z.string().min(1).max(200)).optional(),
  temperature: z.number().min(0, { error: 'expected a number from 0 to 2' }).max(2, { error: 'expected a number from 0 to 2' }).optional(),
  max_output_tokens: int(1, 200_000).default(1024),
  /** Bounds the credit reservation of each LLM call (not the prompt itself). */
  max_input_tokens: int(1, 2_000_000).default(8192),
});

/**
 * What a run shows the model about its subject and the world, frozen at start (each capped):
 * - `subject_record`: the subject row's fields (`fields`: only these);
 * - `related_records`: rows of `table_id` whose `match_field` equals the subject's
 *   `subject_field` (at most `max_rows`);
 * - `table_rows`: rows of `table_id` whose fields equal every `filter` value (at most `max_rows`);
 * - `static_text`: `text` as it is.
 * `name` tells sources apart (in the snapshot and in a comparison); default `<type>` or
 * `<type>_<n>` when the type repeats.
 */
const SourceSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('subject_record'), name: name.optional(), fields, max_chars: maxChars }),
    z.strictObject({
      type: z.literal('related_records'),
      name: name.optional(),
      table_id: z.string().min(1),
      match_field: z.string().min(1),
      subject_field: z.string().min(1),
      fields,
      max_rows: int(1, 500).default(20),
      max_chars: maxChars,
    }),
    z.strictObject({
      type: z.literal('table_rows'),
      name: name.optional(),
      table_id: z.string().min(1),
      filter: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
      fields,
      max_rows: int(1, 500).default(20),
      max_chars: maxChars,
    }),
    z.strictObject({ type: z.literal('static_text'), name: name.optional(), text: z.string().min(1).max(200_000), max_chars: maxChars }),
  ],
  { error: 'expected a source of type subject_record, related_records, table_rows or static_text' },
);

/** Where a run's final answer lands. */
export const OUTPUT_MODES = ['task_comment', 'record_field', 'new_record', 'none'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

const OutputSchema = z.strictObject({
  mode: z.enum(OUTPUT_MODES, { error: `expected one of ${OUTPUT_MODES.join(', ')}` }),
  /** The output slot: with the worker and the subject, the key of the output (one per slot). */
  slot: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected 1 to 64 letters, digits, _ . -' })
    .default('output'),
  policy: z.enum(['replace', 'append', 'once'], { error: 'expected replace, append or once' }).default('replace'),
  /** `record_field`: the subject row's field written. */
  field: z.string().min(1).max(200).optional(),
  /** `new_record`: the table the record is added to. */
  table_id: z.string().min(1).optional(),
});

const LimitsSchema = z
  .strictObject({
    /** LLM calls per run. */
    max_steps: int(1, 100).default(8),
    /** Tool calls per run (refusals count). */
    max_tool_calls: int(0, 500).default(20),
    /** Input + output tokens over all LLM calls of a run. */
    max_tokens: int(1, 10_000_000).default(100_000),
    /** µ a run may spend (the run's budget; it pauses with reason budget when reached). */
    max_credits_micro: int(1, Number.MAX_SAFE_INTEGER).optional(),
    /** Wall time from the first LLM call, s. */
    timeout_s: int(1, 86_400).default(300),
  })
  .default({ max_steps: 8, max_tool_calls: 20, max_tokens: 100_000, timeout_s: 300 });

const DefinitionSchema = z.strictObject({
  name: z.string({ error: 'expected a name' }).min(1, { error: 'expected a name' }).max(200),
  description: z.string().max(2000).optional(),
  template_key: z.string().max(100).optional(),
  instructions: z.string({ error: 'expected the instructions' }).min(1, { error: 'expected the instructions' }).max(50_000),
  model: ModelSchema,
  context_sources: z
    .array(SourceSchema)
    .max(20)
    .default([{ type: 'subject_record', max_chars: 4000 }]),
  tool_categories: z.array(z.enum(TOOL_CATEGORIES, { error: `expected one of ${TOOL_CATEGORIES.join(', ')}` })).max(TOOL_CATEGORIES.length),
  /** `http` tool: the hosts it may call (the engine's egress guard applies on top). */
  http_hosts: z.array(z.string().min(1).max(253)).max(100).optional(),
  output: OutputSchema,
  limits: LimitsSchema,
});

/** A parsed worker definition (defaults filled in). */
export type WorkerDefinition = z.output<typeof DefinitionSchema>;
export type ContextSource = WorkerDefinition['context_sources'][number];
export type WorkerModel = WorkerDefinition['model'];
export type WorkerOutput = WorkerDefinition['output'];

/** The category an output mode writes through: a worker must allow it. */
export const OUTPUT_CATEGORY: Readonly<Record<OutputMode, ToolCategory | null>> = {
  task_comment: 'write_comments',
  record_field: 'update_records',
  new_record: 'create_records',
  none: null,
};

/** Shipped templates: a create request naming one gets its fields unless it gives its own. */
export const WORKER_TEMPLATES: Readonly<Record<string, { title: string; definition: Record<string, unknown> }>> = {
  triage_ticket: {
    title: 'Triage a support ticket into a comment',
    definition: {
      instructions:
        'You triage support tickets. Read the ticket, decide its priority (P1 urgent outage, P2 degraded, P3 question) and the team that owns it, ' +
        'and answer with a short comment: priority, owner, one-line reason, and the next step. Do not claim work you did not do.',
      context_sources: [{ type: 'subject_record', max_chars: 4000 }],
      tool_categories: ['read_records', 'write_comments'],
      output: { mode: 'task_comment', slot: 'triage', policy: 'replace' },
    },
  },
  summarize_record: {
    title: 'Summarize a record into a field',
    definition: {
      instructions: 'Summarize the record in at most two sentences for someone who has not read it. Answer with the summary only.',
      context_sources: [{ type: 'subject_record', max_chars: 8000 }],
      tool_categories: ['read_records', 'update_records'],
      output: { mode: 'record_field', slot: 'summary', field: 'summary', policy: 'replace' },
    },
  },
};

function fail(path: readonly PropertyKey[], message: string): never {
  const field =
    path
      .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
      .join('.')
      .replace(/\.\[/g, '[') || 'body';
  throw new ValidationError(`${field}: ${message}`, { field });
}

/**
 * Parses a worker definition: a request body, filled from its template (`template_key`) where
 * it gives no field of its own. Checks the rules between fields: an output mode needs the
 * category it writes through, `record_field` a `field`, `new_record` a `table_id`, source names
 * are unique.
 * @throws ValidationError naming the first bad field (`model.base_url`, `tool_categories[1]`,
 *   `context_sources[0].type`, `output.mode`, `template_key`, …)
 */
export function parseWorkerDefinition(raw: unknown): WorkerDefinition {
  let body = raw;
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && typeof (raw as { template_key?: unknown }).template_key === 'string') {
    const key = (raw as { template_key: string }).template_key;
    const t = Object.hasOwn(WORKER_TEMPLATES, key) ? WORKER_TEMPLATES[key] : undefined;
    if (!t) fail(['template_key'], `no template ${JSON.stringify(key)}; use one of ${Object.keys(WORKER_TEMPLATES).join(', ')}`);
    body = { ...t.definition, ...(raw as Record<string, unknown>) };
  }
  const res = DefinitionSchema.safeParse(body);
  if (!res.success) {
    const issue = res.error.issues[0];
    const path = [...(issue?.path ?? [])];
    if (issue?.code === 'unrecognized_keys') {
      path.push(issue.keys[0] ?? '');
      fail(path, 'is not a known field');
    }
    fail(path, issue?.message ?? 'invalid');
  }
  const def = res.data;
  const need = OUTPUT_CATEGORY[def.output.mode];
  if (need !== null && !def.tool_categories.includes(need)) {
    fail(['output', 'mode'], `${def.output.mode} writes through the ${need} category, which tool_categories does not allow`);
  }
  if (def.output.mode === 'record_field' && def.output.field === undefined) fail(['output', 'field'], 'record_field needs the field to write');
  if (def.output.mode === 'new_record' && def.output.table_id === undefined) fail(['output', 'table_id'], 'new_record needs the table to add to');
  const seen = new Set<string>();
  def.context_sources.forEach((s, i) => {
    const n = s.name ?? (def.context_sources.filter((o) => o.type === s.type).length > 1 ? `${s.type}_${i}` : s.type);
    if (seen.has(n)) fail(['context_sources', i, 'name'], `the name ${JSON.stringify(n)} is used twice`);
    seen.add(n);
    s.name = n;
  });
  return def;
}
