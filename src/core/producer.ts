/**
 * The producer port: the code that executes one item (DESIGN.md §1). Built-in producers live in
 * `src/producers/`; custom ones implement the same interface.
 */

import type { ItemWait } from './model.js';

/** Usage a producer reports for one attempt; the ledger prices it later. */
export interface Usage {
  /** LLM tokens in, by model. */
  input_tokens?: number;
  output_tokens?: number;
  /** Input tokens served from the provider's prompt cache (part of `input_tokens`). */
  cached_input_tokens?: number;
  model?: string;
  /** Outbound HTTP calls made. */
  http_calls?: number;
  /** Wall time of a child process, milliseconds. */
  command_ms?: number;
  /** Rows produced or touched. */
  rows?: number;
}

/** What the engine hands a producer for one attempt. */
export interface ProducerContext<Inputs = Record<string, unknown>> {
  /** The item's inputs: the producer config with every template rendered against the row. */
  inputs: Inputs;
  /** Stable across attempts of the same item: pass it to side effects so they can de-duplicate. */
  idempotencyKey: string;
  /** Fires when the run is canceled, the lease is lost, or the item times out. */
  signal: AbortSignal;
  /** 1-based attempt number. */
  attempt: number;
  runId: string;
  itemId: string;
  /** Per-run env values (overrides); never the engine's own environment. */
  env: Record<string, string>;
  /** The item's time budget, ms; the engine aborts `signal` when it runs out. */
  timeoutMs: number;
  /** The run's workspace. */
  workspaceId?: string;
  /**
   * The run is a dry run: given only to producers that set {@link Producer.ownDryRun}, which
   * must then change nothing (a worker's tools record what they would write).
   */
  dryRun?: boolean;
}

/**
 * What one attempt returns: an output, or (with `wait`) a request for an answer.
 *
 * With `wait` set, the attempt ends asking for an answer (a person's, or an event's): the item
 * becomes `waiting_for_input` with the prompt and form, its lease is dropped (no executor slot
 * is held), its attempt is not spent, and `value`, `outputs` and `usage` are ignored (give
 * `value: null`); answering it (`respondToItem`) settles it as `succeeded` with the answer as
 * its outputs.
 */
export interface ProducerResult {
  /** The value that lands in the run's sink (a column run's cell). */
  value: unknown;
  /** The full payload kept on the item (`item.outputs`); defaults to `{ value }`. */
  outputs?: Record<string, unknown>;
  usage?: Usage;
  /** Provider name for per-provider summaries (e.g. a host or model vendor). */
  provider?: string;
  /** Ask for an answer instead of producing a value (see above). */
  wait?: {
    /** What the answer is for, shown to the person (non-empty). */
    prompt: string;
    /** The answer's shape (free JSON, e.g. a JSON Schema), or absent. */
    form?: Record<string, unknown>;
  } & Partial<Omit<ItemWait, 'prompt' | 'form'>>;
}

/** Does the attempt ask to wait for an answer? */
export function isWait(r: ProducerResult): r is ProducerResult & { wait: NonNullable<ProducerResult['wait']> } {
  return typeof r === 'object' && r !== null && r.wait !== undefined && r.wait !== null;
}

/**
 * A producer. `validate` runs when a column is defined (before any template is rendered) and
 * must throw `ValidationError` naming the field; `execute` throws `PermanentError` or
 * `RetryableError` to steer retries (anything else counts as retryable).
 */
export interface Producer {
  readonly name: string;
  /** Checks the (unrendered) config shape. @throws ValidationError */
  validate(config: unknown): void;
  /**
   * Top-level config keys whose strings may carry credential placeholders
   * (`{{credentials.NAME}}`, core/credential-refs.ts): the executor fills them in the inputs it
   * hands `execute` (never in the stored item). A placeholder anywhere else is refused when the
   * column is added. @default none
   */
  readonly credentialFields?: readonly string[];
  /**
   * The producer runs in a dry run too (with `ctx.dryRun` set) and keeps it free of side
   * effects itself; otherwise the engine records what would have run instead. @default false
   */
  readonly ownDryRun?: boolean;
  /** Runs one attempt. */
  execute(ctx: ProducerContext): Promise<ProducerResult>;
  /**
   * A dry run's attempt, for a producer whose work can be shown without side effects (it only
   * reads, e.g. fetches a page): the executor calls it instead of `execute` in a `dry_run` run,
   * and the run's sink writes nothing of what it returns. Absent: a dry run executes nothing and
   * records what would have been executed.
   */
  preview?(ctx: ProducerContext): Promise<ProducerResult>;
}

/** Names of the built-in producers. */
export const BUILTIN_PRODUCERS = ['shell', 'http', 'js', 'input', 'llm', 'flow_step'] as const;
