/**
 * The `worker_llm` producer: one turn of an AI worker's agent loop (issue 14). It sends the
 * conversation the worker kind planned (system, messages) with the tools offered to the worker
 * through the AI SDK's tool calling (`streamText`, one step, tools without `execute`), against
 * any OpenAI-compatible endpoint, and records what came back: the text, the tool calls as the
 * model sent them (an unknown tool or arguments that are not JSON are kept as they are: the
 * worker's executor refuses them), the finish reason, usage, time to first token and duration.
 * It executes no tool: each tool call becomes an item of its own.
 *
 * Errors are those of the `llm` producer (llm-errors.ts), plus `llm_malformed_response`
 * (permanent): the provider answered something that is not the wire format (bad JSON).
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { jsonSchema, JSONParseError, streamText, tool, TypeValidationError, type ModelMessage, type ToolSet } from 'ai';
import { PermanentError, RetryableError, ValidationError } from '../core/errors.js';
import type { Producer, ProducerContext, ProducerResult } from '../core/producer.js';
import type { EgressGuard } from './egress.js';
import { classifyLlmError } from './llm-errors.js';

/** The inputs the worker kind plans for an LLM call (kinds/worker/loop.ts). */
interface TurnInputs {
  llm: { model: string; base_url: string; api_key_env?: string; temperature?: number; max_output_tokens: number };
  system: string;
  messages: ModelMessage[];
  tools: { name: string; description: string; input_schema: Record<string, unknown> }[];
}

/** Creates the `worker_llm` producer; `egress` checks every provider URL (as `llm` does). */
export function createWorkerLlmProducer(opts: { egress?: EgressGuard } = {}): Producer {
  const guardedFetch: typeof fetch | undefined = opts.egress
    ? async (input, init) => {
        await opts.egress?.check(new URL(input instanceof Request ? input.url : String(input)));
        return fetch(input, { ...init, redirect: 'error' });
      }
    : undefined;
  return {
    name: 'worker_llm',
    // The model is called in a dry run too: it decides which tools it would call.
    ownDryRun: true,
    validate(config: unknown): void {
      const c = config as Partial<TurnInputs> | null;
      if (!c?.llm || typeof c.llm.model !== 'string' || typeof c.llm.base_url !== 'string') {
        throw new ValidationError('config.llm: a worker LLM call needs {model, base_url}', { field: 'config.llm' });
      }
      if (!Array.isArray(c.messages)) throw new ValidationError('config.messages: expected a list of messages', { field: 'config.messages' });
    },
    async execute(ctx: ProducerContext): Promise<ProducerResult> {
      const cfg = ctx.inputs as unknown as TurnInputs;
      const url = new URL(cfg.llm.base_url);
      const target = `POST ${url.host}${url.pathname.replace(/\/$/, '')}/chat/completions model ${cfg.llm.model}`;
      let apiKey: string | undefined;
      if (cfg.llm.api_key_env !== undefined) {
        apiKey = ctx.env[cfg.llm.api_key_env];
        if (!apiKey) {
          throw new PermanentError(
            'llm_api_key_missing',
            `model.api_key_env: the run has no ${cfg.llm.api_key_env}; pass it as a run secret or name a saved credential`,
            {
              field: 'model.api_key_env',
            },
          );
        }
      }
      const provider = createOpenAICompatible({
        name: 'runyard',
        baseURL: cfg.llm.base_url.replace(/\/$/, ''),
        includeUsage: true,
        ...(apiKey === undefined ? {} : { apiKey }),
        ...(guardedFetch ? { fetch: guardedFetch } : {}),
      });
      const tools: ToolSet = {};
      for (const t of cfg.tools) tools[t.name] = tool({ description: t.description, inputSchema: jsonSchema(t.input_schema) });
      const startedAt = Date.now();
      const started = performance.now();
      let firstToken: number | undefined;
      let text = '';
      const calls: { id: string; name: string; input: unknown }[] = [];
      let finish: { reason: string; input?: number | undefined; output?: number | undefined; cached?: number | undefined } | undefined;
      try {
        const result = streamText({
          model: provider.chatModel(cfg.llm.model),
          system: cfg.system,
          messages: cfg.messages,
          ...(cfg.tools.length > 0 ? { tools } : {}),
          ...(cfg.llm.temperature === undefined ? {} : { temperature: cfg.llm.temperature }),
          maxOutputTokens: cfg.llm.max_output_tokens,
          maxRetries: 0,
          abortSignal: ctx.signal,
          headers: { 'idempotency-key': ctx.idempotencyKey },
          onError: () => undefined,
        });
        for await (const part of result.fullStream) {
          switch (part.type) {
            case 'text-delta':
              firstToken ??= performance.now();
              text += part.text;
              break;
            case 'tool-input-start':
            case 'reasoning-delta':
              firstToken ??= performance.now();
              break;
            case 'tool-call':
              calls.push({ id: part.toolCallId, name: part.toolName, input: part.input });
              break;
            case 'finish':
              finish = {
                reason: part.rawFinishReason ?? part.finishReason,
                input: part.totalUsage.inputTokens,
                output: part.totalUsage.outputTokens,
                cached: part.totalUsage.inputTokenDetails.cacheReadTokens,
              };
              break;
            case 'error':
              throw part.error;
            case 'abort':
              throw new PermanentError('aborted', `the attempt was aborted during ${target}`);
            default:
              break;
          }
        }
      } catch (err) {
        if (ctx.signal.aborted) throw new RetryableError('producer_timeout', `${target} was aborted (timeout, cancel or lost lease)`);
        if (JSONParseError.isInstance(err) || TypeValidationError.isInstance(err)) {
          throw new PermanentError(
            'llm_malformed_response',
            `${target}: the provider's answer is not the OpenAI wire format: ${String((err as Error).message).slice(0, 300)}`,
          );
        }
        throw classifyLlmError(err, target);
      }
      if (!finish) throw new RetryableError('llm_network', `${target}: the stream ended without a finish`);
      const chars = JSON.stringify(cfg.messages).length + cfg.system.length;
      const usage = {
        input_tokens: finish.input ?? Math.ceil(chars / 4),
        output_tokens: finish.output ?? Math.ceil((text.length + JSON.stringify(calls).length) / 4),
        cached_input_tokens: finish.cached ?? 0,
      };
      const outputs = {
        parent: (ctx.inputs.parent as string | null | undefined) ?? null,
        step: ctx.inputs.step ?? null,
        model: cfg.llm.model,
        text,
        tool_calls: calls,
        finish_reason: finish.reason,
        usage: { ...usage, estimated: finish.input === undefined || finish.output === undefined },
        ttft_ms: firstToken === undefined ? null : Math.round(firstToken - started),
        duration_ms: Math.round(performance.now() - started),
        started_at: startedAt,
        ended_at: Date.now(),
      };
      return { value: text, outputs, provider: url.host, usage: { model: cfg.llm.model, ...usage } };
    },
  };
}
