/**
 * The executor side of AI worker runs (issue 14): the `worker_tool` producer runs one tool call
 * of the model, the `worker_output` producer writes a run's output. They live in the engine
 * because they write records through the store.
 *
 * One chokepoint: every tool call goes through core/worker-tools.ts `checkToolCall` before it
 * runs; a refusal (`refused_unknown`, `refused_category`, `refused_schema`) is the item's
 * outcome (its `decision` and `reason`) and goes back to the model as a tool error. In a dry
 * run, tools that write record what they would do and change nothing.
 *
 * No duplicate: a tool's side effect carries `idempotency_key = <run id>:<tool call id>` (a
 * comment's slot, a new row's key, the HTTP `Idempotency-Key`, a flow run's key), so a retried
 * attempt writes once. The output is keyed by (worker, subject row, output slot): `replace`
 * updates what an earlier run wrote, `once` keeps it, `append` adds one per run.
 */
import { PermanentError, RetryableError, RunyardError } from '../core/errors.js';
import type { Clock, IdSource } from '../core/ids.js';
import type { Producer, ProducerContext, ProducerResult } from '../core/producer.js';
import { checkToolCall } from '../core/worker-tools.js';
import type { Store } from '../store/port.js';
import type { ProducerLookup } from './executor.js';

/** What worker producers need from the engine. */
export interface WorkerToolDeps {
  store: Store;
  ids: IdSource;
  clock: Clock;
  /** The `http` producer (its egress guard applies to the `http_request` tool). */
  http: () => Producer;
  /** Starts a flow run with an idempotency key; resolves with its id. */
  startFlow: (ws: string, flowId: string, inputs: Record<string, unknown>, key: string) => Promise<string>;
}

interface Subject {
  table_id: string;
  row_id: string;
}

interface ToolInputs {
  parent: string;
  workspace_id: string;
  tool_call_id: string;
  tool: string;
  input: unknown;
  allowed: string[];
  subject: Subject;
  http_hosts?: string[];
}

/** A tool's answer and the side effect it made (if any). */
type ToolAnswer = { result: unknown; side_effect?: Record<string, unknown> };

const MAX_HTTP_CHARS = 20_000;

function fail(code: string, message: string): never {
  throw new PermanentError(code, message);
}

async function runTool(deps: WorkerToolDeps, ctx: ProducerContext, inp: ToolInputs, name: string, args: Record<string, unknown>): Promise<ToolAnswer> {
  const { store } = deps;
  const ws = inp.workspace_id;
  const key = `${ctx.runId}:${inp.tool_call_id}`;
  const tableId = typeof args.table_id === 'string' ? args.table_id : inp.subject.table_id;
  const rowId = typeof args.row_id === 'string' ? args.row_id : inp.subject.row_id;
  switch (name) {
    case 'get_row': {
      const row = await store.getRow(ws, tableId, rowId);
      if (!row) fail('row_not_found', `table ${tableId} has no row ${rowId}`);
      return { result: { table_id: tableId, row_id: row.id, data: row.data } };
    }
    case 'search_rows': {
      if (!(await store.getTable(ws, tableId))) fail('table_not_found', `no table ${tableId}`);
      const field = typeof args.field === 'string' ? args.field : undefined;
      const limit = typeof args.limit === 'number' ? args.limit : 10;
      const hits = (await store.allRows(ws, tableId)).filter((r) => {
        if (field === undefined) return true;
        const v = r.data[field];
        if (args.equals !== undefined && v !== args.equals) return false;
        if (
          typeof args.contains === 'string' &&
          !String(v ?? '')
            .toLowerCase()
            .includes(args.contains.toLowerCase())
        )
          return false;
        return true;
      });
      return { result: { total: hits.length, rows: hits.slice(0, limit).map((r) => ({ row_id: r.id, data: r.data })) } };
    }
    case 'write_comment': {
      const res = await store.comments.writeSlotComment(
        ws,
        {
          id: deps.ids.next('cmt'),
          table_id: tableId,
          row_id: rowId,
          slot: `tool:${key}`,
          author: `run:${ctx.runId}`,
          body: String(args.body),
          run_id: ctx.runId,
          policy: 'replace',
        },
        deps.clock.now(),
      );
      if (!res) fail('row_not_found', `table ${tableId} has no row ${rowId}`);
      return {
        result: { comment_id: res.comment.id },
        side_effect: { kind: 'comment', target: `${tableId}/${rowId}`, external_id: res.comment.id, idempotency_key: key },
      };
    }
    case 'update_row': {
      const row = await store.workers.updateRowFields(ws, tableId, rowId, args.fields as Record<string, unknown>);
      if (!row) fail('row_not_found', `table ${tableId} has no row ${rowId}`);
      return {
        result: { row_id: row.id, data: row.data },
        side_effect: { kind: 'row_update', target: `${tableId}/${rowId}`, external_id: row.id, idempotency_key: key },
      };
    }
    case 'create_row': {
      const res = await store.workers.upsertKeyedRow(ws, tableId, key, args.fields as Record<string, unknown>, { run_id: ctx.runId, item_key: inp.parent });
      if (!res) fail('table_not_found', `no table ${tableId}`);
      return { result: { row_id: res.row_id }, side_effect: { kind: 'row_create', target: tableId, external_id: res.row_id, idempotency_key: key } };
    }
    case 'http_request': {
      const url = URL.canParse(String(args.url)) ? new URL(String(args.url)) : fail('invalid_url', `not a URL: ${String(args.url)}`);
      if (inp.http_hosts && !inp.http_hosts.includes(url.hostname)) fail('host_not_allowed', `host ${url.hostname} is not in the worker's http_hosts`);
      const method = args.method === 'POST' ? 'POST' : 'GET';
      const res = await deps.http().execute({
        ...ctx,
        idempotencyKey: key,
        inputs: { method, url: url.toString(), ...(args.body === undefined ? {} : { body: args.body }), max_response_bytes: 1_000_000, parse: 'text' },
      });
      const out = res.outputs as { status?: number; body?: unknown } | undefined;
      const body = String(out?.body ?? res.value ?? '');
      return {
        result: { status: out?.status ?? null, body: body.length > MAX_HTTP_CHARS ? `${body.slice(0, MAX_HTTP_CHARS)}…` : body },
        side_effect: { kind: 'http', target: `${method} ${url.host}`, external_id: null, idempotency_key: key },
      };
    }
    case 'run_flow': {
      const id = await deps.startFlow(ws, String(args.flow_id), (args.inputs as Record<string, unknown> | undefined) ?? {}, key);
      return { result: { run_id: id }, side_effect: { kind: 'flow_run', target: String(args.flow_id), external_id: id, idempotency_key: key } };
    }
    default:
      return fail('tool_not_implemented', `tool ${name} has no executor`);
  }
}

/** The `worker_tool` producer: checks one tool call, then runs it (or refuses it). */
export function createWorkerToolProducer(deps: WorkerToolDeps): Producer {
  return {
    name: 'worker_tool',
    ownDryRun: true,
    validate: () => undefined,
    async execute(ctx: ProducerContext): Promise<ProducerResult> {
      const inp = ctx.inputs as unknown as ToolInputs;
      const check = checkToolCall(inp.tool, inp.input, inp.allowed);
      const base = { parent: inp.parent, tool_call_id: inp.tool_call_id, tool: inp.tool, category: check.tool?.category ?? null, arguments: inp.input };
      if (check.decision !== 'allowed') {
        return { value: null, outputs: { ...base, decision: check.decision, reason: check.reason } };
      }
      if (ctx.dryRun && check.tool.writes) {
        return {
          value: null,
          outputs: { ...base, decision: 'allowed', dry_run: true, result: { dry_run: true, note: `${inp.tool} was not executed (dry run)` } },
        };
      }
      const started = Date.now();
      try {
        const answer = await runTool(deps, ctx, inp, check.tool.name, check.args);
        return { value: null, outputs: { ...base, decision: 'allowed', ...answer, duration_ms: Date.now() - started } };
      } catch (err) {
        if (err instanceof RetryableError) throw err;
        const e =
          err instanceof RunyardError ? { code: err.code, message: err.message } : { code: 'tool_failed', message: String((err as Error)?.message ?? err) };
        return { value: null, outputs: { ...base, decision: 'allowed', error: e, duration_ms: Date.now() - started } };
      }
    },
  };
}

interface OutputInputs {
  parent: string;
  workspace_id: string;
  worker_id: string;
  subject: Subject;
  mode: 'task_comment' | 'record_field' | 'new_record';
  slot: string;
  policy: 'replace' | 'append' | 'once';
  field?: string;
  table_id?: string;
  text: string;
}

async function writeOutput(deps: WorkerToolDeps, ctx: ProducerContext, o: OutputInputs): Promise<{ location: Record<string, unknown>; action: string }> {
  const { store } = deps;
  const ws = o.workspace_id;
  const { table_id: t, row_id: r } = o.subject;
  const slot = `${o.worker_id}:${o.slot}${o.policy === 'append' ? `:${ctx.runId}` : ''}`;
  switch (o.mode) {
    case 'task_comment': {
      const res = await store.comments.writeSlotComment(
        ws,
        {
          id: deps.ids.next('cmt'),
          table_id: t,
          row_id: r,
          slot,
          author: `run:${ctx.runId}`,
          body: o.text,
          run_id: ctx.runId,
          policy: o.policy === 'once' ? 'once' : 'replace',
        },
        deps.clock.now(),
      );
      if (!res) fail('subject_missing', `the subject row ${r} of table ${t} no longer exists`);
      // A retried attempt finds the comment its first attempt wrote: this run created it.
      const action = res.comment.created_by_run === ctx.runId ? 'created' : res.action;
      return { location: { type: 'comment', id: res.comment.id, table_id: t, row_id: r, slot, url: `/v1/tables/${t}/rows/${r}/comments` }, action };
    }
    case 'record_field': {
      const field = o.field!;
      const row = await store.getRow(ws, t, r);
      if (!row) fail('subject_missing', `the subject row ${r} of table ${t} no longer exists`);
      const before = row.data[field];
      const had = before !== undefined && before !== null && before !== '';
      const location = { type: 'field', table_id: t, row_id: r, field, url: `/tables/${t}?row=${encodeURIComponent(r)}` };
      if (had && o.policy === 'once') return { location, action: 'skipped_exists' };
      const text = o.policy === 'append' && had ? (String(before).endsWith(o.text) ? String(before) : `${String(before)}\n\n${o.text}`) : o.text;
      if (had && String(before) === text) return { location, action: 'unchanged' };
      await store.workers.updateRowFields(ws, t, r, { [field]: text });
      return { location, action: had ? 'updated' : 'created' };
    }
    case 'new_record': {
      const table = o.table_id!;
      const res = await store.workers.upsertKeyedRow(
        ws,
        table,
        `${slot}:${r}`,
        { [o.field ?? 'text']: o.text, subject_row_id: r },
        {
          run_id: ctx.runId,
          item_key: 'output',
          once: o.policy === 'once',
        },
      );
      if (!res) fail('table_not_found', `output.table_id: no table ${table}`);
      return {
        location: { type: 'row', table_id: table, row_id: res.row_id, url: `/tables/${table}?row=${encodeURIComponent(res.row_id)}` },
        action: res.action,
      };
    }
  }
}

/** The `worker_output` producer: writes a run's final answer where the worker's output mode says. */
export function createWorkerOutputProducer(deps: WorkerToolDeps): Producer {
  return {
    name: 'worker_output',
    ownDryRun: true,
    validate: () => undefined,
    async execute(ctx: ProducerContext): Promise<ProducerResult> {
      const o = ctx.inputs as unknown as OutputInputs;
      const base = { parent: o.parent, mode: o.mode, policy: o.policy, text: o.text, key: `${o.worker_id}:${o.subject.row_id}:${o.slot}` };
      if (ctx.dryRun) return { value: o.text, outputs: { ...base, dry_run: true, action: 'dry_run', location: null } };
      const { location, action } = await writeOutput(deps, ctx, o);
      return { value: o.text, outputs: { ...base, location, action } };
    },
  };
}

/** `producers` with the worker producers added (they need the store, so the engine makes them). */
export function withWorkerProducers(producers: ProducerLookup, deps: Omit<WorkerToolDeps, 'http'>): ProducerLookup {
  const full = { ...deps, http: () => producers.get('http') };
  const own = new Map<string, Producer>([
    ['worker_tool', createWorkerToolProducer(full)],
    ['worker_output', createWorkerOutputProducer(full)],
  ]);
  return { get: (name) => own.get(name) ?? producers.get(name) };
}
