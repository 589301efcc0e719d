/**
 * R5 on PostgreSQL: the database is stopped with an immediate shutdown (no checkpoint, like a
 * crash) in the middle of a run executed by two `runyard worker` processes, with a
 * `runyard up --no-executor` API node in front. While it is down the API answers 503
 * database_unavailable and the nodes keep running; after the restart they reconnect with
 * backoff and finish. Every write acknowledged before the stop is still there: the items seen
 * succeeded, and a run the API accepted (2xx) just before the stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from '../helpers/fixtures.js';
import { spawnRunyard } from '../helpers/proc.js';
import { postgresForFile } from '../helpers/postgres.js';
import { authFetch } from '../helpers/auth.js';
import { assertRunIntact, readCalls, recorderModule, spawnWorker, type WorkerProcess } from '../helpers/cluster.js';

const ROWS = 4000;
const OUTAGE_MS = 3000;
const RECONNECT_LIMIT_MS = 30_000;
// A durable server of this file's own: the test stops and restarts it.
const postgres = postgresForFile({ durable: true, embedded: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let token: string | undefined;

async function call(base: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const init: RequestInit = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const res = await authFetch(token)(`${base}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
async function ok(base: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await call(base, path, body);
  assert.ok(r.status < 300, `${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

test('PostgreSQL stopped (immediate) and restarted mid-run: nodes reconnect and finish; acknowledged writes survive', { timeout: 180_000 }, async () => {
  const server = await postgres();
  const url = await server.createDatabase();
  const dir = tempDir('runyard-pg-restart-');
  const calls = join(dir, 'calls.log');
  const module = recorderModule(dir, calls);
  const api = await spawnRunyard(['--database', url, '--no-executor'], { RUNYARD_JS_DIR: dir });
  token = api.token;
  const workers: WorkerProcess[] = [];
  try {
    const table = await ok(api.url, '/v1/tables', { name: 'nums', format: 'csv', data: `n\n${Array.from({ length: ROWS }, (_, i) => i).join('\n')}\n` });
    const tableId = String(table.id);
    for (const name of ['echo', 'again'])
      await ok(api.url, `/v1/tables/${tableId}/columns`, { name, producer: 'js', config: { module, input: { n: '{{n}}' } } });
    const first = String((await ok(api.url, `/v1/tables/${tableId}/columns/echo/runs`, {})).id);
    for (let i = 0; i < 2; i++) workers.push(await spawnWorker(url, [], { RY_SLEEP_MIN_MS: '5', RY_SLEEP_MAX_MS: '25' }));

    for (;;) {
      const r = await ok(api.url, `/v1/runs/${first}`);
      if (Number(r.items_succeeded) >= ROWS * 0.3) break;
      await sleep(20);
    }
    // Acknowledged just before the stop: a second run (2xx), and every item seen succeeded.
    const second = String((await ok(api.url, `/v1/tables/${tableId}/columns/again/runs`, { name: 'acknowledged' })).id);
    const seen = await server.query<{ id: string; attempt_count: number; outputs: string }>(
      url,
      "SELECT id, attempt_count, outputs FROM items WHERE run_id = $1 AND status = 'succeeded' ORDER BY id",
      [first],
    );
    assert.ok(seen.length < ROWS, 'the stop comes mid-run');

    await server.stopImmediate();
    const stoppedAt = Date.now();
    const during = await call(api.url, `/v1/runs/${first}`);
    assert.equal(during.status, 503, JSON.stringify(during.json));
    assert.equal((during.json.error as { code?: string }).code, 'database_unavailable');
    assert.match(String((during.json.error as { message?: string }).message), new RegExp(server.where.replace(/\./g, '\\.')));
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));
    for (const w of workers) assert.equal(w.proc.exitCode, null, `worker ${w.pid} survived the outage; stderr: ${w.stderr()}`);
    await server.restart();
    const restartedAt = Date.now();

    const deadline = Date.now() + 120_000;
    for (const id of [first, second]) {
      for (;;) {
        const r = await call(api.url, `/v1/runs/${id}`).catch(() => undefined);
        if (r?.status === 200 && ['succeeded', 'partial', 'failed', 'canceled'].includes(String(r.json.status))) {
          assert.equal(r.json.status, 'succeeded');
          break;
        }
        assert.ok(Date.now() < deadline, `run ${id} did not finish within 120 s of the restart`);
        await sleep(200);
      }
    }
    await assertRunIntact(server, url, first, ROWS);
    await assertRunIntact(server, url, second, ROWS);
    const after = await server.query<{ id: string; attempt_count: number; outputs: string }>(
      url,
      `SELECT id, attempt_count, outputs FROM items WHERE run_id = $1 AND id = ANY($2) ORDER BY id`,
      [first, seen.map((s) => s.id)],
    );
    assert.deepEqual(after, seen, 'every item acknowledged as succeeded before the stop is unchanged');

    const starts = readCalls(calls).filter((c) => c.what === 'start');
    for (const w of workers) {
      const resumed = starts.find((c) => c.pid === w.pid && c.at > restartedAt);
      assert.ok(resumed, `worker ${w.pid} worked again after the restart`);
      assert.ok(resumed.at - restartedAt <= RECONNECT_LIMIT_MS, `worker ${w.pid} resumed ${resumed.at - restartedAt} ms after the restart`);
    }
    console.log(
      `# postgres restart: ${seen.length} acknowledged successes kept, ` +
        `nodes resumed ${Math.max(...workers.map((w) => starts.find((c) => c.pid === w.pid && c.at > restartedAt)!.at - restartedAt))} ms after the restart, ` +
        `${starts.length - 2 * ROWS} duplicate calls over the two runs`,
    );
  } finally {
    for (const w of workers) await w.kill('SIGTERM');
    await api.kill('SIGTERM');
  }
  for (const w of workers) assert.deepEqual(await w.exited, { code: 0, signal: null }, w.stderr());
});
