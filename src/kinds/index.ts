/**
 * The run-kind registry: the built-in kinds plus any registered at start-up, looked up by name
 * or alias (like the producer registry, `src/producers/index.ts`). Adding a kind is one
 * `register` call: the engine and the store dispatch through this registry, never on a kind's
 * name.
 */
import { RunyardError, ValidationError } from '../core/errors.js';
import type { RunKindModule } from '../core/kind.js';
import { RUN_KIND_ALIASES } from '../core/model.js';
import { columnKind } from './column/index.js';
import { chainKind } from './chain/index.js';
import { ingestionKind } from './ingestion/index.js';
import { flowKind } from './flow/index.js';
import { workerKind } from './worker/index.js';

export { columnKind, type ColumnRef } from './column/index.js';
export { chainKind, type ChainRef } from './chain/index.js';
export { ingestionKind, type IngestionRef } from './ingestion/index.js';
export { flowKind, type FlowRef } from './flow/index.js';
export { workerKind, type WorkerRef } from './worker/index.js';

/** Options of {@link createKindRegistry}. */
export interface KindRegistryOptions {
  /**
   * Also register the test kinds (`chain`, src/kinds/chain).
   * @default true when the environment has `RUNYARD_TEST_KINDS=1`
   */
  testKinds?: boolean;
  /** Built-in kinds left out (e.g. a test registering its own kind under that name). @default none */
  exclude?: readonly string[];
}

/** Kinds by name. */
export interface KindRegistry {
  /**
   * The kind called `name` (or one of its aliases; `workflow` is `flow`, core/model.ts
   * `RUN_KIND_ALIASES`).
   * @param field the request field that named it, for the error (default `target.type`)
   * @throws ValidationError (`validation_failed`, 422) naming `field` and the known kinds
   */
  get(name: string, field?: string): RunKindModule;
  /** Whether a kind (or alias) called `name` is registered. */
  has(name: string): boolean;
  /** Registered kind names, in registration order (aliases left out). */
  names(): string[];
  /**
   * Adds a kind.
   * @throws RunyardError `conflict` when its name or an alias is already taken
   */
  register<Ref>(kind: RunKindModule<Ref>): void;
}

/** The kind an alias stands for, else `name` (own keys only: `toString` is no alias). */
function canonicalOf(name: string): string {
  return Object.hasOwn(RUN_KIND_ALIASES, name) ? RUN_KIND_ALIASES[name]! : name;
}

/** Creates a registry holding the built-in kinds (`column`, `ingestion`, `flow`, `worker`) (and the test kinds, see {@link KindRegistryOptions}). */
export function createKindRegistry(opts: KindRegistryOptions = {}): KindRegistry {
  const byName = new Map<string, RunKindModule>();
  const kinds: RunKindModule[] = [];
  const registry: KindRegistry = {
    get(name, field = 'target.type') {
      const canonical = canonicalOf(name);
      const k = byName.get(canonical);
      if (!k) {
        const given = canonical === name ? '' : ` (given as ${JSON.stringify(name)})`;
        throw new ValidationError(`${field}: no run kind ${JSON.stringify(canonical)}${given} is registered; use one of ${registry.names().join(', ')}`, {
          field,
          kind: name,
        });
      }
      return k;
    },
    has: (name) => byName.has(canonicalOf(name)),
    names: () => kinds.map((k) => k.kind),
    register<Ref>(kind: RunKindModule<Ref>) {
      const names = [kind.kind, ...(kind.aliases ?? [])];
      const taken = names.find((n) => byName.has(n));
      if (taken !== undefined) throw new RunyardError('conflict', `run kind ${JSON.stringify(taken)} is already registered`, { field: 'kind', kind: taken });
      // A module is called only with the references its own parseTarget made.
      const mod = kind as RunKindModule;
      kinds.push(mod);
      for (const n of names) byName.set(n, mod);
    },
  };
  registry.register(columnKind);
  for (const kind of [ingestionKind, flowKind, workerKind] as RunKindModule[]) if (!opts.exclude?.includes(kind.kind)) registry.register(kind);
  if (opts.testKinds ?? process.env.RUNYARD_TEST_KINDS === '1') registry.register(chainKind);
  return registry;
}
