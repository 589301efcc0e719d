#!/usr/bin/env node
// A local stand-in for an LLM provider, for the ticket-triage worker (examples/workers/README.md).
// It speaks the OpenAI chat-completions wire format, so Runyard talks to it exactly as it would to
// OpenAI, vLLM or Ollama; the "model" behind it is a few keyword rules, not a language model.
//
//   POST /v1/chat/completions   {model, messages, tools?, stream?, stream_options?: {include_usage}}
//     stream: true  → text/event-stream: `chat.completion.chunk` deltas (text pieces, tool_calls
//                     fragments), the finish chunk, a usage chunk when include_usage, `[DONE]`
//     otherwise     → one `chat.completion` JSON object with `usage`
//   GET  /v1/models             → the one model, `triage-rules`
//
// The model: with no tool result in the conversation yet it calls `get_row` on the subject row
// (named in the first user message); after the result it answers a triage comment (priority
// P1/P2/P3 and the owning team from keywords in the ticket's title and body). Tokens are chars/4.
//
// Usage: node examples/workers/provider.mjs [--port 4620]   (--port 0 picks a free port)
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '4620' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected 0…65535, got ${values.port}`);
const MODEL = 'triage-rules';

const PRIORITY = [
  [
    'P1',
    /outage|down\b|all (our )?users|nobody|cannot log in|data loss|missing|security/i,
    'customers are blocked or data is at risk',
    'page the on-call engineer',
  ],
  ['P2', /slow|fail|error|timeout|broken|charged twice/i, 'a feature is degraded', 'reproduce it and reply within one business day'],
  ['P3', /./, 'a question, nothing is broken', 'answer with the how-to'],
];
const TEAMS = [
  ['billing', /invoice|charge|refund|payment|billing/i],
  ['identity', /log in|login|sso|password|2fa/i],
  ['data', /import|export|csv|report|records/i],
  ['platform', /checkout|webhook|dashboard|500|timeout|slow|down/i],
  ['support', /./],
];

/** One turn of the "model": a tool call first, then the triage comment. */
function decide(messages) {
  const result = messages.findLast((m) => m.role === 'tool');
  if (!result) {
    const first = String(messages.find((m) => m.role === 'user')?.content ?? '');
    const [, row_id, table_id] = /Subject: row (\S+) of table ([^\s.]+)/.exec(first) ?? [];
    return { toolCalls: [{ id: 'call_get_row', name: 'get_row', arguments: JSON.stringify(row_id ? { table_id, row_id } : {}) }] };
  }
  let row;
  try {
    row = JSON.parse(result.content).data ?? {};
  } catch {
    return { text: `I could not read the ticket: ${String(result.content)}` };
  }
  const text = `${row.title ?? ''} ${row.body ?? ''}`;
  const [priority, , why, next] = PRIORITY.find(([, re]) => re.test(text));
  const [team] = TEAMS.find(([, re]) => re.test(text));
  return { text: `${priority} · owner: ${team} — ${row.ticket ?? 'ticket'} "${row.title ?? ''}": ${why}. Next step: ${next}.` };
}

function completion(body) {
  const { text = '', toolCalls = [] } = decide(body.messages ?? []);
  const prompt_tokens = Math.ceil(JSON.stringify(body.messages).length / 4);
  const completion_tokens = Math.ceil((text + toolCalls.map((t) => t.arguments).join('')).length / 4);
  const usage = { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
  const tool_calls = toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } }));
  const head = { id: `chatcmpl-${Date.now()}`, created: Math.floor(Date.now() / 1000), model: body.model ?? MODEL };
  return { text, tool_calls, usage, head, finish: tool_calls.length ? 'tool_calls' : 'stop' };
}

function stream(res, c, includeUsage) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (data) => res.write(`data: ${JSON.stringify({ ...c.head, object: 'chat.completion.chunk', ...data })}\n\n`);
  const delta = (d, finish_reason = null) => send({ choices: [{ index: 0, delta: d, finish_reason }] });
  delta({ role: 'assistant', content: '' });
  for (const piece of c.text.match(/.{1,24}/gs) ?? []) delta({ content: piece });
  c.tool_calls.forEach((t, index) => {
    delta({ tool_calls: [{ index, id: t.id, type: 'function', function: { name: t.function.name, arguments: '' } }] });
    for (const piece of t.function.arguments.match(/.{1,16}/gs) ?? []) delta({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  delta({}, c.finish);
  if (includeUsage) send({ choices: [], usage: c.usage });
  res.end('data: [DONE]\n\n');
}

const json = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method === 'GET' && path === '/v1/models') return json(res, 200, { object: 'list', data: [{ id: MODEL, object: 'model', owned_by: 'example' }] });
  if (req.method !== 'POST' || path !== '/v1/chat/completions') return json(res, 404, { error: { message: `no route ${req.method} ${path}` } });
  let body;
  try {
    const parts = [];
    for await (const part of req) parts.push(part);
    body = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch (err) {
    return json(res, 400, { error: { message: `the body is not JSON: ${err.message}`, type: 'invalid_request_error' } });
  }
  const c = completion(body);
  const calls = c.tool_calls.map((t) => `${t.function.name}(${t.function.arguments})`).join(', ');
  console.log(`${body.stream ? 'streamed' : 'answered'} ${calls ? `tool call ${calls}` : `"${c.text}"`}`);
  if (body.stream === true) return stream(res, c, body.stream_options?.include_usage === true);
  const message = { role: 'assistant', content: c.text, ...(c.tool_calls.length ? { tool_calls: c.tool_calls } : {}) };
  return json(res, 200, { ...c.head, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: c.finish }], usage: c.usage });
});

server.listen(port, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}/v1`;
  console.log(`example provider (OpenAI-compatible chat completions, keyword rules, not an LLM) on ${url}, model ${MODEL}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
