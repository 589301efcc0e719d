/** The one error type of the SDK: an API error envelope, or a server that cannot be reached. */

/**
 * An error answered by the Runyard API (`{error: {code, message, details}}`), or raised by the
 * client itself: code `unreachable` (status 0) when the server cannot be reached, `bad_response`
 * when an answer is not what the API promises, `stream_closed` when an event stream keeps
 * closing without its `end` event.
 */
export class ApiError extends Error {
  /** HTTP status; 0 when no HTTP answer was received. */
  readonly status: number;
  /** Stable machine-readable code, e.g. `not_found`, `validation_failed`, `unreachable`. */
  readonly code: string;
  /** Structured details from the envelope (e.g. `field`). */
  readonly details: Record<string, unknown>;

  /** @param status HTTP status (0 without an answer); @param code error code; @param message human-readable text */
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The error as the API's JSON envelope. */
  toJSON(): { error: { code: string; message: string; details: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }

  /** Builds the error of a non-2xx response from its envelope (or from its status when the body is not one). */
  static async fromResponse(res: Response): Promise<ApiError> {
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const env = isRecord(parsed) && isRecord(parsed.error) ? parsed.error : undefined;
    if (env && typeof env.code === 'string') {
      const message = typeof env.message === 'string' ? env.message : `HTTP ${res.status}`;
      return new ApiError(res.status, env.code, message, isRecord(env.details) ? env.details : {});
    }
    const snippet = text.trim().slice(0, 200);
    return new ApiError(res.status, `http_${res.status}`, `HTTP ${res.status} ${res.statusText}${snippet ? `: ${snippet}` : ''}`);
  }

  /** The `unreachable` error for a request to `baseUrl` that got no answer. */
  static unreachable(baseUrl: string, cause: unknown): ApiError {
    const code = networkCode(cause);
    const why = code ? ` (${code})` : '';
    return new ApiError(0, 'unreachable', `cannot reach the Runyard server at ${baseUrl}${why}; is it running? Start one with \`runyard up\``, {
      url: baseUrl,
      ...(code ? { cause: code } : {}),
    });
  }
}

/** True for a plain object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The system error code (ECONNREFUSED, ENOTFOUND, …) behind a failed fetch, else its cause's message. */
function networkCode(err: unknown): string | undefined {
  let message: string | undefined;
  for (let e: unknown = err, depth = 0; isErrorLike(e) && depth < 5; e = e.cause, depth++) {
    if (typeof e.code === 'string') return e.code;
    if (depth > 0 && typeof e.message === 'string' && e.message) message = e.message;
    if (Array.isArray(e.errors)) {
      const inner = e.errors.find((x): x is { code: string } => isErrorLike(x) && typeof x.code === 'string');
      if (inner) return inner.code;
    }
  }
  return message;
}

function isErrorLike(v: unknown): v is { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown } {
  return typeof v === 'object' && v !== null;
}
