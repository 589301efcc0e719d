/**
 * A local OpenAI-compatible provider for tests, examples and the bench: real HTTP on
 * 127.0.0.1, `POST /v1/chat/completions` with and without streaming (SSE chunks, streamed
 * tool-call fragments, the final usage chunk when `stream_options.include_usage` is set). The
 * same server speaks Anthropic's Messages API at `POST /v1/messages` (fake-anthropic.ts), from
 * the same scripts.
 * Replies are scripted per test: a FIFO of replies (`enqueue`) taken first, then `respond`
 * (default: echo the last user message). A reply may instead inject a status (429 with
 * `Retry-After`, 500, a 400 `context_length_exceeded`) or drop the connection before the
 * headers or in the middle of the stream. Token counts are chars/4, rounded up.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { messagesAuthorized, messagesError, messagesJson, messagesRequest, writeMessagesStream, type Planned } from './fake-anthropic.js';

/** A chat request as received (only the fields the tests look at). */
export interface ChatRequest {
  /** `chat`: `/chat/completions`; `messages`: Anthropic's `/messages` (read into this shape by fake-anthropic.ts). */
  api: 'chat' | 'messages';
  model: string;
  messages: { role: string; content: unknown }[];
  stream: boolean;
  include_usage: boolean;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  /** Text of the last `user` message. */
  user: string;
}

/** One scripted reply. Without `status` or `drop` it is a successful completion. */
export interface Reply {
  /** Assistant text (default: `echo: <user>`). Streamed in `chunks` pieces. */
  text?: string;
  toolCalls?: { id?: string; name: string; arguments: string }[];
  /** @default 'tool_calls' with tool calls, else 'stop' */
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  /** Overrides the chars/4 counts. */
  usage?: { prompt_tokens?: number; completion_tokens?: number; cached_tokens?: number };
  /** Answer with this status and `error` body instead (e.g. 429, 500, 400). */
  status?: number;
  error?: { message: string; type?: string; code?: string };
  headers?: Record<string, string>;
  /** `before_headers`: the socket is destroyed at once; `mid_stream`: after the first chunks. */
  drop?: 'before_headers' | 'mid_stream';
  /** Pieces the text is streamed in. @default 3 */
  chunks?: number;
  /** Answer 200 with this body as it is (an event stream when streaming): a provider that breaks the wire format. */
  raw?: string;
  /** Wait before answering, ms. @default 0 */
  delayMs?: number;
  /** Wait between streamed chunks, ms (a slow stream). @default 0 */
  chunkDelayMs?: number;
  /** Anthropic only: an `error` event after the text instead of the rest of the stream. */
  streamError?: { type: string; message: string };
}

export type Responder = (req: ChatRequest, callNo: number) => Reply;

/** A running fake provider. */
export interface FakeLlm {
  /** `http://127.0.0.1:<port>/v1` (the `base_url` to configure). */
  baseUrl: string;
  /** Every request received, in order. */
  requests: ChatRequest[];
  /** Replies served before `respond`, first in first out. */
  enqueue(...replies: Reply[]): void;
  /** Replaces the default responder. */
  respond: Responder;
  close(): Promise<void>;
}

/** Options of {@link startFakeLlm}. */
export interface FakeLlmOptions {
  respond?: Responder;
  /** Prompts longer than this (tokens) get a 400 `context_length_exceeded` (Anthropic: "prompt is too long"). @default Infinity */
  contextWindow?: number;
  /** Required `Authorization: Bearer <apiKey>` (Anthropic: `x-api-key`); 401 otherwise. @default none */
  apiKey?: string;
}

/** chars/4, rounded up: the fake's token count. */
export const tokensOf = (text: string): number => Math.ceil(text.length / 4);

const echo: Responder = (req) => ({ text: `echo: ${req.user}` });

/** Starts the fake provider on an ephemeral port of 127.0.0.1. */
export async function startFakeLlm(opts: FakeLlmOptions = {}): Promise<FakeLlm> {
  const queue: Reply[] = [];
  const fake: FakeLlm = {
    baseUrl: '',
    requests: [],
    enqueue: (...r) => void queue.push(...r),
    respond: opts.respond ?? echo,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const anthropic = req.method === 'POST' && req.url?.endsWith('/messages') === true;
    if (!anthropic && (req.method !== 'POST' || !req.url?.endsWith('/chat/completions'))) return send(res, 404, { error: { message: 'not found' } });
    if (anthropic && opts.apiKey !== undefined && !messagesAuthorized(req.headers, opts.apiKey)) {
      return send(res, 401, messagesError(401, 'invalid x-api-key'));
    }
    if (!anthropic && opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return send(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    const body = JSON.parse(raw) as Record<string, unknown>;
    const chat = anthropic ? messagesRequest(body, req.headers) : chatRequest(body, req.headers);
    const messages = chat.messages;
    fake.requests.push(chat);
    const reply = queue.shift() ?? fake.respond(chat, fake.requests.length);
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.drop === 'before_headers') return void req.socket.destroy();
    const promptSize = tokensOf(messages.map((m) => textOf(m.content)).join('\n'));
    const promptTokens = reply.usage?.prompt_tokens ?? promptSize;
    if (reply.status === undefined && opts.contextWindow !== undefined && promptSize > opts.contextWindow) {
      if (anthropic) return send(res, 400, messagesError(400, `prompt is too long: ${promptSize} tokens > ${opts.contextWindow} maximum`));
      const message = `This model's maximum context length is ${opts.contextWindow} tokens. However, your messages resulted in ${promptSize} tokens.`;
      return send(res, 400, { error: { message, type: 'invalid_request_error', code: 'context_length_exceeded' } });
    }
    if (reply.status !== undefined && anthropic) {
      return send(res, reply.status, messagesError(reply.status, reply.error?.message ?? `injected ${reply.status}`, reply.error?.type), reply.headers);
    }
    if (reply.status !== undefined) {
      return send(res, reply.status, { error: reply.error ?? { message: `injected ${reply.status}`, type: 'server_error' } }, reply.headers);
    }
    if (reply.raw !== undefined) {
      res.writeHead(200, { 'content-type': chat.stream ? 'text/event-stream' : 'application/json' });
      return void res.end(reply.raw);
    }
    const text = reply.text ?? (reply.toolCalls ? '' : `echo: ${chat.user}`);
    const completionTokens = reply.usage?.completion_tokens ?? tokensOf(text + (reply.toolCalls ?? []).map((t) => t.arguments).join(''));
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: reply.usage?.cached_tokens ?? 0 },
    };
    const finish = reply.finishReason ?? (reply.toolCalls?.length ? 'tool_calls' : 'stop');
    if (anthropic) {
      const planned: Planned = {
        id: `msg_${fake.requests.length}`,
        model: chat.model,
        textPieces: split(text, reply.chunks ?? 3),
        toolCalls: (reply.toolCalls ?? []).map((t, i) => ({ ...t, id: t.id ?? `toolu_${i + 1}`, pieces: split(t.arguments, 2) })),
        finish,
        usage: { prompt: promptTokens, completion: completionTokens, cached: reply.usage?.cached_tokens ?? 0 },
      };
      return chat.stream ? writeMessagesStream(res, planned, reply) : send(res, 200, messagesJson(planned), reply.headers);
    }
    const toolCalls = (reply.toolCalls ?? []).map((t, i) => ({
      id: t.id ?? `call_${i + 1}`,
      type: 'function',
      function: { name: t.name, arguments: t.arguments },
    }));
    const head = { id: `chatcmpl-${fake.requests.length}`, created: Math.floor(Date.now() / 1000), model: chat.model };
    if (!chat.stream) {
      const message = { role: 'assistant', content: text, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) };
      return send(res, 200, { ...head, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: finish }], usage }, reply.headers);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers });
    const chunk = (delta: Record<string, unknown>, finish_reason: string | null = null) =>
      res.write(`data: ${JSON.stringify({ ...head, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason }] })}\n\n`);
    chunk({ role: 'assistant', content: '' });
    for (const piece of split(text, reply.chunks ?? 3)) {
      if (reply.chunkDelayMs) await new Promise((r) => setTimeout(r, reply.chunkDelayMs));
      if (res.destroyed) return;
      chunk({ content: piece });
    }
    if (reply.drop === 'mid_stream') {
      await new Promise((r) => setTimeout(r, 5));
      return void res.socket?.destroy();
    }
    toolCalls.forEach((t, index) => {
      chunk({ tool_calls: [{ index, id: t.id, type: 'function', function: { name: t.function.name, arguments: '' } }] });
      for (const piece of split(t.function.arguments, 2)) chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
    });
    chunk({}, finish);
    if (chat.include_usage) res.write(`data: ${JSON.stringify({ ...head, object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}

function chatRequest(body: Record<string, unknown>, headers: ChatRequest['headers']): ChatRequest {
  const messages = (body.messages ?? []) as ChatRequest['messages'];
  const users = messages.filter((m) => m.role === 'user');
  return {
    api: 'chat',
    model: String(body.model),
    messages,
    stream: body.stream === true,
    include_usage: (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true,
    body,
    headers,
    user: textOf(users[users.length - 1]?.content),
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p as { text?: string }).text ?? '').join('');
  return '';
}

function split(text: string, n: number): string[] {
  if (text === '') return [];
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
