/** A tiny JSON client for the benchmarks (real HTTP to a `runyard up` child on 127.0.0.1). */

export interface Api {
  readonly base: string;
  /** GET → parsed JSON. @throws Error with the status and body on a non-2xx answer */
  get<T = Record<string, unknown>>(path: string): Promise<T>;
  /** POST JSON → parsed JSON. @throws Error with the status and body on a non-2xx answer */
  post<T = Record<string, unknown>>(path: string, body: unknown): Promise<T>;
}

/** A client of `base`, sending `token` (the server's admin token) as `Authorization: Bearer`. */
export function api(base: string, token?: string): Api {
  const call = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const headers = new Headers(init.headers);
    if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
    const res = await fetch(`${base}${path}`, { ...init, headers });
    if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    base,
    get: (path) => call(path),
    post: (path, body) => call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  };
}

const TERMINAL = new Set(['succeeded', 'partial', 'failed', 'canceled']);

/**
 * Polls `GET /v1/runs/:id` every `everyMs` until the run is terminal; `tick` runs on every poll.
 * @throws Error after `timeoutMs`
 */
export async function waitForRun(http: Api, runId: string, timeoutMs: number, tick: () => void = () => {}, everyMs = 200): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    tick();
    const run = await http.get(`/v1/runs/${runId}`);
    if (TERMINAL.has(String(run.status))) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${String(run.status)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Wall-clock now in epoch milliseconds with sub-millisecond precision (comparable across processes). */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
