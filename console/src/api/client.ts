/**
 * The console's only way to the server: a typed client over the public API, whose types are
 * generated from `/openapi.json` (schema.d.ts, by scripts/gen-openapi.js) — no hand-copied
 * shapes. Errors become {@link ApiError} carrying the API's `{error: {code, message}}`.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Run = Schemas['Run'];
export type Item = Schemas['Item'];
export type RunEvent = Schemas['Event'];
export type Table = Schemas['Table'];
export type Column = Schemas['Column'];
export type RunStatus = Run['status'];
export type ItemStatus = Item['status'];
export type RunKind = Run['kind'];
export type RunMode = Run['mode'];

/** The typed client; paths and bodies are checked against the generated `paths`. */
export const api = createClient<paths>({ baseUrl: window.location.origin });

let csrf: string | null = null;

/** Sets the CSRF value of the session (GET /v1/session); every write carries it. */
export function setCsrf(value: string | null): void {
  csrf = value;
}

api.use({
  onRequest({ request }) {
    if (csrf !== null && request.method !== 'GET' && request.method !== 'HEAD') request.headers.set('x-csrf-token', csrf);
    return request;
  },
});

/** An API answer that was not 2xx (or a network failure, code `network_error`). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    /** The API's `error.details` (e.g. `field`, the input a 422 names), when it sent any. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function toApiError(error: unknown, response: Response | undefined): ApiError {
  const body = error as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined;
  const code = typeof body?.error?.code === 'string' ? body.error.code : `http_${response?.status ?? 0}`;
  const message =
    typeof body?.error?.message === 'string' ? body.error.message : `${response?.status ?? ''} ${response?.statusText ?? 'request failed'}`.trim();
  const details = typeof body?.error?.details === 'object' && body.error.details !== null ? (body.error.details as Record<string, unknown>) : {};
  return new ApiError(code, message, response?.status ?? 0, details);
}

/** The input a refused request names (`error.details.field`, e.g. `values.reason`), if any. */
export function errorField(err: unknown): string | null {
  return err instanceof ApiError && typeof err.details.field === 'string' ? err.details.field : null;
}

/**
 * Awaits an openapi-fetch call and returns its data, or throws {@link ApiError}.
 * @throws ApiError with the server's code and message
 */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let res: { data?: T; error?: unknown; response: Response };
  try {
    res = await call;
  } catch (err) {
    throw new ApiError('network_error', `cannot reach the server: ${err instanceof Error ? err.message : String(err)}`, 0);
  }
  if (res.error !== undefined || !res.response.ok) throw toApiError(res.error, res.response);
  return res.data as T;
}

/** A message for any thrown value (API errors keep the server's words). */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

export type TriggerType = Schemas['StartColumnRun']['trigger'];

/**
 * Every value of a generated union, in display order; the type check fails when the API adds
 * or drops a value (so these lists cannot drift from `/openapi.json`).
 */
function all<T extends string>() {
  return <const L extends readonly T[]>(list: L & ([Exclude<T, L[number]>] extends [never] ? unknown : { missing: Exclude<T, L[number]> })): L => list;
}

export const RUN_STATUSES = all<RunStatus>()([
  'queued',
  'claimed',
  'running',
  'waiting_for_input',
  'paused',
  'succeeded',
  'partial',
  'failed',
  'canceled',
] as const);
export const ITEM_STATUSES = all<ItemStatus>()(['pending', 'running', 'retrying', 'waiting_for_input', 'succeeded', 'failed', 'skipped', 'canceled'] as const);
export const RUN_KINDS = all<RunKind>()(['column', 'flow', 'worker', 'ingestion', 'chain'] as const);
export const RUN_MODES = all<RunMode>()(['live', 'dry_run', 'smoke_test'] as const);
export const TRIGGERS = all<NonNullable<TriggerType>>()(['manual', 'api', 'rule', 'schedule', 'webhook', 'event', 'chat'] as const);
export const TERMINAL_RUN_STATUSES: readonly string[] = ['succeeded', 'partial', 'failed', 'canceled'];
/** True once a run can no longer change by itself. */
export const isTerminal = (status: string): boolean => TERMINAL_RUN_STATUSES.includes(status);
