/**
 * Redaction of per-run secrets from everything a producer hands back (values, outputs, error
 * messages and details) before it is stored, shown or streamed (reliability.md §4 S6).
 *
 * Each secret is masked in its plain form and in the transformed forms a program commonly
 * prints: base64 and base64url (at any byte alignment inside a longer encoded text, after
 * actions/runner#291), URL-encoded (`encodeURIComponent`, form encoding, lower-case escapes),
 * hex, JSON-escaped (once and twice), and each line of a multi-line secret. Secrets shorter
 * than {@link MIN_REDACT_LENGTH} characters are not used as patterns (masking every `e` is
 * worse than useless, actions/runner#326); they are still encrypted at rest.
 *
 * Known limit: a producer that truncates its own output (the shell producer keeps the last
 * 2 KB of stderr in error messages) can cut a secret in two; the surviving fragment is shorter
 * than the secret and is not masked.
 *
 * Pure: no I/O; byte encodings use the standard `TextEncoder` and `btoa`.
 */

/** What a masked secret is replaced with. */
export const REDACTED = '[REDACTED]';

/** Shortest secret (in characters) used as a redaction pattern. */
export const MIN_REDACT_LENGTH = 4;

/** Masks secrets in strings and in JSON-like values. */
export interface Redactor {
  /** True when at least one secret is long enough to be masked. */
  readonly active: boolean;
  /** `text` with every known form of every secret replaced by {@link REDACTED}. */
  redactString(text: string): string;
  /**
   * A copy of `value` with every string (object keys included) redacted, at any depth.
   * Arrays and plain objects are copied; other objects are first reduced to their JSON form
   * (which is what gets stored); values JSON cannot represent are returned unchanged.
   */
  redact<T>(value: T): T;
}

const encoder = new TextEncoder();

function base64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

const toUrlAlphabet = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * The base64 text that every encoding containing `bytes` must contain, for each of the three
 * byte alignments: for a secret starting at offset `o` of the encoded data, the bytes from
 * `(3 - o % 3) % 3` on fall on 3-byte group boundaries, so their whole groups encode to the
 * same characters whatever surrounds them.
 */
function alignedBase64Chunks(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let skip = 0; skip < 3; skip++) {
    const rest = bytes.subarray(skip);
    const whole = rest.length - (rest.length % 3);
    if (whole >= 3) out.push(base64(rest.subarray(0, whole)));
  }
  return out;
}

/** Every form of `secret` to mask (unfiltered; may contain duplicates). */
export function secretForms(secret: string): string[] {
  const bytes = encoder.encode(secret);
  const b64 = base64(bytes);
  const forms = [secret, b64, b64.replace(/=+$/, ''), toUrlAlphabet(b64)];
  for (const chunk of alignedBase64Chunks(bytes)) forms.push(chunk, toUrlAlphabet(chunk));
  const uri = encodeURIComponent(secret);
  forms.push(
    uri,
    uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  );
  forms.push(new URLSearchParams({ s: secret }).toString().slice(2));
  const h = hex(bytes);
  forms.push(h, h.toUpperCase());
  const json = JSON.stringify(secret).slice(1, -1);
  forms.push(json, JSON.stringify(json).slice(1, -1));
  if (/[\r\n]/.test(secret)) {
    for (const line of secret.split(/\r?\n|\r/)) forms.push(line.trim());
  }
  return forms;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A redactor for `secrets` (their values). Patterns are matched longest first, so a secret
 * containing another is masked whole.
 * @example
 * const { redactString } = createRedactor(['hunter2-password']);
 * redactString('login with hunter2-password'); // 'login with [REDACTED]'
 */
export function createRedactor(secrets: Iterable<string>): Redactor {
  const patterns = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== 'string' || s.length < MIN_REDACT_LENGTH) continue;
    for (const f of secretForms(s)) if (f.length >= MIN_REDACT_LENGTH) patterns.add(f);
  }
  const sorted = [...patterns].sort((a, b) => b.length - a.length);
  const re = sorted.length === 0 ? undefined : new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  const redactString = (text: string): string => (re === undefined ? text : text.replace(re, REDACTED));

  const walk = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return redactString(value);
    if (value === null || typeof value !== 'object') return value;
    // JSON nesting past this depth is not stored faithfully anywhere; reduce it to text.
    if (depth > 200) return redactString(safeJson(value) ?? '');
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
    if (!isPlainObject(value)) {
      const text = safeJson(value);
      return text === undefined ? value : walk(JSON.parse(text) as unknown, depth + 1);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactString(k), walk(v, depth + 1)]));
  };

  return {
    active: re !== undefined,
    redactString,
    redact: <T>(value: T): T => (re === undefined ? value : (walk(value, 0) as T)),
  };
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** A redactor that masks nothing. */
export const NO_REDACTION: Redactor = createRedactor([]);
