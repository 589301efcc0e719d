/**
 * The `llm` producer: one chat completion per item through the AI SDK (`ai` 6,
 * `@ai-sdk/openai-compatible` 2 or `@ai-sdk/anthropic` 3, see llm-model.ts), streamed so the
 * time to first token is measured. Any OpenAI-compatible endpoint works (OpenAI, vLLM, Ollama,
 * LM Studio, the test fake), and Anthropic's Messages API with `provider: anthropic`. The key
 * never sits in the definition: `api_key_env` names a variable of the run's env, filled from
 * a per-run secret (`overrides.secrets`) or a saved credential (`credentials`).
 */
import { jsonSchema, Output, streamText } from 'ai';
import { Ajv, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import { LLM_DEFAULT_MAX_OUTPUT_TOKENS } from '../core/credits.js';
import { ENV_NAME } from '../core/env-policy.js';
import { LLM_PROVIDERS as PROVIDERS } from '../core/llm-providers.js';
import { PermanentError, RetryableError, ValidationError } from '../core/errors.js';
import type { Producer, ProducerContext, ProducerResult } from '../core/producer.js';
import { asText, credentialEnvMap, head, parseConfig, positiveInt } from './config.js';
import type { EgressGuard } from './egress.js';
import { classifyLlmError } from './llm-errors.js';
import { apiKeyFrom, callTarget, guardedFetch, languageModelFor, readStream, usageOf, type StreamedCall } from './llm-model.js';

const TEMPLATE = /\{\{/;

const schema = (rendered: boolean) =>
  z.strictObject({
    provider: z.enum(PROVIDERS, { error: `expected one of ${PROVIDERS.join(', ')}` }).default('openai-compatible'),
    model: z
      .string({ error: 'expected a model name' })
      .min(1, { error: 'expected a model name' })
      .max(200, { error: 'at most 200 characters' })
      .refine((m) => !TEMPLATE.test(m), { error: 'must be a fixed model name, not a template (the run is priced by it)' }),
    base_url: z
      .string({ error: 'expected an http: or https: URL' })
      .refine((u) => /^https?:\/\//i.test(u) && URL.canParse(u), { error: 'expected an http: or https: URL' }),
    api_key_env: z
      .string({ error: 'expected an env variable name' })
      .regex(ENV_NAME, { error: 'expected an env variable name (letters, digits and _)' })
      .optional(),
    credentials: credentialEnvMap(),
    system: rendered ? z.unknown().optional() : z.string({ error: 'expected a template string' }).optional(),
    user: rendered ? z.unknown() : z.string({ error: 'expected a non-empty template string' }).min(1, { error: 'expected a non-empty template string' }),
    temperature: z
      .number({ error: 'expected a number from 0 to 2' })
      .min(0, { error: 'expected a number from 0 to 2' })
      .max(2, { error: 'expected a number from 0 to 2' })
      .optional(),
    max_output_tokens: positiveInt('tokens'),
    max_input_tokens: positiveInt('tokens'),
    json_schema: z.record(z.string(), z.unknown(), { error: 'expected a JSON Schema object' }).optional(),
    timeout_ms: positiveInt('ms'),
  });

/**
 * Config of the `llm` producer (before rendering).
 * - `model` (required, fixed): the provider's model id; prices are `tokens:<model>:input|output`.
 * - `base_url` (required): the API prefix, e.g. `https://api.openai.com/v1` or
 *   `https://api.anthropic.com/v1`.
 * - `provider`: `openai-compatible` (default) or `anthropic` (the Messages API).
 * - `api_key_env`: the run env variable holding the key (a run secret or, with
 *   `credentials: { VAR: "name" }`, a saved credential); unset: no key is sent.
 * - `system`, `user` (required): templates over the row's fields.
 * - `temperature` (0–2), `max_output_tokens` (default 1024), `max_input_tokens` (reservation
 *   bound only, default 8192), `timeout_ms` (default: the item's budget).
 * - `json_schema`: ask for JSON matching this schema; the item's value is the parsed object.
 */
export type LlmConfig = z.input<ReturnType<typeof schema>>;

/** Options of {@link createLlmProducer}. */
export interface LlmProducerOptions {
  /** Checks every provider URL before a request (as the `http` producer does). @default none */
  egress?: EgressGuard;
}

/** What one call records on the item (`item.outputs`); times in ms. */
export interface LlmCallRecord {
  value: unknown;
  text: string;
  model: string;
  response_model: string | null;
  finish_reason: string;
  usage: { input_tokens: number; output_tokens: number; cached_input_tokens: number; estimated: boolean };
  /** From the request to the first streamed token (text, reasoning or tool input); null when none came. */
  ttft_ms: number | null;
  duration_ms: number;
}

/**
 * Creates the `llm` producer. `validate` throws `ValidationError` naming the field (also a
 * `json_schema` that is not a valid JSON Schema). `execute` resolves with `value` (the text, or
 * the parsed object with `json_schema`), `outputs` ({@link LlmCallRecord}), `provider` (the
 * base URL's host) and `usage` `{model, input_tokens, output_tokens, cached_input_tokens}`; it
 * rejects with the codes of llm-errors.ts.
 */
export function createLlmProducer(opts: LlmProducerOptions = {}): Producer {
  const validators = new Map<string, ValidateFunction>();
  const ajv = new Ajv({ strict: false, allErrors: false });
  const validatorFor = (s: Record<string, unknown>): ValidateFunction => {
    const key = JSON.stringify(s);
    let fn = validators.get(key);
    if (!fn) {
      fn = ajv.compile(s);
      if (validators.size > 1000) validators.clear();
      validators.set(key, fn);
    }
    return fn;
  };
  const fetchFn = guardedFetch(opts.egress);
  return {
    name: 'llm',
    validate(config: unknown): void {
      const cfg = parseConfig(schema(false), config);
      if (cfg.json_schema !== undefined) {
        try {
          validatorFor(cfg.json_schema);
        } catch (err) {
          throw new ValidationError(`config.json_schema: not a valid JSON Schema: ${head((err as Error).message, 200)}`, { field: 'config.json_schema' });
        }
      }
    },
    async execute(ctx: ProducerContext): Promise<ProducerResult> {
      const cfg = parseConfig(schema(true), ctx.inputs);
      const target = callTarget(cfg);
      const apiKey = apiKeyFrom(ctx.env, cfg.api_key_env, 'config.api_key_env');
      const model = languageModelFor(cfg, apiKey, { fetch: fetchFn, structuredOutputs: cfg.json_schema !== undefined });
      const maxOutputTokens = cfg.max_output_tokens ?? LLM_DEFAULT_MAX_OUTPUT_TOKENS;
      const timeoutMs = cfg.timeout_ms ?? ctx.timeoutMs;
      const ctl = new AbortController();
      let why: 'timeout' | 'aborted' | undefined;
      const onAbort = (): void => {
        why ??= 'aborted';
        ctl.abort();
      };
      if (ctx.signal.aborted) throw new PermanentError('aborted', 'the attempt was aborted before the request was sent');
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => {
        why ??= 'timeout';
        ctl.abort();
      }, timeoutMs);
      const started = performance.now();
      let call: StreamedCall;
      try {
        const result = streamText({
          model,
          ...(cfg.system === undefined ? {} : { system: asText(cfg.system) }),
          prompt: asText(cfg.user),
          ...(cfg.temperature === undefined ? {} : { temperature: cfg.temperature }),
          maxOutputTokens,
          maxRetries: 0,
          abortSignal: ctl.signal,
          headers: { 'idempotency-key': ctx.idempotencyKey },
          ...(cfg.json_schema === undefined ? {} : { output: Output.object({ schema: jsonSchema(cfg.json_schema) }) }),
          onError: () => undefined,
        });
        call = await readStream(result.fullStream, target);
      } catch (err) {
        if (why === 'timeout') throw new RetryableError('producer_timeout', `${target} timed out after ${timeoutMs} ms`);
        if (why === 'aborted') throw new PermanentError('aborted', `the attempt was aborted during ${target}`);
        throw classifyLlmError(err, target);
      } finally {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
      }
      const duration_ms = Math.round(performance.now() - started);
      const { estimated, ...usage } = usageOf(call, asText(cfg.system).length + asText(cfg.user).length, call.text.length);
      const value =
        cfg.json_schema === undefined ? call.text : parseOutput(call.text, call.finishReason, call.unifiedFinishReason, validatorFor(cfg.json_schema), target);
      const record: LlmCallRecord = {
        value,
        text: call.text,
        model: cfg.model,
        response_model: call.responseModel,
        finish_reason: call.finishReason,
        usage: { ...usage, estimated },
        ttft_ms: call.firstTokenAt === undefined ? null : Math.round(call.firstTokenAt - started),
        duration_ms,
      };
      return { value, outputs: { ...record }, provider: new URL(cfg.base_url).host, usage: { model: cfg.model, ...usage } };
    },
  };
}

/**
 * The parsed JSON of a schema output. @throws PermanentError `llm_output_truncated` (the model
 * hit its token cap mid-JSON), `llm_invalid_json`, `llm_schema_mismatch` (naming the first
 * failing path), `llm_no_output` (empty text)
 */
function parseOutput(text: string, finishReason: string, unified: string, validate: ValidateFunction, target: string): unknown {
  const trimmed = stripFence(text.trim());
  if (trimmed === '') throw new PermanentError('llm_no_output', `${target}: the model returned no text (finish reason ${finishReason})`);
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    if (unified === 'length') {
      throw new PermanentError('llm_output_truncated', `${target}: the JSON output was cut at max_output_tokens: ${head(trimmed, 200)}`, {
        field: 'config.max_output_tokens',
      });
    }
    throw new PermanentError('llm_invalid_json', `${target}: the output is not valid JSON (${(err as Error).message}): ${head(trimmed, 200)}`);
  }
  if (!validate(value)) {
    const e = validate.errors?.[0];
    const path = e?.instancePath || '/';
    throw new PermanentError('llm_schema_mismatch', `${target}: the JSON output does not match config.json_schema at ${path}: ${e?.message ?? 'invalid'}`, {
      path,
      output: head(trimmed, 500),
    });
  }
  return value;
}

/** Models often wrap JSON in a Markdown fence; the fence is not part of the value. */
function stripFence(s: string): string {
  const m = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/i.exec(s);
  return m?.[1] ?? s;
}
