/**
 * AI workers through the HTTP API on 127.0.0.1, on both databases, against the local
 * OpenAI-compatible server (issue 14): a triage worker runs on 50 ticket rows and each gets
 * exactly one comment; rerunning all 50 with `replace` leaves one comment each, updated; a
 * worker allowed only `read_records` whose model asks to write a comment writes nothing and the
 * refusal is an item; unknown tools and bad arguments are refused too; an endless tool loop
 * ends `failed` with `worker_step_limit` (and each other limit with its code); a paused worker's run waits queued
 * (`worker_paused`) until resumed; bad definitions and subjects are 422s naming the field.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine } from '../../src/engine/engine.js';
import { startApiApp, type ApiApp, type Json } from '../helpers/api-app.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startFakeLlm, type ChatRequest, type FakeLlm, type Reply } from '../helpers/fake-llm.js';
const ROWS = 50;

/** The subject row id named in the first message of a conversation. */
function subjectOf(req: ChatRequest): string {
  const first = req.messages.find((m) => m.role === 'user');
  return /Subject: row (\S+) of table/.exec(typeof first?.content === 'string' ? first.content : JSON.stringify(first?.content))?.[1] ?? '?';
}

const lastRole = (req: ChatRequest) => req.messages[req.messages.length - 1]?.role;
const toolNames = (req: ChatRequest) => ((req.body.tools as { function: { name: string } }[] | undefined) ?? []).map((t) => t.function.name);

describeEachBackend('AI workers through the HTTP API', (backend) => {
  let app: ApiApp;
  let engine: Engine;
  let fake: FakeLlm;
  const call = (method: string, path: string, body?: unknown) => app.call(method, path, body);
  let tableId: string;
  let rowIds: string[];
  /** Per-test conversation script: (request) → reply. */
  let script: (req: ChatRequest) => Reply = () => ({ text: 'ok' });

  const model = () => ({ model: 'fake-model', base_url: fake.baseUrl, max_output_tokens: 256, max_input_tokens: 4000 });

  async function createWorker(body: Json): Promise<string> {
    const res = await call('POST', '/v1/workers', body);
    assert.equal(res.status, 201, res.text);
    return res.json.id as string;
  }

  async function runOn(workerId: string, rowId: string, extra: Json = {}): Promise<Json> {
    const res = await call('POST', `/v1/workers/${workerId}/runs`, { subject: { table_id: tableId, row_id: rowId }, ...extra });
    assert.equal(res.status, 201, res.text);
    return res.json;
  }

  const finished = (runId: string, ms = 400_000) => app.finished(runId, ms);

  async function items(runId: string): Promise<Json[]> {
    return (await call('GET', `/v1/runs/${runId}/items?limit=100`)).json.data as Json[];
  }

  async function comments(rowId: string): Promise<Json[]> {
    return (await call('GET', `/v1/tables/${tableId}/rows/${rowId}/comments?limit=100`)).json.data as Json[];
  }

  before(async () => {
    fake = await startFakeLlm({ respond: (req) => script(req) });
    app = await startApiApp(backend);
    engine = app.engine;
    const csv = `ticket,title,customer\n${Array.from({ length: ROWS }, (_, i) => `T${i},Login fails for user ${i},acme`).join('\n')}\n`;
    const t = await call('POST', '/v1/tables', { name: 'tickets', format: 'csv', data: csv });
    assert.equal(t.status, 201, t.text);
    tableId = t.json.id as string;
    const rows = await call('GET', `/v1/tables/${tableId}/rows?limit=100`);
    rowIds = (rows.json.data as Json[]).map((r) => r.id as string);
    assert.equal(rowIds.length, ROWS);
  });

  after(async () => {
    await app.close();
    await fake.close();
  });

  test('a triage worker on 50 tickets: one comment each; a rerun of all 50 with replace updates them, still one each', { timeout: 900_000 }, async () => {
    let round = 1;
    // The first row's conversation reads the subject row first (a tool call), then answers;
    // the others answer at once (a machine shared by many test suites stays within bounds).
    script = (req) =>
      lastRole(req) === 'tool' || subjectOf(req) !== rowIds[0]
        ? { text: `P2 · owner: identity team · round ${round} · ${subjectOf(req)}`, usage: { prompt_tokens: 50, completion_tokens: 12 } }
        : { toolCalls: [{ id: `call_${subjectOf(req)}`, name: 'get_row', arguments: '{}' }] };
    const wid = await createWorker({ name: 'ticket triage', template_key: 'triage_ticket', model: model() });
    const w = (await call('GET', `/v1/workers/${wid}`)).json;
    assert.equal(w.template_key, 'triage_ticket');
    assert.equal(w.output_mode, 'task_comment');
    assert.deepEqual(w.tool_categories, ['read_records', 'write_comments']);

    const first = await Promise.all(rowIds.map((r) => runOn(wid, r)));
    assert.equal((first[0]!.output_notice as Json).exists, false);
    const done = await Promise.all(first.map((r) => finished((r.run as Json).id as string)));
    for (const r of done) assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
    const run0 = done[0]!;
    assert.equal(run0.kind, 'worker');
    assert.deepEqual((run0.subject as Json).id, rowIds[0]);
    const its = await items(run0.id as string);
    assert.deepEqual(
      its.map((i) => i.key),
      ['llm:1', 'tool:1:1', 'llm:2', 'output'],
    );
    assert.equal((its[1]!.inputs as Json).parent, 'llm:1', 'a tool call names its LLM call as parent');
    assert.equal((its[1]!.outputs as Json).decision, 'allowed');
    assert.equal(((its[1]!.outputs as Json).result as Json).row_id, rowIds[0]);
    assert.equal((its[3]!.outputs as Json).action, 'created');
    const ctx = ((run0.output as Json).context as Json[])[0]!;
    assert.equal(ctx.type, 'subject_record');
    assert.equal(typeof ctx.hash, 'string');

    const counts = await engine.store.comments.countRowComments(engine.workspaceId, tableId);
    assert.equal(counts.size, ROWS, 'every row has a comment');
    for (const r of rowIds) assert.equal(counts.get(r), 1, `row ${r} has exactly one comment`);

    round = 2;
    const again = await Promise.all(rowIds.map((r) => runOn(wid, r)));
    assert.match((again[0]!.output_notice as Json).message as string, /replaced/);
    const done2 = await Promise.all(again.map((r) => finished((r.run as Json).id as string)));
    for (const r of done2) assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
    const counts2 = await engine.store.comments.countRowComments(engine.workspaceId, tableId);
    for (const r of rowIds) assert.equal(counts2.get(r), 1, `row ${r} still has exactly one comment`);
    const c = (await comments(rowIds[7]!))[0]!;
    assert.match(c.body as string, /round 2/);
    assert.equal(c.updated_by_run, (again[7]!.run as Json).id);
  });

  test('a worker allowed only read_records that asks to write a comment writes nothing; unknown tools and bad arguments are refused', async () => {
    const row = rowIds[3]!;
    const before = (await comments(row)).length;
    script = (req) => {
      const n = req.messages.filter((m) => m.role === 'assistant').length;
      if (n === 0) {
        assert.deepEqual(toolNames(req), ['get_row', 'search_rows'], 'only read_records tools are offered');
        return {
          toolCalls: [
            { id: 'c1', name: 'write_comment', arguments: JSON.stringify({ body: 'sneaky' }) },
            { id: 'c2', name: 'delete_everything', arguments: '{}' },
            { id: 'c3', name: 'search_rows', arguments: '{"limit": "many"}' },
            { id: 'c4', name: 'get_row', arguments: '{not json' },
          ],
        };
      }
      return { text: 'could not comment' };
    };
    const wid = await createWorker({
      name: 'reader',
      instructions: 'Read the ticket.',
      model: model(),
      tool_categories: ['read_records'],
      output: { mode: 'none' },
    });
    const run = await finished(((await runOn(wid, row)).run as Json).id as string);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const its = await items(run.id as string);
    const tools = its.filter((i) => (i.key as string).startsWith('tool:'));
    assert.deepEqual(
      tools.map((t) => (t.outputs as Json).decision),
      ['refused_category', 'refused_unknown', 'refused_schema', 'refused_schema'],
    );
    assert.match((tools[0]!.outputs as Json).reason as string, /write_comments/);
    assert.equal((await comments(row)).length, before, 'no comment was written');
    // The refusals went back to the model as tool errors.
    const last = fake.requests[fake.requests.length - 1]!;
    const toolMsgs = last.messages.filter((m) => m.role === 'tool');
    assert.equal(toolMsgs.length, 4);
    assert.match(JSON.stringify(toolMsgs[0]), /refused_category/);
  });

  test('a dry run calls the model and offers the tools but executes no write', async () => {
    const row = rowIds[6]!;
    const before = (await comments(row)).length;
    script = (req) =>
      lastRole(req) === 'tool'
        ? { text: 'would triage' }
        : {
            toolCalls: [
              { id: 'r1', name: 'get_row', arguments: '{}' },
              { id: 'w1', name: 'write_comment', arguments: JSON.stringify({ body: 'dry note' }) },
            ],
          };
    const wid = await createWorker({ name: 'dry triage', template_key: 'triage_ticket', model: model() });
    const res = await runOn(wid, row, { mode: 'dry_run' });
    const run = await finished((res.run as Json).id as string);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(run.mode, 'dry_run');
    const its = await items(run.id as string);
    const read = its.find((i) => i.key === 'tool:1:1')!.outputs as Json;
    const write = its.find((i) => i.key === 'tool:1:2')!.outputs as Json;
    assert.equal((read.result as Json).row_id, row, 'reads run in a dry run');
    assert.equal(write.dry_run, true, 'writes are recorded, not executed');
    assert.equal((its.find((i) => i.key === 'output')!.outputs as Json).action, 'dry_run');
    assert.equal((await comments(row)).length, before, 'nothing was written');
  });

  test('an endless tool loop ends failed with worker_step_limit', async () => {
    script = (req) => ({ toolCalls: [{ id: `loop_${req.messages.length}`, name: 'get_row', arguments: '{}' }] });
    const wid = await createWorker({
      name: 'looper',
      instructions: 'Loop.',
      model: model(),
      tool_categories: ['read_records'],
      output: { mode: 'none' },
      limits: { max_steps: 3 },
    });
    const run = await finished(((await runOn(wid, rowIds[4]!)).run as Json).id as string);
    assert.equal(run.status, 'failed');
    assert.equal((run.error as Json).code, 'worker_step_limit');
    assert.equal((await items(run.id as string)).filter((i) => (i.key as string).startsWith('llm:')).length, 3);
  });

  test('each limit ends the run failed with its code: tool calls, tokens, time, and an answer with no output', async () => {
    const system = (req: ChatRequest) => JSON.stringify(req.messages.find((m) => m.role === 'system')?.content ?? '');
    script = (req) => {
      const s = system(req);
      if (s.includes('limit.tools')) return { toolCalls: ['a', 'b', 'c'].map((id) => ({ id, name: 'get_row', arguments: '{}' })) };
      if (s.includes('limit.tokens')) return { text: 'long answer', usage: { prompt_tokens: 90, completion_tokens: 30 } };
      if (s.includes('limit.time')) return { text: 'slow answer', delayMs: 1_300 };
      return { text: '' };
    };
    const cases: [string, Json, string][] = [
      ['limit.tools', { max_tool_calls: 2 }, 'worker_tool_call_limit'],
      ['limit.tokens', { max_tokens: 100 }, 'worker_token_limit'],
      ['limit.time', { timeout_s: 1 }, 'worker_time_limit'],
      ['limit.none', {}, 'worker_no_output'],
    ];
    for (const [i, [tag, limits, code]] of cases.entries()) {
      const wid = await createWorker({
        name: tag,
        instructions: `Triage. ${tag}`,
        model: model(),
        tool_categories: ['read_records', 'write_comments'],
        output: { mode: 'task_comment', slot: tag },
        limits,
      });
      const row = rowIds[20 + i]!;
      const before = (await comments(row)).length;
      const run = await finished(((await runOn(wid, row)).run as Json).id as string);
      assert.equal(run.status, 'failed', tag);
      assert.equal((run.error as Json).code, code, `${tag}: ${JSON.stringify(run.error)}`);
      assert.equal((await comments(row)).length, before, `${tag}: no comment written`);
      assert.ok(!(await items(run.id as string)).some((it) => it.key === 'output'), `${tag}: no output item`);
    }
  });

  test('a provider answering malformed JSON ends the run failed with llm_malformed_response', async () => {
    script = () => ({ raw: 'data: {"id": "x", "choices": [{"delta": {"content": "hi"\n\ndata: [DONE]\n\n' });
    const wid = await createWorker({ name: 'broken provider', instructions: 'x', model: model(), tool_categories: [], output: { mode: 'none' } });
    const run = await finished(((await runOn(wid, rowIds[8]!)).run as Json).id as string);
    assert.equal(run.status, 'failed');
    assert.equal((run.error as Json).code, 'llm_malformed_response', JSON.stringify(run.error));
  });

  test('a paused worker keeps its new run queued (worker_paused) until resumed', async () => {
    script = () => ({ text: 'done' });
    const wid = await createWorker({ name: 'pausable', instructions: 'x', model: model(), tool_categories: [], output: { mode: 'none' } });
    assert.equal((await call('POST', `/v1/workers/${wid}/pause`)).json.status, 'paused');
    const res = await runOn(wid, rowIds[5]!);
    const runId = (res.run as Json).id as string;
    const held = (await call('GET', `/v1/runs/${runId}`)).json;
    assert.equal(held.status, 'queued');
    assert.equal((held.waiting_reason as Json).code, 'worker_paused');
    // Still queued after the executor started (and finished) a later run of an active worker:
    // queued runs are started oldest first, so the held one was passed over, not missed.
    const other = await createWorker({ name: 'active beside it', instructions: 'x', model: model(), tool_categories: [], output: { mode: 'none' } });
    assert.equal((await finished(((await runOn(other, rowIds[6]!)).run as Json).id as string)).status, 'succeeded');
    assert.equal((await call('GET', `/v1/runs/${runId}`)).json.status, 'queued');
    assert.equal((await call('POST', `/v1/workers/${wid}/resume`)).json.status, 'active');
    assert.equal((await finished(runId)).status, 'succeeded');
  });

  test('comparing a good run with one whose context source was removed shows that source missing', async () => {
    script = (req) =>
      lastRole(req) === 'tool'
        ? { text: /refund policy/.test(JSON.stringify(req.messages)) ? 'refund within 30 days' : 'no policy known' }
        : { toolCalls: [{ id: 'c1', name: 'get_row', arguments: '{}' }] };
    const def = {
      name: 'policy bot',
      instructions: 'Answer with the refund rule.\nBe brief.',
      model: model(),
      tool_categories: ['read_records'],
      output: { mode: 'none' },
      context_sources: [{ type: 'subject_record' }, { type: 'static_text', name: 'policy', text: 'refund policy: 30 days' }],
    };
    const wid = await createWorker(def);
    const good = await finished(((await runOn(wid, rowIds[9]!)).run as Json).id as string);
    const edited = await call('POST', `/v1/workers/${wid}/versions`, {
      ...def,
      instructions: 'Answer with the refund rule.',
      context_sources: [{ type: 'subject_record' }],
    });
    assert.equal(edited.status, 201, edited.text);
    const bad = await finished(((await runOn(wid, rowIds[9]!)).run as Json).id as string);
    const cmp = await call('GET', `/v1/runs/compare?a=${good.id as string}&b=${bad.id as string}`);
    assert.equal(cmp.status, 200, cmp.text);
    const w = cmp.json.worker as Json;
    const def2 = w.definition as Json;
    assert.deepEqual((def2.version as Json).a, 1);
    assert.deepEqual((def2.version as Json).b, 2);
    assert.ok(((def2.instructions as Json).diff as Json[]).some((l) => l.op === '-' && l.text === 'Be brief.'));
    const ctx = w.context as Json[];
    const policy = ctx.find((c) => c.name === 'policy')!;
    assert.equal((policy.a as Json).present, true);
    assert.equal((policy.b as Json).present, false, JSON.stringify(policy));
    assert.equal(ctx.find((c) => c.name === 'subject_record')!.same, true);
    const calls = w.tool_calls as Json[];
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.same_name, true);
    assert.equal(((w.subject as Json).a as Json).exists_now, true);
    assert.equal((await call('GET', `/v1/runs/compare?a=${good.id as string}&b=run_nope`)).status, 404);
  });

  test('bad definitions and subjects are 422s naming the field; editing makes a new version', async () => {
    const good = { name: 'w', instructions: 'x', model: model(), tool_categories: ['read_records'], output: { mode: 'none' } };
    const cases: [Json, string][] = [
      [{ ...good, tool_categories: ['read_records', 'launch_missiles'] }, 'tool_categories[1]'],
      [{ ...good, output: { mode: 'task_comment' } }, 'output.mode'],
      [{ ...good, context_sources: [{ type: 'crystal_ball' }] }, 'context_sources[0].type'],
      [{ ...good, context_sources: [{ type: 'table_rows', table_id: 'tbl_nope' }] }, 'context_sources[0].table_id'],
      [{ ...good, model: { ...model(), base_url: 'ftp://x' } }, 'model.base_url'],
      [{ ...good, model: { ...model(), api_key: 'sk-123' } }, 'model.api_key'],
      [{ ...good, template_key: 'nope' }, 'template_key'],
    ];
    for (const [body, field] of cases) {
      const res = await call('POST', '/v1/workers', body);
      assert.equal(res.status, 422, `${field}: ${res.text}`);
      assert.equal(((res.json.error as Json).details as Json).field, field, res.text);
    }
    const wid = await createWorker(good);
    const noRow = await call('POST', `/v1/workers/${wid}/runs`, { subject: { table_id: tableId, row_id: 'row_missing' } });
    assert.equal(noRow.status, 422, noRow.text);
    assert.equal(((noRow.json.error as Json).details as Json).field, 'subject.row_id');
    const noTable = await call('POST', `/v1/workers/${wid}/runs`, { subject: { table_id: 'tbl_missing', row_id: 'r' } });
    assert.equal(((noTable.json.error as Json).details as Json).field, 'subject.table_id');
    assert.equal((await call('POST', '/v1/workers/wkr_missing/runs', { subject: { table_id: tableId, row_id: rowIds[0] } })).status, 404);

    const edited = await call('POST', `/v1/workers/${wid}/versions`, { ...good, instructions: 'y' });
    assert.equal(edited.status, 201, edited.text);
    assert.equal(edited.json.version, 2);
    assert.equal((await call('GET', `/v1/workers/${wid}?version=1`)).json.instructions, 'x');

    // With prices set, a model without a price is unknown.
    await call('PUT', '/v1/prices', { prices: { 'tokens:fake-model:input': 1, 'tokens:fake-model:output': 2 } });
    const unknown = await call('POST', '/v1/workers', { ...good, model: { ...model(), model: 'mystery-9' } });
    assert.equal(unknown.status, 422, unknown.text);
    assert.equal(((unknown.json.error as Json).details as Json).field, 'model.model');
  });
});
