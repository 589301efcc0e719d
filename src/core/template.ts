/**
 * Input templates: `{{field}}` placeholders over a row's fields, rendered with Handlebars in
 * strict mode (a missing field is an error, never an empty string) and without HTML escaping
 * (values go to argv, URLs and JSON bodies, not to HTML).
 */
import Handlebars from 'handlebars';
import { protectPlaceholders } from './credential-refs.js';
import { RunyardError, ValidationError } from './errors.js';

const hb = Handlebars.create();
const cache = new Map<string, HandlebarsTemplateDelegate>();

function compile(source: string): HandlebarsTemplateDelegate {
  let fn = cache.get(source);
  if (!fn) {
    fn = hb.compile(source, { strict: true, noEscape: true });
    if (cache.size > 10_000) cache.clear();
    cache.set(source, fn);
  }
  return fn;
}

/**
 * Field names a template string refers to (top-level path heads); credential placeholders
 * (`{{credentials.NAME}}`, core/credential-refs.ts) are not fields. @throws ValidationError on bad syntax
 */
export function templateFields(source: string, field = 'template'): string[] {
  let ast: hbs.AST.Program;
  try {
    ast = hb.parse(protectPlaceholders(source));
  } catch (err) {
    throw new ValidationError(`${field} is not a valid template: ${(err as Error).message.split('\n')[0]}`, { field });
  }
  const out = new Set<string>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; parts?: string[]; original?: string; data?: boolean };
    if (n.type === 'PathExpression' && !n.data && n.parts && n.parts.length > 0 && n.parts[0]) out.add(n.parts[0]);
    for (const v of Object.values(node)) {
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object') visit(v);
    }
  };
  visit(ast);
  // helper names (if, each, …) appear as paths too; drop the built-in ones.
  for (const h of Object.keys(hb.helpers)) out.delete(h);
  return [...out];
}

/**
 * Every template field referenced anywhere inside `value` (strings at any depth).
 * @param path the dotted path of `value`, for error messages.
 */
export function collectTemplateFields(value: unknown, path: string): { field: string; path: string }[] {
  const out: { field: string; path: string }[] = [];
  walk(value, path, (s, p) => {
    for (const f of templateFields(s, p)) out.push({ field: f, path: p });
  });
  return out;
}

function walk(value: unknown, path: string, onString: (s: string, path: string) => void): void {
  if (typeof value === 'string') onString(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`, onString));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`, onString);
  }
}

/**
 * Renders every string inside `value` against `data`; other values are kept as they are.
 * A string that is exactly one `{{field}}` placeholder keeps the field's own type (number,
 * object), so a JSON body can carry structured values. Credential placeholders
 * (`{{credentials.NAME}}`) are left as they are: the executor fills them when an attempt runs.
 * @throws RunyardError `template_error` naming the path and the missing field.
 */
export function renderDeep(value: unknown, data: Record<string, unknown>, path = 'config'): unknown {
  if (typeof value === 'string') return renderString(value, data, path);
  if (Array.isArray(value)) return value.map((v, i) => renderDeep(v, data, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderDeep(v, data, `${path}.${k}`);
    return out;
  }
  return value;
}

const WHOLE = /^\{\{\s*([A-Za-z_][\w]*)\s*\}\}$/;

const fieldCache = new Map<string, string[]>();

function fieldsOf(source: string, path: string): string[] {
  let fields = fieldCache.get(source);
  if (!fields) {
    fields = templateFields(source, path);
    if (fieldCache.size > 10_000) fieldCache.clear();
    fieldCache.set(source, fields);
  }
  return fields;
}

function renderString(source: string, data: Record<string, unknown>, path: string): unknown {
  if (!source.includes('{{')) return source;
  const whole = WHOLE.exec(source);
  if (whole?.[1] !== undefined && Object.hasOwn(data, whole[1])) return data[whole[1]];
  // Handlebars' strict mode accepts inherited names (`constructor`, `toString`, `__proto__`)
  // as present; a field must be the row's own.
  const missing = fieldsOf(source, path).find((f) => !Object.hasOwn(data, f));
  if (missing !== undefined) throw new RunyardError('template_error', `${path}: "${missing}" not defined in the row`, { field: path, missing });
  try {
    return compile(protectPlaceholders(source))(data);
  } catch (err) {
    throw new RunyardError('template_error', `${path}: ${(err as Error).message.split('\n')[0]}`, { field: path });
  }
}
