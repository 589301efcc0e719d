/**
 * Helpers shared by the built-in producers: config parsing with zod that reports the offending
 * field as a dotted path, coercion of rendered template values to strings, and abort plumbing.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';

/** Dotted path of a config field, e.g. `config.args[1]` or `config.env.HOME`. */
export function fieldPath(path: readonly PropertyKey[], root = 'config'): string {
  let out = root;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}

/**
 * Parses `config` with `schema`.
 * @throws ValidationError `config.<field>: <what was expected>` with `details.field` set to the
 * dotted path of the first offending field (unknown keys are reported as `config.<key>`).
 */
export function parseConfig<S extends z.ZodType>(schema: S, config: unknown, root = 'config'): z.output<S> {
  const res = schema.safeParse(config);
  if (res.success) return res.data;
  const issue = res.error.issues[0];
  if (!issue) throw new ValidationError(`${root}: invalid`, { field: root });
  if (issue.code === 'unrecognized_keys') {
    const field = fieldPath([...issue.path, issue.keys[0] ?? ''], root);
    throw new ValidationError(`${field}: is not a known field`, { field });
  }
  const field = fieldPath(issue.path, root);
  const message = issue.path.length === 0 && issue.code === 'invalid_type' ? 'expected an object' : issue.message;
  throw new ValidationError(`${field}: ${message}`, { field });
}

/**
 * A rendered template value as a string: strings as they are, numbers/booleans/bigints via
 * `String`, `null`/`undefined` as `''`, anything else JSON-encoded. Used for argv, env and stdin.
 */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

/** A positive integer (ms or bytes) with a field-specific message. */
export function positiveInt(what: string) {
  const error = `expected a positive integer (${what})`;
  return z.number({ error }).int({ error }).positive({ error }).optional();
}

/** Record of string values (headers, env): the values are data rendered from templates. */
export function stringRecord(rendered: boolean) {
  const value = rendered ? z.unknown() : z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string' });
  return z.record(z.string(), value.transform(asText), { error: 'expected an object of strings' }).optional();
}

/** Last `max` characters of `s` (for stderr and body excerpts in error messages). */
export function tail(s: string, max = 2048): string {
  return s.length > max ? `…${s.slice(s.length - max)}` : s;
}

/** First `max` characters of `s`. */
export function head(s: string, max = 500): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
