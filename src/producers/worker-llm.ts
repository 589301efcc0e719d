/**
 * The `worker_llm` producer: one turn of an AI worker's agent loop (issue 14). It sends the
 * conversation the worker kind planned (system, messages) with the tools offered to the worker
 * through the AI SDK's tool calling (`streamText`, one step, tools without `execute`), against
 * any OpenAI-compatible endpoint or Anthropic's Messages API (llm-model.ts), and records what
 * came back: the text, the tool calls as the model sent them (an unknown tool or arguments that
 * are not JSON are kept as they are: the worker's executor refuses them), the finish reason,
 * usage, time to first token and duration. It executes no tool: each tool call becomes an item
 * of its own.
 *
 * Errors are those of the `llm` producer (llm-errors.ts), among them `llm_malformed_response`
 * (permanent): the provider answered something that is not its wire format (bad JSON).
 */
import { jsonSchema, streamText, tool, type ModelMessage, type ToolSet } from 'ai';
import { RetryableError, ValidationError } from '../core/errors.js';
import type { LlmProvider } from '../core/llm-providers.js';
import type { Producer, ProducerContext, ProducerResult } from '../core/producer.js';
import type { EgressGuard } from './egress.js';
import { classifyLlmError } from './llm-errors.js';
import { apiKeyFrom, callTarget, guardedFetch, languageModelFor, readStream, usageOf, type StreamedCall } from './llm-model.js';

/** The inputs the worker kind plans for an LLM call (kinds/worker/loop.ts). */
interface TurnInputs {
  llm: { provider?: LlmProvider; model: string; base_url: string; api_key_env?: string; temperature?: number; max_output_tokens: number };
  system: string;
  messages: ModelMessage[];
  tools: { name: string; description: string; input_schema: Record<string, unknown> }[];
}

/** Creates the `worker_llm` producer; `egress` checks every provider URL (as `llm` does). */
export function createWorkerLlmProducer(opts: { egress?: EgressGuard } = {}): Producer {
  const fetchFn = guardedFetch(opts.egress);
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
      const target = callTarget(cfg.llm);
      const apiKey = apiKeyFrom(ctx.env, cfg.llm.api_key_env, 'model.api_key_env');
      const tools: ToolSet = {};
      for (const t of cfg.tools) tools[t.name] = tool({ description: t.description, inputSchema: jsonSchema(t.input_schema) });
      const startedAt = Date.now();
      const started = performance.now();
      let call: StreamedCall;
      try {
        const result = streamText({
          model: languageModelFor(cfg.llm, apiKey, { fetch: fetchFn }),
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
        call = await readStream(result.fullStream, target);
      } catch (err) {
        if (ctx.signal.aborted) throw new RetryableError('producer_timeout', `${target} was aborted (timeout, cancel or lost lease)`);
        throw classifyLlmError(err, target);
      }
      const chars = JSON.stringify(cfg.messages).length + cfg.system.length;
      const { estimated, ...usage } = usageOf(call, chars, call.text.length + JSON.stringify(call.toolCalls).length);
      const outputs = {
        parent: (ctx.inputs.parent as string | null | undefined) ?? null,
        step: ctx.inputs.step ?? null,
        model: cfg.llm.model,
        text: call.text,
        tool_calls: call.toolCalls,
        finish_reason: call.finishReason,
        usage: { ...usage, estimated },
        ttft_ms: call.firstTokenAt === undefined ? null : Math.round(call.firstTokenAt - started),
        duration_ms: Math.round(performance.now() - started),
        started_at: startedAt,
        ended_at: Date.now(),
      };
      return { value: call.text, outputs, provider: new URL(cfg.llm.base_url).host, usage: { model: cfg.llm.model, ...usage } };
    },
  };
}
