/**
 * One error envelope and one code → HTTP status table for the whole API (STYLE.md §11, after
 * Hono's single `onError`). Body: `{ "error": { "code", "message", "details" } }`.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';
import { RunyardError, type ErrorCode } from '../core/errors.js';

/** HTTP status of every error code. */
export const HTTP_STATUS: Record<ErrorCode | 'invalid_json' | 'payload_too_large' | 'unsupported_media_type' | 'route_not_found', number> = {
  validation_failed: 422,
  invalid_json: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  route_not_found: 404,
  not_found: 404,
  illegal_transition: 409,
  idempotency_conflict: 422,
  lease_lost: 409,
  unknown_producer: 422,
  template_error: 422,
  import_failed: 422,
  conflict: 409,
  nothing_to_retry: 422,
  item_not_waiting: 409,
  insufficient_credits: 402,
  producer_failed: 500,
  producer_timeout: 500,
  output_too_large: 500,
  schema_too_new: 500,
  secret_key_mismatch: 500,
  database_unavailable: 503,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  internal: 500,
};

/** The JSON error envelope. */
export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

export function errorBody(code: string, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message, details } };
}

/** Turns a zod failure into `validation_failed` naming the first offending field. */
export function zodErrorBody(err: ZodError, where: 'body' | 'query' | 'path' | 'header'): ErrorBody {
  const issues = err.issues.map((i) => ({ field: i.path.map(String).join('.') || where, message: i.message }));
  const first = issues[0];
  const message = first ? `${first.field}: ${first.message}` : `invalid ${where}`;
  return errorBody('validation_failed', message, { field: first?.field ?? where, issues });
}

/** The single error handler: domain errors by code, HTTP exceptions by status, the rest 500. */
export function onError(err: Error, c: Context): Response {
  if (err instanceof RunyardError) {
    return c.json(errorBody(err.code, err.message, err.details ?? {}), HTTP_STATUS[err.code] as 400);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    const code = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : status === 400 ? 'invalid_json' : 'internal';
    const message = status === 400 ? `body: the request body is not valid JSON (${err.message})` : err.message;
    return c.json(errorBody(code, message, { field: 'body' }), status);
  }
  console.error(err);
  return c.json(errorBody('internal', 'internal error'), 500);
}
