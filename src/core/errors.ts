/**
 * The error family. Every domain error extends {@link RunyardError} with a literal `code`; the
 * server maps codes to HTTP statuses in one table (server/errors.ts), the CLI maps them to exit
 * codes. Producers throw {@link PermanentError} or {@link RetryableError} to steer retries.
 */

/** Every error code Runyard raises on purpose. */
export const ErrorCode = {
  validation_failed: 'validation_failed',
  not_found: 'not_found',
  illegal_transition: 'illegal_transition',
  idempotency_conflict: 'idempotency_conflict',
  lease_lost: 'lease_lost',
  unknown_producer: 'unknown_producer',
  template_error: 'template_error',
  import_failed: 'import_failed',
  conflict: 'conflict',
  nothing_to_retry: 'nothing_to_retry',
  /** An answer for an item that is not waiting for one (already answered, or never waited). */
  item_not_waiting: 'item_not_waiting',
  insufficient_credits: 'insufficient_credits',
  producer_failed: 'producer_failed',
  producer_timeout: 'producer_timeout',
  output_too_large: 'output_too_large',
  schema_too_new: 'schema_too_new',
  secret_key_mismatch: 'secret_key_mismatch',
  database_unavailable: 'database_unavailable',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  rate_limited: 'rate_limited',
  internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class: a stable `code`, a message naming the field or id, optional `details`. */
export class RunyardError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input. `details.field` names the offending field (dotted path). */
export class ValidationError extends RunyardError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('validation_failed', message, details);
  }
}

/** Longest excerpt of user input quoted in an error message, characters. */
export const MAX_QUOTED = 100;

/**
 * `value` JSON-quoted for an error message, cut to {@link MAX_QUOTED} characters: a message never
 * echoes a whole (possibly huge) input.
 */
export function quoteInput(value: string): string {
  return JSON.stringify(value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value);
}

/** A resource that does not exist in this workspace (identical for "exists elsewhere"). */
export class NotFoundError extends RunyardError {
  constructor(kind: string, id: string) {
    const shown = id.length > MAX_QUOTED ? `${id.slice(0, MAX_QUOTED)}…` : id;
    super('not_found', `${kind} ${quoteInput(id)} was not found`, { kind, id: shown });
  }
}

/** No valid credential: missing, unknown, expired or revoked token (one message for all). */
export class UnauthorizedError extends RunyardError {
  constructor(message = 'a valid API token is required: send "Authorization: Bearer ryd_…" (runyard tokens create)') {
    super('unauthorized', message);
  }
}

/** A valid credential whose role does not allow the action. `details.required_role` names the least role that does. */
export class ForbiddenError extends RunyardError {
  constructor(message: string, requiredRole: string) {
    super('forbidden', message, { required_role: requiredRole });
  }
}

/** A status change the transition table does not allow. `details.status` is the current one. */
export class IllegalTransitionError extends RunyardError {
  constructor(entity: 'run' | 'item', id: string, from: string, to: string) {
    super('illegal_transition', `${entity} ${id} is ${from}; it cannot become ${to}`, {
      entity,
      id,
      status: from,
      requested: to,
    });
  }
}

/** A write whose lease token is no longer current (the lease expired and was re-claimed). */
export class LeaseLostError extends RunyardError {
  constructor(itemId: string) {
    super('lease_lost', `the lease on item ${itemId} is no longer held`, { item_id: itemId });
  }
}

/** Same Idempotency-Key with a different request body (Stripe's rule; HTTP 422). */
export class IdempotencyConflictError extends RunyardError {
  constructor(key: string) {
    super('idempotency_conflict', `Idempotency-Key ${JSON.stringify(key)} was used with a different request`, {
      idempotency_key: key,
    });
  }
}

/** Thrown by a producer: do not retry this item. */
export class PermanentError extends Error {
  readonly retryable = false;
  constructor(
    readonly code: string,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}

/** Thrown by a producer: the attempt may be retried, optionally not before `retryAfterMs`. */
export class RetryableError extends Error {
  readonly retryable = true;
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'RetryableError';
  }
}

/** The normalised error stored on an item (`item.error`). */
export interface ItemError {
  code: string;
  message: string;
  retryable: boolean;
  detail?: unknown;
}

/** Longest error message stored on an item, in characters. */
export const MAX_ERROR_MESSAGE = 4000;

/**
 * Normalises anything a producer threw into an {@link ItemError}, once, at the boundary.
 * Unknown throwables are retryable (a crash may be transient) unless they carry
 * `retryable: false`.
 */
export function toItemError(err: unknown): ItemError & { retryAfterMs?: number } {
  const clip = (s: string) => (s.length > MAX_ERROR_MESSAGE ? `${s.slice(0, MAX_ERROR_MESSAGE - 1)}…` : s);
  if (err instanceof PermanentError) {
    return { code: err.code, message: clip(err.message), retryable: false, ...(err.detail === undefined ? {} : { detail: err.detail }) };
  }
  if (err instanceof RetryableError) {
    const out: ItemError & { retryAfterMs?: number } = { code: err.code, message: clip(err.message), retryable: true };
    if (err.detail !== undefined) out.detail = err.detail;
    if (err.retryAfterMs !== undefined) out.retryAfterMs = err.retryAfterMs;
    return out;
  }
  if (err instanceof RunyardError) {
    return { code: err.code, message: clip(err.message), retryable: false };
  }
  if (err instanceof Error) {
    // User modules need not import our classes: an error carrying `retryable: false` (and an
    // optional string `code`) is permanent, like PermanentError.
    const e = err as Error & { retryable?: unknown; code?: unknown };
    const code = typeof e.code === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(e.code) ? e.code : 'producer_failed';
    return { code, message: clip(err.message || err.name), retryable: e.retryable !== false };
  }
  return { code: 'producer_failed', message: clip(safeString(err)), retryable: true };
}

/** `String(value)`, or a fixed text for values without a string form (`Object.create(null)`). */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return 'a value without a string form was thrown';
  }
}
