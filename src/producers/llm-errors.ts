/**
 * How the `llm` producer classifies what went wrong with a provider call: the AI SDK's
 * `APICallError` (status, headers, body) and stream errors become `RetryableError` or
 * `PermanentError` with an `llm_*` code. Pure apart from reading the error's fields.
 */
import { APICallError, InvalidResponseDataError, JSONParseError, TypeValidationError } from 'ai';
import { PermanentError, RetryableError } from '../core/errors.js';
import { head } from './config.js';
import { parseRetryAfter } from './http-body.js';

/**
 * Error codes of the `llm` producer:
 * - `llm_rate_limited` (429, retryable, honours `Retry-After`),
 * - `llm_provider_error` (408, 409, 5xx, retryable, honours `Retry-After`),
 * - `llm_network` (connection refused or dropped, also mid-stream; retryable),
 * - `llm_context_overflow` (the prompt does not fit the model's context window; permanent),
 * - `llm_malformed_response` (the answer is not the provider's wire format: bad JSON, an unknown
 *   event; permanent),
 * - `llm_auth_failed` (401, 403; permanent), `llm_http_<status>` (other 4xx; permanent),
 * - `llm_api_key_missing`, `llm_invalid_json`, `llm_schema_mismatch`, `llm_output_truncated`,
 *   `llm_no_output` (raised by the producer itself; permanent).
 */
export const LLM_ERROR_CODES = [
  'llm_rate_limited',
  'llm_provider_error',
  'llm_network',
  'llm_context_overflow',
  'llm_malformed_response',
  'llm_auth_failed',
  'llm_api_key_missing',
  'llm_invalid_json',
  'llm_schema_mismatch',
  'llm_output_truncated',
  'llm_no_output',
] as const;

/** Words providers use for a prompt that exceeds the context window (OpenAI, vLLM, Ollama, Anthropic…). */
const OVERFLOW = /context_length_exceeded|maximum context length|context window|context length|prompt is too long|too many tokens|string_above_max_length/i;

/**
 * Maps a provider failure to a retry decision. `target` names the call in messages
 * (`POST <host>/chat/completions model m`); bodies are quoted up to 500 characters. The same
 * for every provider: Anthropic's 529 `overloaded_error` is a 5xx, its 400 "prompt is too long"
 * an overflow, and an `error` event in the middle of its stream (`{type, message}`) a retryable
 * `llm_provider_error` (`llm_rate_limited` for `rate_limit_error`).
 */
export function classifyLlmError(err: unknown, target: string): PermanentError | RetryableError {
  if (err instanceof PermanentError || err instanceof RetryableError) return err;
  if (APICallError.isInstance(err)) {
    const status = err.statusCode;
    const body = head((err.responseBody ?? '').trim(), 500);
    const detail = { status: status ?? null, body };
    // No status: the connection failed; a 2xx: the stream broke after the headers.
    if (status === undefined || (status >= 200 && status < 300))
      return new RetryableError('llm_network', `${target} failed: ${causeOf(err)}`, undefined, detail);
    if (wrapsMalformed(err.responseBody)) return malformed(target, body);
    const msg = `${target} answered ${status}${body ? `: ${body}` : ''}`;
    const retryAfter = parseRetryAfter(headerOf(err.responseHeaders, 'retry-after'));
    if ((status === 400 || status === 413 || status === 422) && OVERFLOW.test(`${body} ${err.message}`)) {
      return new PermanentError('llm_context_overflow', `${target}: the prompt does not fit the model's context window: ${body || err.message}`, detail);
    }
    if (status === 429) return new RetryableError('llm_rate_limited', msg, retryAfter, detail);
    if (status === 408 || status === 409 || status >= 500) return new RetryableError('llm_provider_error', msg, retryAfter, detail);
    if (status === 401 || status === 403) return new PermanentError('llm_auth_failed', msg, detail);
    return new PermanentError(`llm_http_${status}`, msg, detail);
  }
  if (JSONParseError.isInstance(err) || TypeValidationError.isInstance(err) || InvalidResponseDataError.isInstance(err)) return malformed(target, err.message);
  const event = streamErrorOf(err);
  if (event) {
    const code = event.type === 'rate_limit_error' ? 'llm_rate_limited' : 'llm_provider_error';
    return new RetryableError(code, `${target} sent ${event.type} mid-stream: ${head(event.message, 300)}`, undefined, {
      body: head(JSON.stringify(event), 500),
    });
  }
  return new RetryableError('llm_network', `${target} failed: ${causeOf(err)}`);
}

const MALFORMED_NAMES = new Set(['AI_JSONParseError', 'AI_TypeValidationError', 'AI_InvalidResponseDataError']);

function malformed(target: string, what: string): PermanentError {
  return new PermanentError('llm_malformed_response', `${target}: the answer is not the provider's wire format: ${head(what, 300)}`);
}

/**
 * `@ai-sdk/anthropic` turns an error in the first event of a 200 stream into an APICallError
 * with a made-up status 500 whose body is that error as JSON; a parse error there is a
 * malformed answer, not a provider failure.
 */
function wrapsMalformed(responseBody: string | undefined): boolean {
  if (!responseBody?.startsWith('{"name":"AI_')) return false;
  try {
    return MALFORMED_NAMES.has(String((JSON.parse(responseBody) as { name?: unknown }).name));
  } catch {
    return false;
  }
}

/** An error event of a provider's stream as the SDK passes it on (Anthropic: `{type: 'overloaded_error', message}`). */
function streamErrorOf(err: unknown): { type: string; message: string } | undefined {
  if (err instanceof Error || typeof err !== 'object' || err === null) return undefined;
  const e = err as { type?: unknown; message?: unknown };
  return typeof e.type === 'string' && typeof e.message === 'string' ? { type: e.type, message: e.message } : undefined;
}

function headerOf(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

function causeOf(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string; cause?: { code?: string } } };
  return e.cause?.code ?? e.cause?.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
