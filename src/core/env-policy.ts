/**
 * The policy for per-run overrides (DESIGN.md §1 "overrides"; reliability.md §3): which env
 * names a run may set, and how large values may be. Names that make an interpreter or the
 * dynamic loader run code, change trust anchors or proxies, or reach into Runyard's own
 * settings are refused, because whoever starts a run is not necessarily whoever wrote the
 * command it runs (`NODE_OPTIONS=--require /tmp/x.js` would run their code).
 *
 * Error messages name the field (`overrides.env.NODE_OPTIONS`) and never contain a value.
 * Pure.
 */
import { ValidationError } from './errors.js';

/** Size limits of per-run overrides. */
export const OVERRIDE_LIMITS = {
  /** Longest variable name, characters. */
  maxNameLength: 128,
  /** Largest env value, UTF-8 bytes (32 KiB). */
  maxEnvValueBytes: 32 * 1024,
  /** Largest secret value, UTF-8 bytes (8 KiB). */
  maxSecretBytes: 8 * 1024,
  /** Most variables per run, env and secrets together. */
  maxVariables: 100,
} as const;

/** A name env variables may have: a letter or `_`, then letters, digits or `_`. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Refused names, compared case-insensitively, with the reason given in the error. Prefix
 * entries end in `*`.
 */
const REFUSED: readonly (readonly [pattern: string, reason: string])[] = [
  ['NODE_OPTIONS', 'it makes Node.js load and run code'],
  ['NODE_PATH', 'it changes where Node.js loads modules from'],
  ['NODE_REPL_EXTERNAL_MODULE', 'it makes Node.js load and run code'],
  ['NODE_TLS_REJECT_UNAUTHORIZED', 'it turns off TLS certificate checks'],
  ['NODE_EXTRA_CA_CERTS', 'it changes which TLS certificates are trusted'],
  ['SSL_CERT_FILE', 'it changes which TLS certificates are trusted'],
  ['SSL_CERT_DIR', 'it changes which TLS certificates are trusted'],
  ['REQUESTS_CA_BUNDLE', 'it changes which TLS certificates are trusted'],
  ['CURL_CA_BUNDLE', 'it changes which TLS certificates are trusted'],
  ['LD_*', 'the dynamic loader reads it (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT load code)'],
  ['DYLD_*', 'the dynamic loader reads it'],
  ['GCONV_PATH', 'it makes the C library load code'],
  ['PATH', 'it changes which programs run'],
  ['HOME', 'it changes where programs read their configuration'],
  ['SHELL', 'it changes which shell programs start'],
  ['BASH_ENV', 'it makes bash run a file at start'],
  ['ENV', 'it makes sh run a file at start'],
  ['BASH_FUNC_*', 'it defines bash functions'],
  ['SHELLOPTS', 'it changes how shells run'],
  ['BASHOPTS', 'it changes how shells run'],
  ['IFS', 'it changes how shells split words'],
  ['PS4', 'shells evaluate it'],
  ['PROMPT_COMMAND', 'shells run it'],
  ['PYTHONPATH', 'it changes where Python loads modules from'],
  ['PYTHONSTARTUP', 'it makes Python run a file'],
  ['PYTHONHOME', 'it changes where Python loads modules from'],
  ['PERL5OPT', 'it makes Perl load code'],
  ['PERL5LIB', 'it changes where Perl loads modules from'],
  ['PERLLIB', 'it changes where Perl loads modules from'],
  ['RUBYOPT', 'it makes Ruby load code'],
  ['RUBYLIB', 'it changes where Ruby loads code from'],
  ['JAVA_TOOL_OPTIONS', 'it makes the JVM load agents'],
  ['_JAVA_OPTIONS', 'it makes the JVM load agents'],
  ['JDK_JAVA_OPTIONS', 'it makes the JVM load agents'],
  ['HTTP_PROXY', 'it redirects network traffic through a proxy'],
  ['HTTPS_PROXY', 'it redirects network traffic through a proxy'],
  ['ALL_PROXY', 'it redirects network traffic through a proxy'],
  ['NO_PROXY', 'it changes which traffic bypasses the proxy'],
  ['RUNYARD_*', 'names starting with RUNYARD_ are reserved for Runyard'],
  ['__PROTO__', 'it is reserved'],
];

/**
 * Why `name` may not be overridden, or `undefined` when it may.
 * @example
 * refusedReason('NODE_OPTIONS'); // 'it makes Node.js load and run code'
 * refusedReason('API_TOKEN');    // undefined
 */
export function refusedReason(name: string): string | undefined {
  const upper = name.toUpperCase();
  for (const [pattern, reason] of REFUSED) {
    if (pattern.endsWith('*') ? upper.startsWith(pattern.slice(0, -1)) : upper === pattern) return reason;
  }
  return undefined;
}

/** Validated per-run overrides; both maps are plain objects with own properties only. */
export interface ValidatedOverrides {
  env: Record<string, string>;
  secrets: Record<string, string>;
}

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

/** A name as it may appear in a message: JSON-quoted and clipped. */
function shown(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

function checkName(name: string, field: string): void {
  if (name.length > OVERRIDE_LIMITS.maxNameLength) {
    throw new ValidationError(`${field}: names are at most ${OVERRIDE_LIMITS.maxNameLength} characters`, { field });
  }
  if (!ENV_NAME.test(name)) {
    throw new ValidationError(`${field}: ${shown(name)} is not a valid variable name (letters, digits and _, not starting with a digit)`, { field });
  }
  const reason = refusedReason(name);
  if (reason !== undefined) throw new ValidationError(`${field}: ${name} cannot be overridden: ${reason}`, { field, refused: true });
}

function checkMap(value: unknown, path: string, secret: boolean): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ValidationError(`${path}: expected an object of NAME: value strings`, { field: path });
  const out: [string, string][] = [];
  for (const [name, v] of Object.entries(value)) {
    const field = `${path}.${name.length > 128 ? `${name.slice(0, 128)}…` : name}`;
    checkName(name, field);
    if (typeof v !== 'string') throw new ValidationError(`${field}: expected a string value`, { field });
    if (v.includes('\0')) throw new ValidationError(`${field}: the value contains a NUL character`, { field });
    const max = secret ? OVERRIDE_LIMITS.maxSecretBytes : OVERRIDE_LIMITS.maxEnvValueBytes;
    if (v.length > max || utf8Bytes(v) > max) {
      throw new ValidationError(`${field}: the value is larger than ${max} bytes`, { field, max_bytes: max });
    }
    if (secret && v === '') throw new ValidationError(`${field}: a secret cannot be empty`, { field });
    out.push([name, v]);
  }
  return Object.fromEntries(out) as Record<string, string>;
}

/**
 * Validates `{ env?, secrets? }`: each a map of variable name → string value.
 * Rules: names match {@link ENV_NAME}, are at most 128 characters and not refused
 * ({@link refusedReason}); values are strings without NUL, env values at most 32 KiB and
 * secrets 1 byte to 8 KiB; at most 100 variables in all; a name is in env or secrets, not both.
 * @param path the dotted path of the overrides in the request, for `details.field`.
 * @throws ValidationError whose `details.field` names the offending entry
 *   (`overrides.env.NODE_OPTIONS`); its message says why and never contains a value.
 */
export function validateOverrides(overrides: unknown, path = 'overrides'): ValidatedOverrides {
  if (overrides === undefined || overrides === null) return { env: {}, secrets: {} };
  if (typeof overrides !== 'object' || Array.isArray(overrides)) throw new ValidationError(`${path}: expected an object {env?, secrets?}`, { field: path });
  const o = overrides as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => k !== 'env' && k !== 'secrets');
  if (unknown !== undefined) throw new ValidationError(`${path}: unknown field ${shown(unknown)} (expected env and secrets)`, { field: `${path}.${unknown}` });
  const count = (v: unknown) => (v && typeof v === 'object' ? Object.keys(v).length : 0);
  const total = count(o.env) + count(o.secrets);
  if (total > OVERRIDE_LIMITS.maxVariables) {
    throw new ValidationError(`${path}: at most ${OVERRIDE_LIMITS.maxVariables} variables per run (env and secrets together), got ${total}`, {
      field: path,
      max_variables: OVERRIDE_LIMITS.maxVariables,
    });
  }
  const env = checkMap(o.env, `${path}.env`, false);
  const secrets = checkMap(o.secrets, `${path}.secrets`, true);
  const both = Object.keys(secrets).find((k) => Object.hasOwn(env, k));
  if (both !== undefined)
    throw new ValidationError(`${path}.secrets.${both}: ${both} is also set in ${path}.env; give it once`, { field: `${path}.secrets.${both}` });
  return { env, secrets };
}
