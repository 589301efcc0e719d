/**
 * AI worker runs under kill -9 (issue 14), with real `runyard up` child processes, on SQLite and
 * on PostgreSQL, against the local OpenAI-compatible server. Each of 12 ticket rows gets a run
 * of a worker whose model first calls two tools (`http_request` to a slow local server, then
 * `write_comment`) and then streams its answer slowly (the output comment). The node is killed
 * once while tool calls are in flight and once while LLM streams are; after each restart the
 * runs go on from the item in flight. At the end every run succeeded, every row holds exactly
 * two comments (the tool's and the output's: none doubled), and the ledger reconciles: one
 * capture per item, captured ≤ reserved, reserved = captured + released for every run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir, until } from '../helpers/fixtures.js';
import { startFakeLlm, type ChatRequest } from '../helpers/fake-llm.js';
import { postgresForFile } from '../helpers/postgres.js';
import { nodeApi as api, spawnRunyard, tokenOf, waitForRunOver, type RunyardProcess } from '../helpers/proc.js';

const postgres = postgresForFile();
const ROWS = 12;
const KEY = 'sk-worker-kill-7c1e';
type Json = Record<string, unknown>;

const subjectOf = (req: ChatRequest) => /Subject: row (\S+) of table/.exec(String(req.messages.find((m) => m.role === 'user')?.content ?? ''))?.[1] ?? '?';

async function get(url: string, path: string): Promise<Json> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${tokenOf(url) ?? ''}` } });
  return (await res.json()) as Json;
}

/** Waits until some run has an item of `prefix` running; then the kill lands mid-item. */
async function runningItem(url: string, runIds: string[], prefix: string): Promise<void> {
  await until(`an item ${prefix}* running`, 60_000, async () => {
    for (const id of runIds) {
      const items = (await get(url, `/v1/runs/${id}/items?limit=50&status=running`)).data as Json[] | undefined;
      if (items?.some((i) => String(i.key).startsWith(prefix))) return true;
    }
    return undefined;
  });
}

async function workerKill(database: string, dir: string): Promise<void> {
  const slow: Server = createServer((_req, res) => setTimeout(() => res.end('status: ok'), 700));
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/status`;
  const fake = await startFakeLlm({
    apiKey: KEY,
    respond: (req) => {
      const id = subjectOf(req);
      if (!req.messages.some((m) => m.role === 'tool')) {
        return {
          toolCalls: [
            { id: `http_${id}`, name: 'http_request', arguments: JSON.stringify({ url: slowUrl }) },
            { id: `note_${id}`, name: 'write_comment', arguments: JSON.stringify({ body: `looked at ${id}` }) },
          ],
          usage: { prompt_tokens: 40, completion_tokens: 10 },
        };
      }
      return { text: `P3 for ${id}: no action`, chunks: 5, chunkDelayMs: 120, usage: { prompt_tokens: 60, completion_tokens: 8 } };
    },
  });
  const env = {
    RUNYARD_DATA_DIR: join(dir, 'data'),
    RUNYARD_PRICES: JSON.stringify({ 'tokens:m-wk:input': 1000, 'tokens:m-wk:output': 4000 }),
  };
  let node: RunyardProcess | undefined;
  try {
    node = await spawnRunyard(['--database', database], env, 60_000);
    await api(node.url, '/v1/credits/grants', { amount_micro: 100_000_000, reason: 'test' });
    const table = await api(node.url, '/v1/tables', {
      name: 'tickets',
      format: 'csv',
      data: `t\n${Array.from({ length: ROWS }, (_, i) => `t${i}`).join('\n')}\n`,
    });
    const tableId = String(table.id);
    const rows = ((await get(node.url, `/v1/tables/${tableId}/rows?limit=100`)).data as Json[]).map((r) => String(r.id));
    const worker = await api(node.url, '/v1/workers', {
      name: 'triage under kills',
      instructions: 'Check the status page, note it, then triage.',
      model: { model: 'm-wk', base_url: fake.baseUrl, api_key_env: 'K', max_output_tokens: 64, max_input_tokens: 2000 },
      tool_categories: ['read_records', 'write_comments', 'http'],
      output: { mode: 'task_comment', slot: 'triage', policy: 'replace' },
    });
    const runIds: string[] = [];
    for (const r of rows) {
      const res = await api(node.url, `/v1/workers/${String(worker.id)}/runs`, {
        subject: { table_id: tableId, row_id: r },
        overrides: { secrets: { K: KEY } },
      });
      runIds.push(String((res.run as Json).id));
    }
    // Kill 1: tool calls in flight (an http_request waits on the slow server).
    await runningItem(node.url, runIds, 'tool:');
    await node.kill('SIGKILL');
    node = await spawnRunyard(['--database', database], env, 60_000);
    // Kill 2: LLM streams in flight (the answers stream slowly).
    await runningItem(node.url, runIds, 'llm:2');
    await node.kill('SIGKILL');
    node = await spawnRunyard(['--database', database], env, 60_000);

    for (const id of runIds) {
      const run = await waitForRunOver(node.url, id, 120_000);
      assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
      assert.ok(!JSON.stringify(run).includes(KEY));
    }
    for (const r of rows) {
      const comments = (await get(node.url, `/v1/tables/${tableId}/rows/${r}/comments?limit=100`)).data as Json[];
      assert.equal(comments.length, 2, `row ${r}: the tool's comment and the output, none doubled: ${JSON.stringify(comments)}`);
      assert.equal(new Set(comments.map((c) => c.slot)).size, 2);
    }
    for (const id of runIds) {
      const entries = (await get(node.url, `/v1/credits/ledger?run_id=${id}&limit=1000`)).data as Json[];
      const sum = (kind: string) => entries.filter((e) => e.kind === kind).reduce((a, e) => a + Number(e.amount_micro), 0);
      const captures = entries.filter((e) => e.kind === 'capture').map((e) => String(e.item_id));
      assert.equal(new Set(captures).size, captures.length, `run ${id}: never captured twice for one item`);
      assert.ok(sum('capture') > 0, `run ${id} captured its tokens`);
      assert.ok(sum('capture') <= sum('reserve'), `run ${id}: captured ≤ reserved`);
      assert.equal(sum('reserve'), sum('capture') + sum('release'), `run ${id} reconciles`);
    }
    const balance = await get(node.url, '/v1/credits/balance');
    assert.equal(Number(balance.outstanding_micro), 0, JSON.stringify(balance));
  } finally {
    await node?.kill('SIGTERM');
    await fake.close();
    await new Promise<void>((r) => slow.close(() => r()));
  }
}

test('worker runs on SQLite: kill -9 during tool calls and during LLM streams', { timeout: 400_000 }, async () => {
  const dir = tempDir();
  await workerKill(join(dir, 'runyard.db'), dir);
});

test('worker runs on PostgreSQL: kill -9 during tool calls and during LLM streams', { timeout: 400_000 }, async () => {
  const server = await postgres();
  await workerKill(await server.createDatabase(), tempDir());
});
