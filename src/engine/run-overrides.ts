/**
 * The manual-run fields of a run request (seed 000): the initial prompt, the session it belongs
 * to, and per-run overrides (env values and secrets for this run only). Validated and prepared
 * for storage here: env in clear, secrets sealed, and a request-hash part that carries keyed
 * fingerprints instead of secret values. Nothing here touches the target's saved definition.
 */
import { ValidationError } from '../core/errors.js';
import { validateOverrides } from '../core/env-policy.js';
import type { SecretBox } from './secrets.js';

/** Per-run overrides as a request gives them. */
export interface RunOverrides {
  /** Env values for this run only (shown by the API). */
  env?: Record<string, string>;
  /** Secret values for this run only: encrypted at rest, never shown again. */
  secrets?: Record<string, string>;
}

/** The manual-run fields of a run request. */
export interface ManualRunFields {
  /** The instructions for this one run; producers see it as `RUNYARD_PROMPT`. At most 32 KiB. */
  prompt?: string;
  /** The workspace session tied to the run. At most 200 characters. */
  session_id?: string;
  overrides?: RunOverrides;
}

/** {@link ManualRunFields} ready to store. */
export interface PreparedManualRun {
  prompt: string | null;
  session_id: string | null;
  overrides_env: Record<string, string> | null;
  sealed_secrets: string | null;
  /** What the idempotency request hash sees of the overrides (no secret in clear). */
  hashPart: { env: [string, string][]; secrets: string } | undefined;
  env_names: string[];
  secret_names: string[];
}

/** Largest prompt, UTF-8 bytes (it travels as an environment variable). */
export const MAX_PROMPT_BYTES = 32 * 1024;
/** Longest session id, characters. */
export const MAX_SESSION_ID = 200;

/**
 * Validates and prepares the manual-run fields.
 * @param box seals the secrets; without one, a request carrying secrets is refused.
 * @throws ValidationError naming the field (`prompt`, `session_id`, `overrides.env.NAME`, …);
 *   messages never contain a secret or env value.
 */
export function prepareManualRun(fields: ManualRunFields, box: SecretBox | undefined): PreparedManualRun {
  const { prompt, session_id } = fields;
  if (prompt !== undefined) {
    if (typeof prompt !== 'string') throw new ValidationError('prompt: expected a string', { field: 'prompt' });
    if (prompt.includes('\0')) throw new ValidationError('prompt: contains a NUL character', { field: 'prompt' });
    if (Buffer.byteLength(prompt, 'utf8') > MAX_PROMPT_BYTES) throw new ValidationError(`prompt: larger than ${MAX_PROMPT_BYTES} bytes`, { field: 'prompt' });
  }
  if (session_id !== undefined) {
    // eslint-disable-next-line no-control-regex
    if (typeof session_id !== 'string' || session_id.length === 0 || session_id.length > MAX_SESSION_ID || /[\u0000-\u001f\u007f]/.test(session_id)) {
      throw new ValidationError(`session_id: expected 1 to ${MAX_SESSION_ID} characters without control characters`, { field: 'session_id' });
    }
  }
  const { env, secrets } = validateOverrides(fields.overrides);
  const envNames = Object.keys(env).sort();
  const secretNames = Object.keys(secrets).sort();
  if (secretNames.length > 0 && !box) {
    throw new ValidationError('overrides.secrets: this server has no secret key configured, so it cannot store secrets', { field: 'overrides.secrets' });
  }
  const hasOverrides = envNames.length > 0 || secretNames.length > 0;
  return {
    prompt: prompt ?? null,
    session_id: session_id ?? null,
    overrides_env: envNames.length > 0 ? Object.fromEntries(envNames.map((n) => [n, env[n] as string])) : null,
    sealed_secrets: box && secretNames.length > 0 ? box.seal(secrets) : null,
    hashPart: hasOverrides
      ? {
          env: envNames.map((n) => [n, env[n] as string]),
          secrets: box && secretNames.length > 0 ? box.fingerprint(JSON.stringify(secretNames.map((n) => [n, secrets[n]]))) : '',
        }
      : undefined,
    env_names: envNames,
    secret_names: secretNames,
  };
}
