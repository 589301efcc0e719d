/**
 * Checks every JSON request body before a route parses it: valid UTF-8 (a decoder would
 * silently replace bad bytes; the answer names the byte offset of the first one instead) and a
 * nesting depth of at most {@link MAX_BODY_DEPTH} (a deeply nested document could exhaust a
 * recursive step later). Both answer `422 validation_failed` naming `body`.
 */
import type { MiddlewareHandler } from 'hono';
import { ValidationError } from '../core/errors.js';
import { invalidUtf8OffsetOf } from '../core/utf8.js';

/** Deepest nesting of arrays and objects accepted in a request body. */
export const MAX_BODY_DEPTH = 128;

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
    // The raw import streams its body and checks it as it reads (engine/table-stream.ts).
    const streamed = c.req.method === 'POST' && c.req.path.replace(/\/+$/, '') === '/v1/tables/import';
    if (c.req.raw.body && /json/i.test(type) && !streamed) {
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const bad = invalidUtf8OffsetOf(bytes);
      if (bad >= 0) throw new ValidationError(`body: not valid UTF-8 at byte offset ${bad}`, { field: 'body', offset: bad });
      if (jsonDepth(bytes, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
        throw new ValidationError(`body: JSON nested more than ${MAX_BODY_DEPTH} levels deep`, { field: 'body' });
      }
    }
    await next();
  };
}
