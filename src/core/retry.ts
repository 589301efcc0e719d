/**
 * Retry policy: exponential backoff with jitter, a cap on attempts, retryable vs permanent.
 * Pure: `(policy, attempt, error, now, random) → RetryDecision`.
 * The shape follows Trigger.dev's run engine (`retrying.ts` returns an outcome union).
 */
import type { ItemError } from './errors.js';

/** Backoff settings. All durations in milliseconds. */
export interface RetryPolicy {
  /** Attempts in all, the first included. @default 3 */
  maxAttempts: number;
  /** Delay before the second attempt, ms. @default 1000 */
  baseDelayMs: number;
  /** Ceiling for any single delay, ms. @default 60000 */
  maxDelayMs: number;
  /** Growth per attempt. @default 2 */
  factor: number;
  /** Share of the delay that is random: 0 = none, 1 = "full jitter". @default 0.5 */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  factor: 2,
  jitter: 0.5,
};

/** What to do after a failed attempt. */
export type RetryDecision = { kind: 'retry'; delayMs: number; nextAttemptAt: number } | { kind: 'fail'; reason: 'permanent' | 'attempts_exhausted' };

/**
 * Decides whether the attempt numbered `attempt` (1-based, the one that just failed) is retried.
 * A `retryAfterMs` from the producer (e.g. HTTP `Retry-After`) replaces the computed delay,
 * capped at `maxDelayMs`.
 * @param random a number in [0, 1) from the injected random source.
 */
export function decideRetry(
  policy: RetryPolicy,
  attempt: number,
  error: Pick<ItemError, 'retryable'> & { retryAfterMs?: number },
  now: number,
  random: number,
): RetryDecision {
  if (!error.retryable) return { kind: 'fail', reason: 'permanent' };
  if (attempt >= policy.maxAttempts) return { kind: 'fail', reason: 'attempts_exhausted' };
  const delayMs = error.retryAfterMs !== undefined ? Math.min(Math.max(0, error.retryAfterMs), policy.maxDelayMs) : backoffDelay(policy, attempt, random);
  return { kind: 'retry', delayMs, nextAttemptAt: now + delayMs };
}

/**
 * Delay after failed attempt `attempt` (1-based): `min(max, base·factor^(attempt-1))`, of which
 * the `jitter` share is scaled by `random`. Always in `[0, maxDelayMs]`.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: number): number {
  // factor ** n overflows to Infinity after enough attempts; min() then caps it, and a zero
  // base stays zero instead of becoming 0 · Infinity = NaN.
  const growth = policy.factor ** Math.max(0, attempt - 1);
  const raw = policy.baseDelayMs === 0 ? 0 : Math.min(policy.maxDelayMs, policy.baseDelayMs * growth);
  const fixed = raw * (1 - policy.jitter);
  return Math.round(fixed + raw * policy.jitter * random);
}
