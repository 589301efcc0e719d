/**
 * The producer registry: the built-in producers (`shell`, `http`, `js`, `input`, `llm`) plus custom ones
 * registered at start-up. The engine looks producers up by name.
 */
import { quoteInput, RunyardError } from '../core/errors.js';
import type { Producer } from '../core/producer.js';
import { createHttpProducer } from './http.js';
import { createJsProducer } from './js.js';
import { createShellProducer } from './shell.js';
import { createInputProducer } from './input.js';
import { createIngestPageProducer } from './ingest-page.js';
import { createLlmProducer } from './llm.js';
import { createFlowStepProducer } from './flow-step.js';
import { createWorkerLlmProducer } from './worker-llm.js';
import type { EgressGuard } from './egress.js';

export { createHttpProducer, HTTP_DEFAULT_MAX_RESPONSE_BYTES } from './http.js';
export { EgressGuard, parseEgressAllow } from './egress.js';
export type { HttpConfig } from './http.js';
export { createJsProducer } from './js.js';
export type { JsConfig, JsFunction, JsFunctionContext, JsProducerOptions } from './js.js';
export { createShellProducer, SHELL_DEFAULT_MAX_OUTPUT_BYTES } from './shell.js';
export { createInputProducer, type InputConfig } from './input.js';
export { createIngestPageProducer, INGEST_PAGE_PRODUCER } from './ingest-page.js';
export { createLlmProducer, type LlmCallRecord, type LlmConfig, type LlmProducerOptions } from './llm.js';
export type { ShellConfig } from './shell.js';
export { createWorkerLlmProducer } from './worker-llm.js';
export { MAX_RETRY_AFTER_MS, parseRetryAfter } from './http-body.js';
/** Re-exported so custom producers and user modules can steer retries. */
export { PermanentError, RetryableError } from '../core/errors.js';

/** Producers by name. */
export interface ProducerRegistry {
  /** The producer called `name`. @throws RunyardError `unknown_producer` (`details.field = 'producer'`) */
  get(name: string): Producer;
  /** Whether a producer called `name` is registered. */
  has(name: string): boolean;
  /** Registered names, built-ins first, in registration order. */
  names(): string[];
  /**
   * Adds a custom producer.
   * @throws RunyardError `conflict` when the name is already taken, `validation_failed` when the
   * producer has no name or lacks `validate`/`execute`.
   */
  register(producer: Producer): void;
}

/** Options of {@link createProducerRegistry}. */
export interface ProducerRegistryOptions {
  /** Directory the `js` producer resolves relative module paths against; default `process.cwd()`. */
  baseDir?: string;
  /** When set, `js` modules must live under this directory (see JsProducerOptions.root). */
  jsRoot?: string;
  /** When set, the only commands the `shell` producer may run (`RUNYARD_SHELL_COMMANDS`). */
  shellCommands?: readonly string[];
  /** When set, checks every outbound `http` and `llm` request (see egress.ts). */
  egress?: EgressGuard;
}

/** Creates a registry holding the built-in `shell`, `http`, `js`, `input` and `llm` producers. */
export function createProducerRegistry(opts: ProducerRegistryOptions = {}): ProducerRegistry {
  const byName = new Map<string, Producer>();
  const registry: ProducerRegistry = {
    get(name) {
      const p = byName.get(name);
      if (!p) {
        throw new RunyardError('unknown_producer', `producer ${quoteInput(name)} is not known; use one of ${[...byName.keys()].join(', ')}`, {
          field: 'producer',
        });
      }
      return p;
    },
    has: (name) => byName.has(name),
    names: () => [...byName.keys()],
    register(producer) {
      const p = producer as Partial<Producer> | null;
      if (!p || typeof p.name !== 'string' || p.name === '' || typeof p.validate !== 'function' || typeof p.execute !== 'function') {
        throw new RunyardError('validation_failed', 'a producer needs a non-empty name, validate() and execute()', { field: 'producer' });
      }
      if (byName.has(p.name)) {
        throw new RunyardError('conflict', `producer ${JSON.stringify(p.name)} is already registered`, { field: 'producer', producer: p.name });
      }
      byName.set(p.name, producer);
    },
  };
  registry.register(createShellProducer(opts.shellCommands === undefined ? {} : { allow: opts.shellCommands }));
  registry.register(createHttpProducer(opts.egress === undefined ? {} : { egress: opts.egress }));
  registry.register(
    createJsProducer({ ...(opts.baseDir === undefined ? {} : { baseDir: opts.baseDir }), ...(opts.jsRoot === undefined ? {} : { root: opts.jsRoot }) }),
  );
  registry.register(createInputProducer());
  registry.register(createIngestPageProducer(registry.get('http')));
  registry.register(createLlmProducer(opts.egress === undefined ? {} : { egress: opts.egress }));
  registry.register(createFlowStepProducer());
  registry.register(createWorkerLlmProducer(opts.egress === undefined ? {} : { egress: opts.egress }));
  return registry;
}
