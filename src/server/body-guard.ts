/**
 * Checks every JSON request body before a route parses it: valid UTF-8 (a decoder would
 * silently replace bad bytes; the answer names the byte offset of the first one instead) and a
 * nesting depth of at most {@link MAX_BODY_DEPTH} (a deeply nested document could exhaust a
 * recursive step later). Both answer `422 validation_failed` naming `body`.
 */
import type { MiddlewareHandler } from 'hono';
import { ValidationError } from '../core/errors.js';

/** Deepest nesting of arrays and objects accepted in a request body. */
export const MAX_BODY_DEPTH = 128;

/** Byte offset of the first byte that is not valid UTF-8, or -1 when all of it is. */
export function invalidUtf8Offset(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    if (c < 0x80) {
      i += 1;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0 || i + n >= b.length) return i;
    const c1 = b[i + 1] as number;
    // Overlongs, surrogates and code points above U+10FFFF are invalid (RFC 3629).
    if (c === 0xe0 && c1 < 0xa0) return i;
    if (c === 0xed && c1 > 0x9f) return i;
    if (c === 0xf0 && c1 < 0x90) return i;
    if (c === 0xf4 && c1 > 0x8f) return i;
    for (let k = 1; k <= n; k++) if (((b[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return -1;
}

/** Deepest array/object nesting in JSON text (strings skipped), stopping early past `limit`. */
export function jsonDepth(b: Uint8Array, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** The guard, for `/v1/*`. */
export function jsonBodyGuard(): MiddlewareHandler {
  return async (c, next) => {
    const type = c.req.header('content-type') ?? '';
    if (c.req.raw.body && /json/i.test(type)) {
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const bad = invalidUtf8Offset(bytes);
      if (bad >= 0) throw new ValidationError(`body: not valid UTF-8 at byte offset ${bad}`, { field: 'body', offset: bad });
      if (jsonDepth(bytes, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
        throw new ValidationError(`body: JSON nested more than ${MAX_BODY_DEPTH} levels deep`, { field: 'body' });
      }
    }
    await next();
  };
}
