/**
 * kill -9 of `runyard up` while `llm` items are streaming from the local OpenAI-compatible
 * server, then a restart on the same SQLite file and data dir (same secret key, so the run's
 * sealed API key opens again): every row ends with one answer, only the streams cut by the kill
 * are called again, and the ledger reconciles — one capture per item, captured ≤ reserved, reserve =
 * capture + release for the run, nothing left outstanding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { tempDir } from '../helpers/fixtures.js';
import { startFakeLlm } from '../helpers/fake-llm.js';
import { nodeApi as api, spawnRunyard } from '../helpers/proc.js';

const ROWS = 40;
const KEY = 'sk-kill-5d1f';

test('kill -9 during LLM streams: after a restart every row has one answer and the ledger reconciles', { timeout: 180_000 }, async () => {
  const calls = new Map<string, number>();
  const fake = await startFakeLlm({
    apiKey: KEY,
    respond: (req) => {
      const id = /^Ticket (\S+)$/.exec(req.user)?.[1] ?? '?';
      calls.set(id, (calls.get(id) ?? 0) + 1);
      // A slow stream (about 400 ms), so the kill lands while some are in flight.
      return { text: `answer for ${id}`, chunks: 4, chunkDelayMs: 100, usage: { prompt_tokens: 20, completion_tokens: 5 } };
    },
  });
  const dir = tempDir();
  const db = join(dir, 'runyard.db');
  const env = {
    RUNYARD_DATA_DIR: join(dir, 'data'),
    RUNYARD_PRICES: JSON.stringify({ 'tokens:m-kill:input': 1000, 'tokens:m-kill:output': 4000 }),
  };
  try {
    const first = await spawnRunyard(['--database', db], env, 60_000);
    await api(first.url, '/v1/credits/grants', { amount_micro: 100_000_000, reason: 'test' });
    const table = await api(first.url, '/v1/tables', {
      name: 'tickets',
      format: 'csv',
      data: `id\n${Array.from({ length: ROWS }, (_, i) => `t${i}`).join('\n')}\n`,
    });
    const tableId = String(table.id);
    await api(first.url, `/v1/tables/${tableId}/columns`, {
      name: 'answer',
      producer: 'llm',
      profile: 'small',
      config: { model: 'm-kill', base_url: fake.baseUrl, api_key_env: 'K', user: 'Ticket {{id}}', max_output_tokens: 32, max_input_tokens: 128 },
    });
    const run = await api(first.url, `/v1/tables/${tableId}/columns/answer/runs`, { overrides: { secrets: { K: KEY } } });
    const runId = String(run.id);
    for (;;) {
      const r = await api(first.url, `/v1/runs/${runId}`);
      if (Number(r.items_succeeded) >= ROWS / 4 && Number(r.items_running) > 0) break;
      assert.ok(!['succeeded', 'partial', 'failed'].includes(String(r.status)), `the run ended before the kill: ${JSON.stringify(r)}`);
      await new Promise((res) => setTimeout(res, 20));
    }
    await first.kill('SIGKILL');
    const snap = new Database(db, { readonly: true });
    const inFlight = (snap.prepare("SELECT COUNT(*) AS n FROM items WHERE run_id = ? AND status = 'running'").get(runId) as { n: number }).n;
    snap.close();
    assert.ok(inFlight > 0, 'some streams were in flight at the kill');

    const second = await spawnRunyard(['--database', db], env, 60_000);
    try {
      let final: Record<string, unknown>;
      const deadline = Date.now() + 90_000;
      for (;;) {
        final = await api(second.url, `/v1/runs/${runId}`);
        if (['succeeded', 'partial', 'failed', 'canceled'].includes(String(final.status))) break;
        assert.ok(Date.now() < deadline, `run still ${String(final.status)} 90 s after the restart`);
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.equal(final.status, 'succeeded', JSON.stringify(final));
      assert.equal(final.items_succeeded, ROWS);
      assert.ok(!JSON.stringify(final).includes(KEY));

      const check = new Database(db, { readonly: true });
      try {
        const cells = check.prepare("SELECT value FROM cells WHERE status = 'succeeded'").all() as { value: string }[];
        assert.equal(cells.length, ROWS, 'one answer per row');
        assert.deepEqual(new Set(cells.map((c) => JSON.parse(c.value) as string)).size, ROWS);
        const doubled = check.prepare("SELECT item_id FROM ledger_entries WHERE kind = 'capture' GROUP BY item_id HAVING COUNT(*) > 1").all();
        assert.deepEqual(doubled, [], 'never captured twice for one item');
        const sums = Object.fromEntries(
          (
            check.prepare('SELECT kind, SUM(amount) AS total FROM ledger_entries WHERE run_id = ? GROUP BY kind').all(runId) as {
              kind: string;
              total: number;
            }[]
          ).map((r) => [r.kind, Number(r.total)]),
        );
        const perItem = Math.ceil((20 * 1000) / 1000) + Math.ceil((5 * 4000) / 1000);
        assert.equal(sums.capture, perItem * ROWS, 'each item captured its usage once');
        assert.ok((sums.capture ?? 0) <= (sums.reserve ?? 0), 'captured ≤ reserved');
        assert.equal(sums.reserve, (sums.capture ?? 0) + (sums.release ?? 0), 'the run reconciles');
        const account = check.prepare('SELECT outstanding FROM credit_accounts').get() as { outstanding: number };
        assert.equal(Number(account.outstanding), 0);
      } finally {
        check.close();
      }
      // Only the streams cut by the kill were called again.
      const total = [...calls.values()].reduce((a, b) => a + b, 0);
      assert.equal(calls.size, ROWS);
      assert.ok(total - ROWS <= inFlight, `${total - ROWS} repeated calls ≤ ${inFlight} items in flight at the kill`);
    } finally {
      await second.kill('SIGTERM');
    }
  } finally {
    await fake.close();
  }
});
