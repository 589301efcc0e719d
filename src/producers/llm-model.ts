/**
 * What the `llm` and `worker_llm` producers share (issue 14): the AI SDK language model for a
 * provider config (`openai-compatible` through `@ai-sdk/openai-compatible`, `anthropic` through
 * `@ai-sdk/anthropic`'s Messages API), the egress-guarded fetch, the key from the run's env, the
 * name of a call in messages, and one streamed call read to its end (text, tool calls, finish,
 * usage, time to first token).
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel, TextStreamPart, ToolSet } from 'ai';
import { PermanentError, RetryableError } from '../core/errors.js';
import type { LlmProvider } from '../core/llm-providers.js';
import type { EgressGuard } from './egress.js';

/** The part of a model config that picks the endpoint. */
export interface ModelEndpoint {
  /** @default 'openai-compatible' */
  provider?: LlmProvider | undefined;
  /** The provider's model id (runs are priced by it). */
  model: string;
  /** The API prefix, e.g. `https://api.openai.com/v1` or `https://api.anthropic.com/v1`. */
  base_url: string;
}

/** Options of {@link languageModelFor}. */
export interface ModelOptions {
  /** Used for every request instead of the global `fetch` (e.g. {@link guardedFetch}). */
  fetch?: typeof fetch | undefined;
  /** OpenAI-compatible only: ask for `response_format: json_schema` (Anthropic picks its own way). */
  structuredOutputs?: boolean;
}

/**
 * The AI SDK model for `cfg`: OpenAI-compatible chat completions (`<base_url>/chat/completions`,
 * `Authorization: Bearer <key>` when a key is given, the final usage chunk asked for) or
 * Anthropic's Messages API (`<base_url>/messages`, `x-api-key`, `anthropic-version: 2023-06-01`).
 * The key comes only from the caller (a run secret or credential): without one, Anthropic gets an
 * empty `x-api-key` rather than the SDK reading `ANTHROPIC_API_KEY` from the server's own env.
 */
export function languageModelFor(cfg: ModelEndpoint, apiKey: string | undefined, opts: ModelOptions = {}): LanguageModel {
  const baseURL = cfg.base_url.replace(/\/$/, '');
  const fetchOption = opts.fetch ? { fetch: opts.fetch } : {};
  if (cfg.provider === 'anthropic') return createAnthropic({ baseURL, apiKey: apiKey ?? '', ...fetchOption }).languageModel(cfg.model);
  return createOpenAICompatible({
    name: 'runyard',
    baseURL,
    includeUsage: true,
    supportsStructuredOutputs: opts.structuredOutputs ?? false,
    ...(apiKey === undefined ? {} : { apiKey }),
    ...fetchOption,
  }).chatModel(cfg.model);
}

/** How a call is named in messages: `POST <host><path>/messages model <m>` (or `/chat/completions`). */
export function callTarget(cfg: ModelEndpoint): string {
  const url = new URL(cfg.base_url);
  const route = cfg.provider === 'anthropic' ? 'messages' : 'chat/completions';
  return `POST ${url.host}${url.pathname.replace(/\/$/, '')}/${route} model ${cfg.model}`;
}

/** A `fetch` that asks `egress` about every provider URL first and follows no redirect; none without a guard. */
export function guardedFetch(egress: EgressGuard | undefined): typeof fetch | undefined {
  if (!egress) return undefined;
  return async (input, init) => {
    await egress.check(new URL(input instanceof Request ? input.url : String(input)));
    return fetch(input, { ...init, redirect: 'error' });
  };
}

/**
 * The key from the run's env variable `name` (a run secret or a saved credential); undefined
 * when no variable is named. @throws PermanentError `llm_api_key_missing` naming `field`
 * (e.g. `config.api_key_env`) when the run lacks it.
 */
export function apiKeyFrom(env: Record<string, string>, name: string | undefined, field: string): string | undefined {
  if (name === undefined) return undefined;
  const key = env[name];
  if (key === undefined || key === '') {
    const prefix = field.replace(/\.api_key_env$/, '');
    throw new PermanentError(
      'llm_api_key_missing',
      `${field}: the run has no ${name}; pass it as a run secret (overrides.secrets.${name}) or name a saved credential in ${prefix}.credentials`,
      { field },
    );
  }
  return key;
}

/** One streamed call, read to its end. */
export interface StreamedCall {
  text: string;
  /** Tool calls as the model sent them (an unknown tool or bad arguments are kept as they are). */
  toolCalls: { id: string; name: string; input: unknown }[];
  /** The provider's own word (`stop`, `tool_calls`, `end_turn`, `tool_use`…), else the SDK's. */
  finishReason: string;
  /** The SDK's word, the same for every provider (`stop`, `length`, `tool-calls`, …). */
  unifiedFinishReason: string;
  /** The model id the provider answered with. */
  responseModel: string | null;
  /** Reported tokens; `input` includes the cached ones (Anthropic: input + cache read + cache write). */
  usage: { input: number | undefined; output: number | undefined; cached: number | undefined };
  /** `performance.now()` of the first streamed token (text, reasoning or tool input). */
  firstTokenAt: number | undefined;
}

/**
 * Reads a `streamText` full stream to its end. @throws the stream's error as it is (classify it
 * with llm-errors.ts), PermanentError `aborted` on an abort, RetryableError `llm_network` when the
 * stream ends without a finish (`target` names the call).
 */
export async function readStream<T extends ToolSet>(stream: AsyncIterable<TextStreamPart<T>>, target: string): Promise<StreamedCall> {
  let text = '';
  let firstTokenAt: number | undefined;
  let responseModel: string | null = null;
  const toolCalls: StreamedCall['toolCalls'] = [];
  let finish: Pick<StreamedCall, 'finishReason' | 'unifiedFinishReason' | 'usage'> | undefined;
  for await (const part of stream) {
    switch (part.type) {
      case 'text-delta':
        firstTokenAt ??= performance.now();
        text += part.text;
        break;
      case 'reasoning-delta':
      case 'tool-input-start':
      case 'tool-input-delta':
        firstTokenAt ??= performance.now();
        break;
      case 'tool-call':
        toolCalls.push({ id: part.toolCallId, name: part.toolName, input: part.input });
        break;
      case 'finish-step':
        responseModel = part.response.modelId ?? null;
        break;
      case 'finish': {
        const u = part.totalUsage;
        finish = {
          finishReason: part.rawFinishReason ?? part.finishReason,
          unifiedFinishReason: part.finishReason,
          usage: { input: u.inputTokens, output: u.outputTokens, cached: u.inputTokenDetails.cacheReadTokens },
        };
        break;
      }
      case 'error':
        throw part.error;
      case 'abort':
        throw new PermanentError('aborted', `the attempt was aborted during ${target}`);
      default:
        break;
    }
  }
  if (!finish) throw new RetryableError('llm_network', `${target}: the stream ended without a finish`);
  return { text, toolCalls, responseModel, firstTokenAt, ...finish };
}

/**
 * The usage to record and charge: the reported counts, or chars ÷ 4 for a count the provider
 * did not send (`estimated: true`).
 */
export function usageOf(
  call: StreamedCall,
  promptChars: number,
  outputChars: number,
): { input_tokens: number; output_tokens: number; cached_input_tokens: number; estimated: boolean } {
  return {
    input_tokens: call.usage.input ?? Math.ceil(promptChars / 4),
    output_tokens: call.usage.output ?? Math.ceil(outputChars / 4),
    cached_input_tokens: call.usage.cached ?? 0,
    estimated: call.usage.input === undefined || call.usage.output === undefined,
  };
}
