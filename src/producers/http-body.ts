/**
 * Response helpers for the `http` producer: a size-capped streaming body reader and a
 * `Retry-After` parser.
 */
import { PermanentError } from '../core/errors.js';

/** Longest wait honoured from a `Retry-After` header, ms (10 minutes). */
export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/**
 * Parses a `Retry-After` header value: delay-seconds (`"120"`) or an HTTP date
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`). Returns milliseconds from `now` (never negative), capped
 * at {@link MAX_RETRY_AFTER_MS}, or `undefined` when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(0, Math.round(ms)), MAX_RETRY_AFTER_MS);
}

/**
 * Reads a response body chunk by chunk, holding at most `limit` bytes in memory.
 * Past the limit, `mode: 'fail'` cancels the stream, calls `abort` and throws
 * `PermanentError('output_too_large')`; `mode: 'truncate'` returns the first `limit` bytes.
 * Stream errors (network, abort) propagate as thrown by the stream.
 */
export async function readCapped(res: Response, limit: number, mode: 'fail' | 'truncate', abort: () => void): Promise<{ text: string; truncated: boolean }> {
  const chunks: Uint8Array[] = [];
  if (!res.body) return { text: '', truncated: false };
  const reader = res.body.getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.byteLength > limit) {
      const room = limit - total;
      if (room > 0) chunks.push(value.subarray(0, room));
      total += value.byteLength;
      await reader.cancel().catch(() => undefined);
      abort();
      if (mode === 'truncate') return { text: decode(chunks), truncated: true };
      throw new PermanentError('output_too_large', `response body exceeded max_response_bytes ${limit}; the download was stopped`, {
        max_response_bytes: limit,
        bytes_read: total,
      });
    }
    total += value.byteLength;
    chunks.push(value);
  }
  return { text: decode(chunks), truncated: false };
}

function decode(chunks: Uint8Array[]): string {
  return Buffer.concat(chunks).toString('utf8');
}
