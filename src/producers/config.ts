/**
 * Helpers shared by the built-in producers: config parsing with zod that reports the offending
 * field as a dotted path, coercion of rendered template values to strings, and abort plumbing.
 */
import { z } from 'zod';
import { ENV_NAME, refusedReason } from '../core/env-policy.js';
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

/** A saved credential's name (as `PUT /v1/credentials/{name}` accepts it). */
const CREDENTIAL_NAME = /^[A-Za-z0-9_.-]{1,200}$/;

/**
 * `credentials` of the `shell` and `js` producers: env variable name → saved credential name.
 * The variable names follow the per-run override rules (core/env-policy.ts: no `PATH`,
 * `NODE_OPTIONS`, `RUNYARD_*`, …); a bad entry is reported as `config.credentials.<VAR>`.
 */
export function credentialEnvMap() {
  return z
    .record(
      z.string(),
      z.string({ error: 'expected a credential name' }).regex(CREDENTIAL_NAME, { error: 'expected a credential name (letters, digits, "_", "." and "-")' }),
      {
        error: 'expected an object of ENV_VAR: "credential name"',
      },
    )
    .superRefine((map, ctx) => {
      for (const key of Object.keys(map)) {
        const reason = ENV_NAME.test(key) ? refusedReason(key) : 'it is not a valid variable name (letters, digits and _, not starting with a digit)';
        if (reason !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${head(key, 64)} cannot be set: ${reason}` });
      }
    })
    .optional();
}
