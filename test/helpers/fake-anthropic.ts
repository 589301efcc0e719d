/**
 * The Anthropic side of the local fake provider (fake-llm.ts serves it at `POST /v1/messages`):
 * Anthropic's Messages API wire format, as `@ai-sdk/anthropic` sends and reads it. Requests
 * carry `x-api-key` and `anthropic-version`; a streamed answer is the event stream
 * `message_start` (usage.input_tokens) → `content_block_start` (text, or tool_use with id and
 * name) → `content_block_delta` (`text_delta` / `input_json_delta`) → `content_block_stop` →
 * `message_delta` (stop_reason, usage.output_tokens) → `message_stop`; without `stream` it is
 * one JSON message; errors are `{type: 'error', error: {type, message}}`. The scripts are the
 * OpenAI side's (`Reply`): `stop`/`length`/`tool_calls` become `end_turn`/`max_tokens`/`tool_use`,
 * and `usage.prompt_tokens` counts the cached tokens as OpenAI does (sent as `input_tokens` =
 * prompt − cached plus `cache_read_input_tokens` = cached).
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { ChatRequest, Reply } from './fake-llm.js';

type Json = Record<string, unknown>;

/** A content block of a Messages API message (the kinds the SDK sends). */
interface Block {
  type: string;
  text?: string;
  content?: unknown;
  input?: unknown;
}

/** What fake-llm.ts decided to answer, in pieces ready to stream. */
export interface Planned {
  id: string;
  model: string;
  textPieces: string[];
  toolCalls: { id: string; name: string; arguments: string; pieces: string[] }[];
  finish: NonNullable<Reply['finishReason']>;
  usage: { prompt: number; completion: number; cached: number };
}

const STOP: Record<Planned['finish'], string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', content_filter: 'refusal' };

/** Anthropic's error type for a status. */
const ERROR_TYPE: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** Anthropic's error body; the type from `type` or the status. */
export function messagesError(status: number, message: string, type?: string): Json {
  return { type: 'error', error: { type: type ?? ERROR_TYPE[status] ?? 'api_error', message } };
}

/** Whether a Messages API request carries the key (`x-api-key`). */
export function messagesAuthorized(headers: IncomingHttpHeaders, apiKey: string): boolean {
  return headers['x-api-key'] === apiKey;
}

/** The text a block list reads as (tool results by their content, tool uses by their input). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Block[])
    .map((b) => (b.type === 'tool_result' ? textOf(b.content) : b.type === 'tool_use' ? JSON.stringify(b.input) : (b.text ?? '')))
    .join('');
}

/**
 * A Messages API request as the scripts see it: the `system` blocks first as a `system` message,
 * a user turn of tool results as role `tool` (as on the OpenAI side), contents flattened to text.
 */
export function messagesRequest(body: Json, headers: IncomingHttpHeaders): ChatRequest {
  const turns = (body.messages ?? []) as { role: string; content: unknown }[];
  const messages = turns.map((m) => ({
    role: Array.isArray(m.content) && (m.content as Block[]).some((b) => b.type === 'tool_result') ? 'tool' : m.role,
    content: textOf(m.content),
  }));
  if (body.system !== undefined) messages.unshift({ role: 'system', content: textOf(body.system) });
  const users = messages.filter((m) => m.role === 'user');
  return {
    api: 'messages',
    model: String(body.model),
    messages,
    stream: body.stream === true,
    include_usage: true,
    body,
    headers,
    user: users[users.length - 1]?.content ?? '',
  };
}

function usageOf(p: Planned, output: number): Json {
  return {
    input_tokens: Math.max(0, p.usage.prompt - p.usage.cached),
    cache_read_input_tokens: p.usage.cached,
    cache_creation_input_tokens: 0,
    output_tokens: output,
  };
}

function inputOf(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return {};
  }
}

/** The whole answer as one JSON message (a request without `stream`). */
export function messagesJson(p: Planned): Json {
  const text = p.textPieces.join('');
  return {
    id: p.id,
    type: 'message',
    role: 'assistant',
    model: p.model,
    content: [
      ...(text === '' ? [] : [{ type: 'text', text }]),
      ...p.toolCalls.map((t) => ({ type: 'tool_use', id: t.id, name: t.name, input: inputOf(t.arguments) })),
    ],
    stop_reason: STOP[p.finish],
    stop_sequence: null,
    usage: usageOf(p, p.usage.completion),
  };
}

/**
 * Streams the answer as Anthropic's event stream; `reply.drop: 'mid_stream'` destroys the socket
 * after the text, `reply.streamError` sends an `error` event there instead of the rest.
 */
export async function writeMessagesStream(res: ServerResponse, p: Planned, reply: Reply): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers });
  const event = (type: string, data: Json) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  const message = { id: p.id, type: 'message', role: 'assistant', model: p.model, content: [], stop_reason: null, stop_sequence: null };
  event('message_start', { message: { ...message, usage: usageOf(p, 1) } });
  event('ping', {});
  let index = 0;
  if (p.textPieces.length > 0) {
    event('content_block_start', { index, content_block: { type: 'text', text: '' } });
    for (const piece of p.textPieces) {
      if (reply.chunkDelayMs) await new Promise((r) => setTimeout(r, reply.chunkDelayMs));
      if (res.destroyed) return;
      event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
    }
    event('content_block_stop', { index });
    index += 1;
  }
  if (reply.drop === 'mid_stream') {
    await new Promise((r) => setTimeout(r, 5));
    return void res.socket?.destroy();
  }
  if (reply.streamError) {
    event('error', { error: reply.streamError });
    return void res.end();
  }
  for (const t of p.toolCalls) {
    event('content_block_start', { index, content_block: { type: 'tool_use', id: t.id, name: t.name, input: {} } });
    for (const piece of t.pieces) event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
    event('content_block_stop', { index });
    index += 1;
  }
  event('message_delta', { delta: { stop_reason: STOP[p.finish], stop_sequence: null }, usage: { output_tokens: p.usage.completion } });
  event('message_stop', {});
  res.end();
}
