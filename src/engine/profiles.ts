/**
 * The workload profiles this engine knows: the built-in `small`, `standard`, `large`, plus
 * custom ones from configuration (`RUNYARD_PROFILES`, a JSON object of
 * `{ name: { concurrency, item_timeout_ms, max_attempts } }`).
 */
import { z } from 'zod';
import { quoteInput, ValidationError } from '../core/errors.js';
import { BUILTIN_PROFILES, findProfile, type WorkloadProfile } from '../core/profile.js';
import { DEFAULT_RETRY_POLICY } from '../core/retry.js';

const CustomProfile = z
  .object({
    concurrency: z.number().int().min(1).max(10_000),
    item_timeout_ms: z
      .number()
      .int()
      .min(100)
      .max(24 * 3600 * 1000),
    max_attempts: z.number().int().min(1).max(100),
  })
  .strict();

/**
 * Parses custom profiles (e.g. the `RUNYARD_PROFILES` JSON).
 * @throws ValidationError naming `profiles.<name>.<field>`
 */
export function parseCustomProfiles(json: string | undefined): Record<string, WorkloadProfile> {
  if (json === undefined || json.trim() === '') return {};
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ValidationError('profiles: RUNYARD_PROFILES is not valid JSON', { field: 'profiles' });
  }
  const parsed = z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/), CustomProfile).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['profiles', ...(issue?.path ?? []).map(String)].join('.');
    throw new ValidationError(`${field}: ${issue?.message ?? 'invalid'}`, { field });
  }
  const out: Record<string, WorkloadProfile> = {};
  for (const [name, p] of Object.entries(parsed.data)) {
    out[name] = { name, concurrency: p.concurrency, itemTimeoutMs: p.item_timeout_ms, retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: p.max_attempts } };
  }
  return out;
}

/** Built-in and custom profiles by name. */
export class ProfileCatalog {
  constructor(private readonly custom: Record<string, WorkloadProfile> = {}) {}

  /** Every profile name, built-in first. */
  names(): string[] {
    return [...new Set([...Object.keys(BUILTIN_PROFILES), ...Object.keys(this.custom)])];
  }

  /** @throws ValidationError naming `field` when the profile is unknown */
  resolve(name: string, field = 'profile'): WorkloadProfile {
    const p = findProfile(name, this.custom);
    if (!p) throw new ValidationError(`${field}: unknown workload profile ${quoteInput(name)} (use one of ${this.names().join(', ')})`, { field });
    return p;
  }
}
