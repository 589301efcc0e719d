/**
 * The built-in tools of AI workers (issue 14), each in one category, and the one check every
 * tool call goes through before it runs (`checkToolCall`): an unknown tool, a category the
 * worker does not allow, or arguments that fail the tool's JSON Schema are refused with
 * `refused_unknown`, `refused_category` or `refused_schema`. Only tools of allowed categories
 * are offered to the model (`offeredTools`); the check runs again in the executor, so a model
 * that names a tool it was not offered is still refused. Pure.
 */
import { Ajv, type ValidateFunction } from 'ajv';

/** Tool categories a worker may allow. */
export const TOOL_CATEGORIES = ['read_records', 'write_comments', 'update_records', 'create_records', 'http', 'run_flow'] as const;
export type ToolCategory = (typeof TOOL_CATEGORIES)[number];

/** One built-in tool: what the model sees (name, description, JSON Schema) and its category. */
export interface ToolSpec {
  name: string;
  category: ToolCategory;
  description: string;
  /** JSON Schema of the arguments (an object). */
  input_schema: Record<string, unknown>;
  /** Whether it changes anything (a dry run records it without executing it). */
  writes: boolean;
}

const str = { type: 'string', minLength: 1, maxLength: 200 };
const obj = (properties: Record<string, unknown>, required: string[]) => ({ type: 'object', properties, required, additionalProperties: false });
const values = { type: 'object', description: 'field name → value', maxProperties: 100 };

/** The built-in tools. Omitted `table_id` / `row_id` default to the run's subject row. */
export const WORKER_TOOLS: readonly ToolSpec[] = [
  {
    name: 'get_row',
    category: 'read_records',
    description: 'Read one row of a table (default: the subject row).',
    input_schema: obj({ table_id: str, row_id: str }, []),
    writes: false,
  },
  {
    name: 'search_rows',
    category: 'read_records',
    description: 'Find rows of a table whose field equals (or contains) a value; at most `limit` (default 10, max 50).',
    input_schema: obj(
      { table_id: str, field: str, equals: {}, contains: { type: 'string', maxLength: 200 }, limit: { type: 'integer', minimum: 1, maximum: 50 } },
      ['table_id'],
    ),
    writes: false,
  },
  {
    name: 'write_comment',
    category: 'write_comments',
    description: 'Post a comment on a row (default: the subject row).',
    input_schema: obj({ table_id: str, row_id: str, body: { type: 'string', minLength: 1, maxLength: 20000 } }, ['body']),
    writes: true,
  },
  {
    name: 'update_row',
    category: 'update_records',
    description: 'Set fields of a row (default: the subject row); other fields keep their values.',
    input_schema: obj({ table_id: str, row_id: str, fields: values }, ['fields']),
    writes: true,
  },
  {
    name: 'create_row',
    category: 'create_records',
    description: 'Add a row to a table.',
    input_schema: obj({ table_id: str, fields: values }, ['table_id', 'fields']),
    writes: true,
  },
  {
    name: 'http_request',
    category: 'http',
    description: 'Send a GET or POST request to an allowed host; answers status and body (at most 20,000 characters).',
    input_schema: obj({ method: { enum: ['GET', 'POST'] }, url: { type: 'string', minLength: 1, maxLength: 2000 }, body: {} }, ['url']),
    writes: true,
  },
  {
    name: 'run_flow',
    category: 'run_flow',
    description: 'Start a run of a saved flow with inputs; answers the run id (the flow runs on its own).',
    input_schema: obj({ flow_id: str, inputs: { type: 'object' } }, ['flow_id']),
    writes: true,
  },
];

const byName = new Map(WORKER_TOOLS.map((t) => [t.name, t]));
const ajv = new Ajv({ strict: false, allErrors: false });
const validators = new Map<string, ValidateFunction>(WORKER_TOOLS.map((t) => [t.name, ajv.compile(t.input_schema)]));

/** The tool called `name`, or undefined. */
export function toolSpec(name: string): ToolSpec | undefined {
  return byName.get(name);
}

/** The tools offered to a worker that allows `categories`, in catalog order. */
export function offeredTools(categories: readonly string[]): ToolSpec[] {
  return WORKER_TOOLS.filter((t) => categories.includes(t.category));
}

/** What the executor decided about one tool call. */
export type ToolDecision = 'allowed' | 'refused_unknown' | 'refused_category' | 'refused_schema';

/** The outcome of {@link checkToolCall}: allowed with the parsed arguments, or refused with why. */
export type ToolCheck =
  | { decision: 'allowed'; tool: ToolSpec; args: Record<string, unknown> }
  | { decision: Exclude<ToolDecision, 'allowed'>; tool: ToolSpec | undefined; reason: string };

/**
 * The one check before a tool call runs. `input` is the arguments as the model sent them: an
 * object, or a string that should be JSON.
 */
export function checkToolCall(name: string, input: unknown, allowed: readonly string[]): ToolCheck {
  const tool = byName.get(name);
  if (!tool)
    return {
      decision: 'refused_unknown',
      tool: undefined,
      reason: `no tool ${JSON.stringify(name)}; the tools are ${WORKER_TOOLS.map((t) => t.name).join(', ')}`,
    };
  if (!allowed.includes(tool.category)) {
    return {
      decision: 'refused_category',
      tool,
      reason: `tool ${name} is in category ${tool.category}, which this worker does not allow (allowed: ${allowed.join(', ') || 'none'})`,
    };
  }
  let args = input;
  if (typeof input === 'string') {
    try {
      args = input.trim() === '' ? {} : JSON.parse(input);
    } catch {
      return { decision: 'refused_schema', tool, reason: `the arguments of ${name} are not valid JSON: ${input.slice(0, 200)}` };
    }
  }
  const validate = validators.get(name)!;
  if (!validate(args)) {
    const e = validate.errors?.[0];
    const where = e?.instancePath ? e.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
    const missing = e?.keyword === 'required' ? (e.params as { missingProperty?: string }).missingProperty : undefined;
    const extra = e?.keyword === 'additionalProperties' ? (e.params as { additionalProperty?: string }).additionalProperty : undefined;
    const field = [where, missing ?? extra].filter((s) => s).join('.') || 'arguments';
    return { decision: 'refused_schema', tool, reason: `${name}: ${field}: ${extra ? 'is not an argument of this tool' : (e?.message ?? 'invalid')}` };
  }
  return { decision: 'allowed', tool, args: args as Record<string, unknown> };
}
