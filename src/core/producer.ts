/**
 * The producer port: the code that executes one item (DESIGN.md §1). Built-in producers live in
 * `src/producers/`; custom ones implement the same interface.
 */

/** Usage a producer reports for one attempt; the ledger prices it later. */
export interface Usage {
  /** LLM tokens in, by model. */
  input_tokens?: number;
  output_tokens?: number;
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
}

/** A successful attempt. */
export interface ProducerResult {
  /** The value that lands in the cell (for column runs). */
  value: unknown;
  /** The full payload kept on the item (`item.outputs`); defaults to `{ value }`. */
  outputs?: Record<string, unknown>;
  usage?: Usage;
  /** Provider name for per-provider summaries (e.g. a host or model vendor). */
  provider?: string;
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
  /** Runs one attempt. */
  execute(ctx: ProducerContext): Promise<ProducerResult>;
}

/** Names of the built-in producers. `llm` and `input` come with later issues. */
export const BUILTIN_PRODUCERS = ['shell', 'http', 'js'] as const;
