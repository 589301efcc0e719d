/**
 * Reading the served `/openapi.json` in tests: every operation with its path and query
 * parameters and request body schema, and a minimal valid example of a JSON schema (used to
 * reach a handler past validation).
 */

/** A JSON schema as the document holds it (with `$ref`s into `components.schemas`). */
export type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  minimum?: number;
  minLength?: number;
  format?: string;
  nullable?: boolean;
  default?: unknown;
  example?: unknown;
  additionalProperties?: boolean | Schema;
};

export interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
  components?: { schemas?: Record<string, Schema> };
}

/** One operation of the document. */
export interface Operation {
  method: string;
  /** OpenAPI path, e.g. `/v1/runs/{run_id}`. */
  path: string;
  /** Names of its query parameters. */
  query: string[];
  bodySchema?: Schema;
  /** A request body to send (filled by the caller). */
  body?: unknown;
}

/** Every operation, in document order. */
export function operationsOf(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      out.push({
        method,
        path,
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        ...(bodySchema === undefined ? {} : { bodySchema }),
      });
    }
  }
  return out;
}

/** Resolves a `$ref`. */
export function deref(s: Schema, doc: OpenApiDoc): Schema {
  let cur = s;
  for (let i = 0; i < 20 && cur.$ref; i++) cur = doc.components?.schemas?.[cur.$ref.replace('#/components/schemas/', '')] ?? {};
  return cur;
}

/** A small value satisfying `schema` (required properties only). */
export function exampleOf(schema: Schema, doc: OpenApiDoc, depth = 0): unknown {
  const s = deref(schema, doc);
  if (depth > 8) return null;
  if (s.example !== undefined) return s.example;
  if (s.enum && s.enum.length > 0) return s.enum[0];
  const alt = s.anyOf ?? s.oneOf;
  if (alt && alt.length > 0) return exampleOf(alt[0] as Schema, doc, depth + 1);
  if (s.allOf && s.allOf.length > 0) return Object.assign({}, ...s.allOf.map((x) => exampleOf(x, doc, depth + 1) as object));
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const k of s.required ?? []) out[k] = exampleOf(s.properties?.[k] ?? {}, doc, depth + 1);
      return out;
    }
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return Math.max(1, s.minimum ?? 1);
    case 'boolean':
      return true;
    case 'string':
      if (s.format === 'date-time') return '2099-01-01T00:00:00Z';
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    default:
      return s.properties ? exampleOf({ ...s, type: 'object' }, doc, depth + 1) : 'x';
  }
}

/**
 * The tables that hold a workspace's rows, which the route matrix and the fuzzer snapshot
 * around each request to prove a refused request changed nothing.
 */
export const TENANT_TABLES: readonly string[] = [
  'tables',
  'table_rows',
  'columns',
  'cells',
  'runs',
  'items',
  'events',
  'operations',
  'ledger_entries',
  'credit_accounts',
  'api_tokens',
  'credentials',
  'price_versions',
  'row_comments',
];
