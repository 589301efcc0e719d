/**
 * Workload profiles (runtime tiers): concurrency, timeouts and attempts for one run.
 */
import type { RetryPolicy } from './retry.js';
import { DEFAULT_RETRY_POLICY } from './retry.js';

export interface WorkloadProfile {
  name: string;
  /** Items of one run executing at once. */
  concurrency: number;
  /** Time budget of one attempt, ms. */
  itemTimeoutMs: number;
  retry: RetryPolicy;
}

/** Built-in profiles. `standard` is the default. */
export const BUILTIN_PROFILES: Record<'small' | 'standard' | 'large', WorkloadProfile> = {
  small: { name: 'small', concurrency: 4, itemTimeoutMs: 30_000, retry: { ...DEFAULT_RETRY_POLICY } },
  standard: { name: 'standard', concurrency: 32, itemTimeoutMs: 60_000, retry: { ...DEFAULT_RETRY_POLICY } },
  large: { name: 'large', concurrency: 256, itemTimeoutMs: 300_000, retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: 5 } },
};

/**
 * Built-in profiles that differ on SQLite: `large` runs 1,024 items at once there, so that one
 * commit (one fsync of the single writer) carries up to 1,024 outcomes and as many new leases.
 * PostgreSQL keeps 256: with more of a run in flight than its nodes' capacity, live nodes'
 * leases were seen to expire under load (test/fault/pid-namespace.test.ts).
 */
export const SQLITE_PROFILES: Record<string, WorkloadProfile> = {
  large: { ...BUILTIN_PROFILES.large, concurrency: 1024 },
};

export const DEFAULT_PROFILE = 'standard';

/** Looks up a profile by name; `undefined` when unknown. */
export function findProfile(name: string, custom: Record<string, WorkloadProfile> = {}): WorkloadProfile | undefined {
  // Own properties only: `toString` or `__proto__` are not profiles.
  if (Object.hasOwn(custom, name)) return custom[name];
  return Object.hasOwn(BUILTIN_PROFILES, name) ? (BUILTIN_PROFILES as Record<string, WorkloadProfile>)[name] : undefined;
}
