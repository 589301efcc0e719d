/**
 * The agent loop of a worker run, as a plan over items (issue 14). Every LLM call, every tool
 * call and the output write is an item, planned by the completion of the one before it (in the
 * completion's transaction: the kind plans with the run's items), so a crash resumes at the item
 * in flight and a succeeded item never runs again:
 *
 *   llm:1 → tool:1:1 → tool:1:2 → llm:2 → … → llm:n (no tool call) → output
 *
 * Each item names its parent in its inputs (`parent`: `llm:n` for a tool call and for the
 * output, `llm:n-1` for an LLM call), so the run reads as a tree. The conversation each LLM
 * call sends is rebuilt from the frozen spec (system, context, prompt) and the outputs of the
 * items before it. Limits end the run `failed` with a precise code: `worker_step_limit`,
 * `worker_tool_call_limit`, `worker_token_limit`, `worker_time_limit`. Pure.
 */
import type { FollowUp, ItemView, PlannedItem } from '../../core/kind.js';
import type { WorkerDefinition } from '../../core/worker.js';
import type { ToolSpec } from '../../core/worker-tools.js';
import { contextText, type ContextSnapshot } from './context.js';

/** The producers of a worker run's items. */
export const WORKER_LLM = 'worker_llm';
export const WORKER_TOOL = 'worker_tool';
export const WORKER_OUTPUT = 'worker_output';

/** The run's subject row. */
export interface SubjectRow {
  table_id: string;
  row_id: string;
}

/** What a worker run freezes in its spec (`spec.config`). */
export interface WorkerRunConfig {
  /** Read by the ledger's cost bound (core/credits.ts): the model and its token caps. */
  model: string;
  max_output_tokens: number;
  max_input_tokens: number;
  /** Env variable → saved credential (run-env.ts opens them). */
  credentials?: Record<string, string>;
  worker: { id: string; version: number; name: string };
  definition: WorkerDefinition;
  subject: SubjectRow;
  prompt: string | null;
  context: ContextSnapshot;
  /** The tools offered (their categories are the worker's allowed ones). */
  tools: ToolSpec[];
}

/** One tool call as an LLM item records it. */
export interface ToolCallRecord {
  id: string;
  name: string;
  /** The arguments as sent: an object, or the raw text when it was not JSON. */
  input: unknown;
}

/** What a `worker_llm` item records (its outputs). */
export interface LlmTurn {
  text: string;
  tool_calls: ToolCallRecord[];
  finish_reason: string;
  usage: { input_tokens: number; output_tokens: number; cached_input_tokens: number };
  started_at: number;
  ended_at: number;
}

type Message = Record<string, unknown>;

const llmKey = (n: number) => `llm:${n}`;
const toolKey = (n: number, i: number) => `tool:${n}:${i}`;

/** `llm:3` → {step 3}; `tool:3:2` → {step 3, call 2}; `output` → null. */
export function parseKey(key: string): { type: 'llm' | 'tool' | 'output'; step: number; call: number } {
  const [type, step, call] = key.split(':');
  return { type: type as 'llm' | 'tool' | 'output', step: Number(step ?? 0), call: Number(call ?? 0) };
}

/** The system prompt: the instructions and what the final answer becomes. */
export function systemOf(cfg: WorkerRunConfig): string {
  const out = cfg.definition.output;
  const lands: Record<string, string> = {
    task_comment: 'Your final answer (plain text, no tool call) becomes a comment on the subject record.',
    record_field: `Your final answer (plain text, no tool call) is written to the field "${out.field ?? ''}" of the subject record.`,
    new_record: 'Your final answer (plain text, no tool call) is saved as a new record.',
    none: 'Finish with a short plain-text answer (no tool call).',
  };
  return `${cfg.definition.instructions}\n\n${lands[out.mode]}`;
}

/** The first message: the subject, the context snapshot and the request. */
export function firstMessage(cfg: WorkerRunConfig): Message {
  const ctx = contextText(cfg.context);
  const text = [
    `Subject: row ${cfg.subject.row_id} of table ${cfg.subject.table_id}.`,
    ctx === '' ? '' : `# Context\n\n${ctx}`,
    `# Request\n\n${cfg.prompt ?? 'Do your task for the subject record.'}`,
  ]
    .filter((s) => s !== '')
    .join('\n\n');
  return { role: 'user', content: text };
}

function llmItem(cfg: WorkerRunConfig, n: number, messages: Message[]): PlannedItem {
  const m = cfg.definition.model;
  return {
    key: llmKey(n),
    producer: WORKER_LLM,
    inputs: {
      parent: n > 1 ? llmKey(n - 1) : null,
      step: n,
      llm: {
        provider: m.provider,
        model: m.model,
        base_url: m.base_url,
        ...(m.api_key_env === undefined ? {} : { api_key_env: m.api_key_env }),
        ...(m.temperature === undefined ? {} : { temperature: m.temperature }),
        max_output_tokens: m.max_output_tokens,
      },
      system: systemOf(cfg),
      messages,
      tools: cfg.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.input_schema })),
    },
  };
}

/** The first item of a run. */
export function firstItems(cfg: WorkerRunConfig): PlannedItem[] {
  return [llmItem(cfg, 1, [firstMessage(cfg)])];
}

function toolItem(cfg: WorkerRunConfig, n: number, i: number, call: ToolCallRecord, ws: string): PlannedItem {
  return {
    key: toolKey(n, i),
    producer: WORKER_TOOL,
    inputs: {
      parent: llmKey(n),
      workspace_id: ws,
      tool_call_id: call.id,
      tool: call.name,
      input: call.input as never,
      allowed: cfg.definition.tool_categories,
      subject: cfg.subject,
      worker_id: cfg.worker.id,
      ...(cfg.definition.http_hosts ? { http_hosts: cfg.definition.http_hosts } : {}),
    },
  };
}

/** What a tool item tells the model: its result, or an error (a refusal, a failure). */
function toolResult(view: ItemView | undefined): { type: 'json'; value: unknown } | { type: 'error-text'; value: string } {
  if (!view) return { type: 'error-text', value: 'the tool call was not executed' };
  if (view.status === 'failed') return { type: 'error-text', value: `${view.error?.code ?? 'failed'}: ${view.error?.message ?? ''}` };
  const o = view.outputs ?? {};
  if (o.decision !== 'allowed') return { type: 'error-text', value: `${String(o.decision)}: ${String(o.reason ?? '')}` };
  if (o.error) return { type: 'error-text', value: JSON.stringify(o.error) };
  return { type: 'json', value: (o.result ?? null) as never };
}

/** The conversation after step `upTo`: the first message, then each step's turn and tool results. */
export function conversation(cfg: WorkerRunConfig, items: readonly ItemView[], upTo: number): Message[] {
  const byKey = new Map(items.map((i) => [i.key, i]));
  const messages: Message[] = [firstMessage(cfg)];
  for (let n = 1; n <= upTo; n++) {
    const turn = byKey.get(llmKey(n))?.outputs as unknown as LlmTurn | undefined;
    if (!turn) break;
    const content: Message[] = [];
    if (turn.text) content.push({ type: 'text', text: turn.text });
    for (const c of turn.tool_calls) content.push({ type: 'tool-call', toolCallId: c.id, toolName: c.name, input: c.input });
    messages.push({ role: 'assistant', content });
    if (turn.tool_calls.length === 0) continue;
    messages.push({
      role: 'tool',
      content: turn.tool_calls.map((c, i) => ({ type: 'tool-result', toolCallId: c.id, toolName: c.name, output: toolResult(byKey.get(toolKey(n, i + 1))) })),
    });
  }
  return messages;
}

/** Totals over the run's items so far. */
export function totals(items: readonly ItemView[]): {
  steps: number;
  tool_calls: number;
  input_tokens: number;
  output_tokens: number;
  first_started: number | null;
  last_ended: number | null;
} {
  const t = { steps: 0, tool_calls: 0, input_tokens: 0, output_tokens: 0, first_started: null as number | null, last_ended: null as number | null };
  for (const it of items) {
    const k = parseKey(it.key);
    if (k.type === 'tool') t.tool_calls += 1;
    if (k.type !== 'llm') continue;
    t.steps += 1;
    const turn = it.outputs as unknown as Partial<LlmTurn> | null;
    if (!turn?.usage) continue;
    t.input_tokens += turn.usage.input_tokens;
    t.output_tokens += turn.usage.output_tokens;
    if (typeof turn.started_at === 'number') t.first_started = Math.min(t.first_started ?? turn.started_at, turn.started_at);
    if (typeof turn.ended_at === 'number') t.last_ended = Math.max(t.last_ended ?? 0, turn.ended_at);
  }
  return t;
}

function failRun(code: string, message: string, itemId?: string): FollowUp {
  return { append: [], result: { error: { code, message, item_id: itemId ?? null } } };
}

/** After LLM call `n` succeeded: its tool calls, or the output, or a limit. */
export function afterLlm(cfg: WorkerRunConfig, ws: string, n: number, view: ItemView, items: readonly ItemView[]): FollowUp {
  const turn = view.outputs as unknown as LlmTurn;
  const lim = cfg.definition.limits;
  const t = totals(items);
  if (t.input_tokens + t.output_tokens > lim.max_tokens) {
    return failRun(
      'worker_token_limit',
      `the run used ${t.input_tokens + t.output_tokens} tokens, over its limit of ${lim.max_tokens} (limits.max_tokens)`,
      view.id,
    );
  }
  if (t.first_started !== null && t.last_ended !== null && t.last_ended - t.first_started > lim.timeout_s * 1000) {
    return failRun('worker_time_limit', `the run took longer than its limit of ${lim.timeout_s} s (limits.timeout_s)`, view.id);
  }
  if (turn.tool_calls.length > 0) {
    if (t.tool_calls + turn.tool_calls.length > lim.max_tool_calls) {
      return failRun(
        'worker_tool_call_limit',
        `the model asked for ${t.tool_calls + turn.tool_calls.length} tool calls, over the limit of ${lim.max_tool_calls} (limits.max_tool_calls)`,
        view.id,
      );
    }
    if (n >= lim.max_steps) {
      return failRun('worker_step_limit', `the model still called tools after ${n} LLM calls, the limit (limits.max_steps)`, view.id);
    }
    return { append: [toolItem(cfg, n, 1, turn.tool_calls[0]!, ws)] };
  }
  if (cfg.definition.output.mode === 'none') return { append: [], result: { summary: preview(turn.text) } };
  if (turn.text.trim() === '') return failRun('worker_no_output', `LLM call ${n} ended (${turn.finish_reason}) without text or a tool call`, view.id);
  const out = cfg.definition.output;
  return {
    append: [
      {
        key: 'output',
        producer: WORKER_OUTPUT,
        inputs: {
          parent: llmKey(n),
          workspace_id: ws,
          worker_id: cfg.worker.id,
          subject: cfg.subject,
          mode: out.mode,
          slot: out.slot,
          policy: out.policy,
          ...(out.field === undefined ? {} : { field: out.field }),
          ...(out.table_id === undefined ? {} : { table_id: out.table_id }),
          text: turn.text,
        },
      },
    ],
  };
}

/** After tool call `i` of step `n` settled: the next call of that step, or the next LLM call. */
export function afterTool(cfg: WorkerRunConfig, ws: string, n: number, i: number, items: readonly ItemView[]): FollowUp {
  const turn = items.find((it) => it.key === llmKey(n))?.outputs as unknown as LlmTurn | undefined;
  const calls = turn?.tool_calls ?? [];
  if (i < calls.length) return { append: [toolItem(cfg, n, i + 1, calls[i]!, ws)] };
  return { append: [llmItem(cfg, n + 1, conversation(cfg, items, n))] };
}

/** At most 280 characters of an output (a run card's preview). */
export function preview(text: string): string {
  return text.length > 280 ? `${text.slice(0, 279)}…` : text;
}
