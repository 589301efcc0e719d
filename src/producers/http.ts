/**
 * The `http` producer: one HTTP request per item with the global `fetch`. The body is read as a
 * stream under a size cap; statuses map to retryable or permanent errors.
 */
import { z } from 'zod';
import { PermanentError, RetryableError, ValidationError } from '../core/errors.js';
import type { Producer, ProducerContext, ProducerResult } from '../core/producer.js';
import { asText, head, parseConfig, positiveInt, stringRecord } from './config.js';
import { parseRetryAfter, readCapped } from './http-body.js';
import type { EgressGuard } from './egress.js';

/** Default cap on a response body, bytes (5 MiB). */
export const HTTP_DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const schema = (rendered: boolean) =>
  z.strictObject({
    method: z
      .string({ error: 'expected one of GET, POST, PUT, PATCH, DELETE' })
      .transform((m) => m.toUpperCase())
      .pipe(z.enum(METHODS, { error: 'expected one of GET, POST, PUT, PATCH, DELETE' }))
      .default('GET'),
    url: rendered ? z.unknown() : z.string({ error: 'expected a non-empty string' }).min(1, { error: 'expected a non-empty string' }),
    headers: stringRecord(rendered),
    body: z.unknown().optional(),
    timeout_ms: positiveInt('ms'),
    max_response_bytes: positiveInt('bytes'),
    parse: z.enum(['auto', 'json', 'text'], { error: 'expected "auto", "json" or "text"' }).default('auto'),
  });

/**
 * Config of the `http` producer (before rendering). Times are ms, sizes bytes.
 * - `url` (required): must render to an `http:` or `https:` URL.
 * - `method`: GET (default), POST, PUT, PATCH or DELETE. `headers`: sent as given; an
 *   `Idempotency-Key` header carrying the item's key is added unless set here. A header value
 *   may name saved credentials, `"Bearer {{credentials.NAME}}"`: filled when the request is sent.
 * - `body`: a string is sent as-is; anything else is JSON-encoded (`content-type: application/json`).
 * - `timeout_ms` (default: the item's budget), `max_response_bytes` (default 5 MiB).
 * - `parse`: `auto` (JSON when the response content-type says so, default), `json` or `text`.
 */
export type HttpConfig = z.input<ReturnType<typeof schema>>;

/**
 * Creates the `http` producer. `validate` throws `ValidationError` naming the field. `execute`
 * resolves on 2xx with `value` (parsed body), `outputs` `{ status, headers, body }`, `provider`
 * (URL host) and `usage.http_calls = 1`. It rejects with `RetryableError` `http_<status>` for
 * 408, 429 and 5xx (`retryAfterMs` from `Retry-After`, capped at 10 min), `http_network`,
 * `producer_timeout`; or `PermanentError` `http_<status>` (other statuses, with a body excerpt),
 * `invalid_url`, `invalid_header`, `output_too_large`, `invalid_output`, `aborted`.
 */
/** Options of {@link createHttpProducer}. */
export interface HttpProducerOptions {
  /**
   * Checks every destination after DNS resolution and every redirect hop (at most
   * {@link MAX_REDIRECTS}); refusals fail the item with `egress_blocked`. `runyard up` always
   * sets it. @default undefined (no check; library use)
   */
  egress?: EgressGuard;
}

/** Most redirects followed when an egress guard is set. */
export const MAX_REDIRECTS = 5;

export function createHttpProducer(opts: HttpProducerOptions = {}): Producer {
  const send = async (url: URL, init: RequestInit & { method: string }): Promise<Response> => {
    if (!opts.egress) return fetch(url, init);
    let target = url;
    let req = init;
    for (let hop = 0; ; hop++) {
      await opts.egress.check(target);
      const res = await fetch(target, { ...req, redirect: 'manual' });
      const location = res.headers.get('location');
      if (![301, 302, 303, 307, 308].includes(res.status) || location === null) return res;
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new PermanentError('too_many_redirects', `${url.origin}: more than ${MAX_REDIRECTS} redirects`);
      target = toUrl(new URL(location, target).href);
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && req.method !== 'GET')) {
        const { body: _dropped, ...rest } = req;
        req = { ...rest, method: 'GET' };
      }
    }
  };
  return {
    name: 'http',
    credentialFields: ['headers'],
    validate(config: unknown): void {
      const cfg = parseConfig(schema(false), config);
      if (cfg.body !== undefined && cfg.method === 'GET') {
        throw new ValidationError('config.body: a GET request cannot have a body; use POST, PUT or PATCH', { field: 'config.body' });
      }
    },
    async execute(ctx: ProducerContext): Promise<ProducerResult> {
      const cfg = parseConfig(schema(true), ctx.inputs);
      const url = toUrl(cfg.url);
      const headers = new Headers();
      for (const [k, v] of Object.entries(cfg.headers ?? {})) {
        try {
          headers.set(k, v);
        } catch {
          throw new PermanentError('invalid_header', `config.headers.${k}: not a valid header name or value`, { field: `config.headers.${k}` });
        }
      }
      if (!headers.has('idempotency-key')) headers.set('idempotency-key', ctx.idempotencyKey);
      let body: string | undefined;
      if (cfg.body !== undefined && cfg.method !== 'GET') {
        body = typeof cfg.body === 'string' ? cfg.body : asText(cfg.body);
        if (typeof cfg.body !== 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
      }
      if (ctx.signal.aborted) throw new PermanentError('aborted', 'the attempt was aborted before the request was sent');

      const timeoutMs = cfg.timeout_ms ?? ctx.timeoutMs;
      const maxBytes = cfg.max_response_bytes ?? HTTP_DEFAULT_MAX_RESPONSE_BYTES;
      const ctl = new AbortController();
      let why: 'timeout' | 'aborted' | undefined;
      const onAbort = (): void => {
        why ??= 'aborted';
        ctl.abort();
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        why ??= 'timeout';
        ctl.abort();
      }, timeoutMs);
      const target = `${cfg.method} ${url.origin}${url.pathname}`;
      const failed = (err: unknown): Error => {
        if (why === 'timeout') return new RetryableError('producer_timeout', `${target} timed out after ${timeoutMs} ms`);
        if (why === 'aborted') return new PermanentError('aborted', `the attempt was aborted during ${target}`);
        if (err instanceof PermanentError || err instanceof RetryableError) return err;
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        return new RetryableError('http_network', `${target} failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
      };
      try {
        let res: Response;
        try {
          res = await send(url, { method: cfg.method, headers, signal: ctl.signal, ...(body === undefined ? {} : { body }) });
        } catch (err) {
          throw failed(err);
        }
        const ok = res.status >= 200 && res.status < 300;
        const declared = Number(res.headers.get('content-length') ?? NaN);
        if (ok && declared > maxBytes) {
          ctl.abort();
          throw new PermanentError('output_too_large', `${target}: response of ${declared} bytes exceeds max_response_bytes ${maxBytes}`, {
            max_response_bytes: maxBytes,
          });
        }
        let raw: { text: string; truncated: boolean };
        try {
          raw = await readCapped(res, ok ? maxBytes : 8192, ok ? 'fail' : 'truncate', () => ctl.abort());
        } catch (err) {
          throw failed(err);
        }
        if (!ok) throw statusError(res, target, raw.text);
        const type = res.headers.get('content-type') ?? '';
        const asJson = cfg.parse === 'json' || (cfg.parse === 'auto' && /[/+]json\b/i.test(type));
        let value: unknown = raw.text;
        if (asJson) {
          try {
            value = raw.text.trim() === '' ? null : JSON.parse(raw.text);
          } catch (err) {
            throw new PermanentError('invalid_output', `${target}: response is not valid JSON (${(err as Error).message}): ${head(raw.text, 200)}`);
          }
        }
        const outputs = { status: res.status, headers: Object.fromEntries(res.headers), body: raw.text };
        return { value, outputs, provider: url.host, usage: { http_calls: 1 } };
      } finally {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
      }
    },
  };
}

function toUrl(value: unknown): URL {
  let url: URL | undefined;
  if (typeof value === 'string') {
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new PermanentError('invalid_url', `config.url: ${head(JSON.stringify(value) ?? String(value), 200)} is not an http: or https: URL`, {
      field: 'config.url',
    });
  }
  return url;
}

function statusError(res: Response, target: string, text: string): Error {
  const code = `http_${res.status}`;
  const excerpt = head(text.trim(), 500);
  const msg = `${target} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${excerpt ? `: ${excerpt}` : ''}`;
  const detail = { status: res.status, body: excerpt };
  if (res.status === 408 || res.status === 429 || res.status >= 500) {
    return new RetryableError(code, msg, parseRetryAfter(res.headers.get('retry-after')), detail);
  }
  return new PermanentError(code, msg, detail);
}
