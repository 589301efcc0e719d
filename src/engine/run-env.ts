/**
 * The environment a run's producers see (`ProducerContext.env`) and the redactor for what
 * they return. Built once per run and cached by run id (not per item): the env overrides, the
 * opened secrets, the run's prompt as `RUNYARD_PROMPT`, and the saved credentials its
 * definition names (core/credential-refs.ts), revealed from the run's workspace. Secrets never
 * enter the engine's own `process.env`.
 *
 * Rotation: a credential is revealed when a node first builds a run's env; every run whose env
 * is built after a rotation (every new run, on every node) uses the new value. A run already
 * executing on a node keeps the value it revealed there while its env stays cached (at most
 * {@link DEFAULT_CACHE_SIZE} runs per node, least recently used dropped first; a restart drops all).
 */
import { credentialNotFound, credentialRefs } from '../core/credential-refs.js';
import { PermanentError } from '../core/errors.js';
import type { RunRecord } from '../core/model.js';
import { createRedactor, NO_REDACTION, type Redactor } from '../core/redact.js';
import { assertNever } from '../core/status.js';
import type { Completion, Store } from '../store/port.js';
import { SecretBoxError, type SecretBox } from './secrets.js';

/** What the executor hands a run's producers, and how it cleans their results. */
export interface RunEnv {
  env: Record<string, string>;
  redactor: Redactor;
  /** The clear values of the credentials the run's definition names as placeholders, by name. */
  credentials: ReadonlyMap<string, string>;
}

const EMPTY: RunEnv = Object.freeze({ env: Object.freeze({}) as Record<string, string>, redactor: NO_REDACTION, credentials: new Map<string, string>() });

/** How many runs' environments one executor keeps. @default 512 */
const DEFAULT_CACHE_SIZE = 512;

/** Builds and caches {@link RunEnv}s. */
export class RunEnvironments {
  readonly #cache = new Map<string, Promise<RunEnv>>();

  constructor(
    private readonly deps: { store: Store; secrets?: SecretBox | undefined },
    private readonly maxRuns = DEFAULT_CACHE_SIZE,
  ) {}

  /**
   * The env and redactor of `run`.
   * @throws PermanentError `secrets_unavailable` when the run has secrets or credentials that
   *   cannot be opened (no key configured, another key, or an altered box): its items fail
   *   instead of running without them; `credential_not_found` naming a credential the
   *   definition names that the run's workspace does not have (any more).
   */
  get(run: RunRecord): Promise<RunEnv> {
    if (run.secret_names.length === 0 && run.overrides_env === null && run.prompt === null && credentialRefs(run.spec.config).length === 0) {
      return Promise.resolve(EMPTY);
    }
    let entry = this.#cache.get(run.id);
    if (entry) {
      // Re-insert: the Map's order is the eviction order (least recently used first).
      this.#cache.delete(run.id);
      this.#cache.set(run.id, entry);
      return entry;
    }
    entry = this.build(run);
    this.#cache.set(run.id, entry);
    entry.catch(() => this.#cache.delete(run.id));
    while (this.#cache.size > this.maxRuns) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
    return entry;
  }

  private async build(run: RunRecord): Promise<RunEnv> {
    const credentials = await this.reveal(run);
    // The definition's credential variables first: this run's overrides and secrets replace them.
    const env: Record<string, string> = {};
    for (const ref of credentialRefs(run.spec.config)) {
      if (ref.via === 'env' && ref.env !== undefined) env[ref.env] = credentials.get(ref.name) ?? '';
    }
    Object.assign(env, run.overrides_env);
    if (run.prompt !== null) env.RUNYARD_PROMPT = run.prompt;
    let secrets: Record<string, string> = {};
    if (run.secret_names.length > 0) {
      const { secrets: box, store } = this.deps;
      if (!box) throw new PermanentError('secrets_unavailable', `run ${run.id} has secrets but this engine has no secret key configured`);
      const sealed = await store.getRunSecrets(run.workspace_id, run.id);
      if (sealed === null) throw new PermanentError('secrets_unavailable', `the secrets of run ${run.id} are missing`);
      secrets = this.open(run, box, sealed);
    }
    Object.assign(env, secrets);
    return { env: Object.freeze(env), redactor: createRedactor([...Object.values(secrets), ...credentials.values()]), credentials };
  }

  /** The clear values of every credential the run's definition names, from its workspace. */
  private async reveal(run: RunRecord): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const names = new Set(credentialRefs(run.spec.config).map((r) => r.name));
    if (names.size === 0) return out;
    const { secrets: box, store } = this.deps;
    if (!box) throw new PermanentError('secrets_unavailable', `run ${run.id} names saved credentials but this engine has no secret key configured`);
    for (const name of names) {
      const sealed = await store.access.getCredentialBox(run.workspace_id, name);
      if (sealed === undefined) throw credentialNotFound(name);
      out.set(name, this.open(run, box, sealed).value ?? '');
    }
    return out;
  }

  private open(run: RunRecord, box: SecretBox, sealed: string): Record<string, string> {
    try {
      return box.open(sealed);
    } catch (err) {
      if (err instanceof SecretBoxError) throw new PermanentError('secrets_unavailable', `run ${run.id}: ${err.message}`);
      throw err;
    }
  }
}

/**
 * `c` with its producer-supplied parts (value, outputs, error message and detail) redacted;
 * ids and lease tokens are left alone.
 */
export function redactCompletion(c: Completion, r: Redactor): Completion {
  if (!r.active) return c;
  switch (c.kind) {
    case 'succeeded':
      return { ...c, value: r.redact(c.value), outputs: r.redact(c.outputs) };
    case 'failed':
    case 'retrying':
      return { ...c, error: r.redact(c.error) };
    case 'waiting':
      return { ...c, wait: r.redact(c.wait) };
    case 'released':
      return c;
    default:
      return assertNever(c);
  }
}
