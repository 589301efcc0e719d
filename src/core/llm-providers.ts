/**
 * The LLM providers a model config may name (`provider` of the `llm` producer's config and of a
 * worker's `model`); the default is `openai-compatible`. Pure: the SDK side is
 * producers/llm-model.ts.
 */
export const LLM_PROVIDERS = ['openai-compatible', 'anthropic'] as const;

/** `openai-compatible`: chat completions (OpenAI, vLLM, Ollama…); `anthropic`: the Messages API. */
export type LlmProvider = (typeof LLM_PROVIDERS)[number];
