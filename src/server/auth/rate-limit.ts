/**
 * Per-token limits held in this process: a token bucket of requests, and a count of open
 * Server-Sent Events streams. Several nodes each apply them (a client spread over N nodes gets
 * N times the rate): they protect a node, they are not a billing quota.
 */

/** Limits of one node. */
export interface LimitSettings {
  /** Sustained requests per second per token. @default 100 (`RUNYARD_RATE_LIMIT`) */
  ratePerSecond: number;
  /** Bucket size: requests a token may send at once. @default 20 × ratePerSecond */
  burst: number;
  /** Open event streams per token. @default 16 (`RUNYARD_SSE_MAX`) */
  maxStreams: number;
}

/** Parses the limits from the environment (invalid values fall back to the defaults). */
export function limitSettings(env: NodeJS.ProcessEnv = process.env): LimitSettings {
  const num = (v: string | undefined, d: number) => (v !== undefined && /^\d+$/.test(v.trim()) && Number(v) > 0 ? Number(v) : d);
  const rate = num(env.RUNYARD_RATE_LIMIT, 100);
  return { ratePerSecond: rate, burst: rate * 20, maxStreams: num(env.RUNYARD_SSE_MAX, 16) };
}

/** Token buckets and stream counts by token id. */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #streams = new Map<string, number>();

  constructor(
    readonly settings: LimitSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request from the token's bucket. @returns 0 when allowed, else ms until one is available */
  take(tokenId: string): number {
    const t = this.now();
    const s = this.settings;
    const b = this.#buckets.get(tokenId) ?? { tokens: s.burst, at: t };
    b.tokens = Math.min(s.burst, b.tokens + ((t - b.at) / 1000) * s.ratePerSecond);
    b.at = t;
    this.#buckets.set(tokenId, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - b.tokens) / s.ratePerSecond) * 1000));
  }

  /** Opens a stream slot. @returns a release function, or undefined when the token is at its cap */
  openStream(tokenId: string): (() => void) | undefined {
    const n = this.#streams.get(tokenId) ?? 0;
    if (n >= this.settings.maxStreams) return undefined;
    this.#streams.set(tokenId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#streams.get(tokenId) ?? 1) - 1;
      if (left <= 0) this.#streams.delete(tokenId);
      else this.#streams.set(tokenId, left);
    };
  }
}
