/**
 * Webhooks signed by a provider's own HMAC scheme instead of Standard Webhooks (issue 15 §4):
 * a configured header carrying `prefix` + the HMAC (SHA-256 or SHA-1, hex or base64) of the raw
 * body under the hook's secret (its UTF-8 bytes), e.g. GitHub's `X-Hub-Signature-256:
 * sha256=<hex>`. Such schemes carry no timestamp; replays are refused when `id_header` names a
 * per-delivery id (GitHub's `X-GitHub-Delivery`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../../core/errors.js';

/** A provider's HMAC scheme. */
export interface HookSignature {
  /** The header holding the signature, e.g. `X-Hub-Signature-256` (case-insensitive). */
  header: string;
  algorithm: 'sha256' | 'sha1';
  encoding: 'hex' | 'base64';
  /** Text before the digest in the header, e.g. `sha256=`. @default '' */
  prefix?: string;
  /** A header with a per-delivery id: a repeat is refused as a replay (409). */
  id_header?: string;
}

const HEADER = /^[A-Za-z0-9-]{1,100}$/;

/**
 * Checks a scheme as sent (`POST /v1/hooks {signature}`).
 * @throws ValidationError naming `signature.header`, `signature.algorithm`, `signature.encoding`, `signature.prefix` or `signature.id_header`
 */
export function checkHookSignature(s: HookSignature): HookSignature {
  const bad = (field: string, msg: string) => new ValidationError(`signature.${field}: ${msg}`, { field: `signature.${field}` });
  if (!HEADER.test(s.header)) throw bad('header', 'expected a header name (letters, digits, dashes)');
  if (['webhook-signature', 'authorization'].includes(s.header.toLowerCase()))
    throw bad('header', 'a provider header other than webhook-signature or authorization');
  if (s.algorithm !== 'sha256' && s.algorithm !== 'sha1') throw bad('algorithm', 'expected sha256 or sha1');
  if (s.encoding !== 'hex' && s.encoding !== 'base64') throw bad('encoding', 'expected hex or base64');
  if (s.prefix !== undefined && (s.prefix.length > 50 || /[\r\n\0]/.test(s.prefix))) throw bad('prefix', 'at most 50 characters');
  if (s.id_header !== undefined && !HEADER.test(s.id_header)) throw bad('id_header', 'expected a header name (letters, digits, dashes)');
  return {
    header: s.header,
    algorithm: s.algorithm,
    encoding: s.encoding,
    ...(s.prefix ? { prefix: s.prefix } : {}),
    ...(s.id_header ? { id_header: s.id_header } : {}),
  };
}

/** A secret for a provider scheme: 16 to 256 characters without whitespace. @throws ValidationError naming `secret` */
export function checkProviderSecret(secret: string): void {
  if (secret.length < 16 || secret.length > 256 || /\s/.test(secret))
    throw new ValidationError('secret: expected 16 to 256 characters without spaces', { field: 'secret' });
}

/** Whether `header` is `prefix` + the HMAC of `body` under `secret` per the scheme, compared in constant time. */
export function providerSignatureMatches(s: HookSignature, secret: string, body: Uint8Array, header: string): boolean {
  const prefix = s.prefix ?? '';
  if (!header.startsWith(prefix)) return false;
  const value = header.slice(prefix.length).trim();
  if (s.encoding === 'hex' ? !/^[0-9a-fA-F]+$/.test(value) : !/^[A-Za-z0-9+/=_-]+$/.test(value)) return false;
  const expected = createHmac(s.algorithm, Buffer.from(secret, 'utf8')).update(body).digest();
  const got = Buffer.from(value, s.encoding);
  return got.length === expected.length && timingSafeEqual(got, expected);
}
