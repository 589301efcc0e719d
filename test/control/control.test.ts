/**
 * Run control on a real `runyard up` process: pause/resume, cancel, retry-failed, rerun, dry
 * runs and smoke tests, waiting reasons, and the bad-input answers of each control. Twice: with
 * the items executed by `up`, and by a separate `runyard worker` process (`up --no-executor`).
 * The worker heartbeats every 300 ms: a node learns of a cancel made on another node at its
 * next heartbeat, and the cancel test asks for producers aborted within 1 s.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { harness, type Harness, type HarnessMode, type Json } from './harness.js';

const rows = (n: number, kind = 'ok', ms = 5) => Array.from({ length: n }, (_, i) => ({ n: i, kind, ms }));
const seqOf = (events: Json[], type: string) => events.filter((e) => e.type === type).map((e) => Number(e.seq));

const MODES: [string, HarnessMode][] = [
  ['executed by up', {}],
  ['executed by a worker process', { worker: true, workerArgs: ['--heartbeat-ms', '300', '--lease-ms', '3000', '--poll-ms', '50'] }],
];

/** Run control, with the items executed as `mode` says. */
const runControl = (mode: HarnessMode) => () => {
  let h: Harness;
  before(async () => {
    h = await harness({ RUNYARD_PROFILES: JSON.stringify({ once: { concurrency: 8, item_timeout_ms: 10_000, max_attempts: 1 } }) }, [], mode);
  });
  after(async () => h.close());

  test('pause/resume toggled 100 times ends like an uninterrupted run; nothing is claimed while paused', { timeout: 120_000 }, async () => {
    // 300 items of 40 ms at concurrency 8: about 1.5 s of work, so the 100 toggles land while
    // the run is under way even when every API call is slow on a busy machine (at 8 ms a
    // stressed machine finished the run after 15 toggles).
    const tableId = await h.table('toggle', rows(300, 'ok', 40));
    const reference = await h.start(tableId, { name: 'uninterrupted' });
    const ref = await h.waitTerminal(String(reference.id));
    const run = await h.start(tableId, { name: 'toggled' });
    const id = String(run.id);
    let toggles = 0;
    for (let i = 0; i < 100; i++) {
      const p = await h.call('POST', `/v1/runs/${id}/pause`);
      if (p.status === 409) break; // finished already: a terminal run cannot be paused
      assert.equal(p.status, 200, JSON.stringify(p.json));
      assert.equal(p.json.status, 'paused');
      await new Promise((r) => setTimeout(r, Math.random() * 10));
      const r = await h.call('POST', `/v1/runs/${id}/resume`);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      toggles++;
      await new Promise((res) => setTimeout(res, Math.random() * 10));
    }
    assert.ok(toggles >= 20, `the run lasted through ${toggles} toggles`);
    const done = await h.waitTerminal(id);
    assert.equal(done.status, ref.status);
    assert.equal(done.items_succeeded, 300);
    const a = (await h.items(String(reference.id))).map((i) => [i.key, i.status, JSON.stringify(i.outputs)]);
    const b = (await h.items(id)).map((i) => [i.key, i.status, JSON.stringify(i.outputs)]);
    assert.deepEqual(b, a, 'same item outcomes and outputs as the uninterrupted run');
    // Between each run.paused and the next run.resumed, no item.started.
    const events = await h.events(id);
    let paused = false;
    for (const e of events) {
      if (e.type === 'run.paused') paused = true;
      else if (e.type === 'run.resumed') paused = false;
      else if (e.type === 'item.started') assert.equal(paused, false, `item ${String(e.item_id)} claimed while paused (seq ${String(e.seq)})`);
    }
    assert.equal(seqOf(events, 'run.paused').length, toggles);
  });

  test(
    'cancel at random moments in 20 runs: every unfinished item canceled, none claimed after, producers aborted within 1 s',
    { timeout: 120_000 },
    async () => {
      const tableId = await h.table('cancel', rows(60, 'ok', 40));
      for (let i = 0; i < 20; i++) {
        const run = await h.start(tableId, { name: `cancel ${i}` });
        const id = String(run.id);
        await new Promise((r) => setTimeout(r, Math.random() * 400));
        const asked = Date.now();
        const res = await h.call('POST', `/v1/runs/${id}/cancel`);
        if (res.status === 409) {
          assert.equal(res.json.error?.details.status, 'succeeded', 'only a finished run refuses');
          continue;
        }
        assert.equal(res.status, 200);
        assert.equal(res.json.status, 'canceled');
        const succeededAtCancel = Number(res.json.items_succeeded);
        const again = await h.call('POST', `/v1/runs/${id}/cancel`);
        assert.equal(again.status, 200, 'cancelling twice is one transition');
        await new Promise((r) => setTimeout(r, 300));
        const done = (await h.call('GET', `/v1/runs/${id}`)).json;
        assert.equal(done.status, 'canceled');
        assert.equal(done.items_succeeded, succeededAtCancel, 'no late result counted after the cancel');
        assert.equal(Number(done.items_succeeded) + Number(done.items_canceled), 60);
        const items = await h.items(id);
        assert.ok(items.every((it) => it.status === 'succeeded' || it.status === 'canceled'));
        const events = await h.events(id);
        const cancelSeq = seqOf(events, 'run.canceled');
        assert.equal(cancelSeq.length, 1, 'one run.canceled event');
        assert.deepEqual(
          seqOf(events, 'item.started').filter((s) => s > (cancelSeq[0] ?? 0)),
          [],
          'no claim after the cancel',
        );
        const inFlight = items.filter((it) => it.status === 'canceled' && it.started_at !== null).map((it) => String(it.key));
        for (const a of h.aborts().filter((x) => inFlight.includes(x.key) && x.at >= asked)) {
          assert.ok(a.at - asked <= 1000, `abort fired ${a.at - asked} ms after the cancel`);
        }
      }
      const finished = await h.call('GET', '/v1/runs?status=succeeded&name=cancel');
      for (const r of finished.json.data as Json[]) {
        const res = await h.call('POST', `/v1/runs/${String(r.id)}/cancel`);
        assert.equal(res.status, 409);
        assert.equal(res.json.error?.code, 'illegal_transition');
        assert.match(res.json.error?.message ?? '', /succeeded/);
      }
    },
  );

  test('retry-failed re-executes exactly the failed set; concurrent retries make one', { timeout: 60_000 }, async () => {
    writeFileSync(join(h.dir, 'fail-trans'), '');
    const data = [
      ...rows(40, 'ok', 2).map((r) => ({ ...r, n: r.n })),
      // Slow enough that a retried permanent failure cannot fail again before the second of the
      // two concurrent retry requests is answered (a worker process claims within its poll).
      ...rows(10, 'perm', 500).map((r) => ({ ...r, n: 100 + r.n })),
      ...rows(10, 'trans').map((r) => ({ ...r, n: 200 + r.n })),
    ];
    const tableId = await h.table('retry', data, 'once');
    const run = await h.start(tableId);
    const id = String(run.id);
    const first = await h.waitTerminal(id);
    assert.equal(first.status, 'partial');
    assert.equal(first.items_failed, 20);
    const failedKeys = new Set((await h.items(id, 'failed')).map((i) => String(i.inputs && (i.inputs as { input: { n: string } }).input.n)));
    assert.equal(failedKeys.size, 20);
    const before = h.calls().length;
    rmSync(join(h.dir, 'fail-trans'));
    const [a, b] = await Promise.all([h.call('POST', `/v1/runs/${id}/retry-failed`), h.call('POST', `/v1/runs/${id}/retry-failed`)]);
    const statuses = [a.status, b.status].sort();
    assert.deepEqual(statuses, [200, 422], 'two concurrent retries make one');
    const ok = a.status === 200 ? a : b;
    const refused = a.status === 200 ? b : a;
    assert.equal(ok.json.retried, 20);
    assert.equal(refused.json.error?.code, 'nothing_to_retry');
    const done = await h.waitTerminal(id);
    assert.equal(done.status, 'partial');
    assert.equal(done.items_failed, 10);
    assert.equal(done.items_succeeded, 50);
    const retriedCalls = h.calls().slice(before);
    assert.deepEqual(new Set(retriedCalls.map((c) => c.key)), failedKeys, 'exactly the failed set ran again');
    assert.equal(retriedCalls.length, 20);
    assert.ok(
      retriedCalls.every((c) => c.attempt === 2),
      'attempt history kept: the retry is attempt 2',
    );
    const empty = await h.call('POST', `/v1/runs/${id}/retry-failed`);
    assert.equal(empty.status, 200, 'the 10 permanent failures can be retried again');
    await h.waitTerminal(id);
  });

  test('rerun makes a new run with retry_of and the same inputs', { timeout: 30_000 }, async () => {
    const tableId = await h.table('rerun', rows(5));
    const run = await h.start(tableId);
    await h.waitTerminal(String(run.id));
    const again = await h.call('POST', `/v1/runs/${String(run.id)}/rerun`, { pin: 'version' });
    assert.equal(again.status, 201);
    assert.equal(again.json.retry_of, run.id);
    const done = await h.waitTerminal(String(again.json.id));
    assert.equal(done.items_succeeded, 5);
    const a = (await h.items(String(run.id))).map((i) => JSON.stringify(i.inputs));
    const b = (await h.items(String(again.json.id))).map((i) => JSON.stringify(i.inputs));
    assert.deepEqual(b, a);
    const current = await h.call('POST', `/v1/runs/${String(run.id)}/rerun`, { pin: 'current' });
    assert.equal(current.status, 201);
    assert.equal(current.json.retry_of, run.id);
    const manual = await h.call('POST', '/v1/runs', {
      target: { type: 'column', table_id: tableId, column: 'rec' },
      prompt: 'again',
      overrides: { env: { MODE: 'x' }, secrets: { API_TOKEN: 'canary-rerun-secret' } },
    });
    assert.equal(manual.status, 201, JSON.stringify(manual.json));
    await h.waitTerminal(String(manual.json.id));
    for (const pin of ['version', 'current']) {
      const copy = await h.call('POST', `/v1/runs/${String(manual.json.id)}/rerun`, { pin });
      assert.equal(copy.status, 201);
      assert.equal(copy.json.prompt, 'again');
      assert.deepEqual(copy.json.overrides, { env: { MODE: 'x' }, secret_names: ['API_TOKEN'] }, 'a rerun carries env and sealed secrets');
      assert.ok(!JSON.stringify(copy.json).includes('canary-rerun-secret'));
    }
    const bad = await h.call('POST', `/v1/runs/${String(run.id)}/rerun`, { pin: 'yesterday' });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.error?.details.field, 'pin');
  });

  test('bad input: unknown profile and run, illegal transitions name the status', async () => {
    const tableId = await h.table('bad', rows(2));
    const unknown = await h.call('POST', `/v1/tables/${tableId}/columns/rec/runs`, { profile: 'gigantic' });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.json.error?.details.field, 'profile');
    assert.match(unknown.json.error?.message ?? '', /once/, 'custom profiles are listed');
    for (const action of ['pause', 'resume', 'cancel', 'retry-failed', 'rerun']) {
      const r = await h.call('POST', `/v1/runs/run_missing/${action}`);
      assert.equal(r.status, 404, action);
    }
    const run = await h.start(tableId);
    const done = await h.waitTerminal(String(run.id));
    assert.equal(done.status, 'succeeded');
    for (const action of ['pause', 'resume']) {
      const r = await h.call('POST', `/v1/runs/${String(run.id)}/${action}`);
      assert.equal(r.status, 409, action);
      assert.equal(r.json.error?.details.status, 'succeeded');
    }
    const retry = await h.call('POST', `/v1/runs/${String(run.id)}/retry-failed`);
    assert.equal(retry.status, 409);
    const smoke = await h.call('POST', `/v1/tables/${tableId}/columns/rec/runs`, { smoke_test_items: 3 });
    assert.equal(smoke.status, 422);
    assert.equal(smoke.json.error?.details.field, 'smoke_test_items');
  });

  test('waiting reasons: paused, then progressing; nodes are listed', async () => {
    const tableId = await h.table('waiting', rows(40, 'ok', 30));
    const run = await h.start(tableId);
    const paused = await h.call('POST', `/v1/runs/${String(run.id)}/pause`);
    assert.equal((paused.json.waiting_reason as Json | null)?.code, 'paused');
    const listed = await h.call('GET', '/v1/runs?status=paused');
    assert.ok((listed.json.data as Json[]).some((r) => r.id === run.id && (r.waiting_reason as Json).code === 'paused'));
    await h.call('POST', `/v1/runs/${String(run.id)}/resume`);
    const done = await h.waitTerminal(String(run.id));
    assert.equal(done.waiting_reason, null);
    const nodes = await h.call('GET', '/v1/nodes');
    const alive = (nodes.json.data as Json[]).filter((n) => n.alive);
    assert.equal(alive.length, 1);
    assert.equal(alive[0]?.pid, (h.worker ?? h.ry).pid, 'the executing process is the one node alive');
  });
};

/** Dry runs and smoke tests, with the items executed as `mode` says. */
const modes = (mode: HarnessMode) => () => {
  let h: Harness;
  before(async () => {
    h = await harness({}, [], mode);
  });
  after(async () => h.close());

  test('a dry run of shell and http columns executes nothing; a smoke test runs only the first N', { timeout: 60_000 }, async () => {
    const { createServer } = await import('node:http');
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const t = await h.call('POST', '/v1/tables', { name: 'modes', format: 'csv', data: `n\n${Array.from({ length: 20 }, (_, i) => i).join('\n')}\n` });
    const tableId = String(t.json.id);
    const marker = join(h.dir, 'marker');
    await h.call('POST', `/v1/tables/${tableId}/columns`, { name: 'touch', producer: 'shell', config: { command: 'touch', args: [`${marker}-{{n}}`] } });
    await h.call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'ping',
      producer: 'http',
      config: { method: 'POST', url: `http://127.0.0.1:${port}/hit/{{n}}`, body: { n: '{{n}}' } },
    });
    for (const col of ['touch', 'ping']) {
      const run = (await h.call('POST', `/v1/tables/${tableId}/columns/${col}/runs`, { mode: 'dry_run' })).json;
      assert.equal(run.mode, 'dry_run');
      const done = await h.waitTerminal(String(run.id));
      assert.equal(done.status, 'succeeded');
      assert.equal(done.items_succeeded, 20);
      const items = await h.items(String(run.id));
      assert.equal((items[3]?.outputs as { dry_run: boolean }).dry_run, true);
      const rowsPage = (await h.call('GET', `/v1/tables/${tableId}/rows?limit=1`)).json.data as Json[];
      const cell = await h.call('GET', `/v1/tables/${tableId}/cells/${String(rowsPage[0]?.id)}/${col}`);
      assert.equal(cell.status, 404, 'a dry run writes no cell');
    }
    assert.equal(requests, 0, 'the listener saw no request');
    assert.equal(Array.from({ length: 20 }, (_, i) => existsSync(`${marker}-${i}`)).some(Boolean), false, 'no marker file was created');
    const listed = await h.call('GET', '/v1/runs?mode=dry_run');
    assert.equal((listed.json.data as Json[]).length, 2);

    const smoke = (await h.call('POST', `/v1/tables/${tableId}/columns/touch/runs`, { mode: 'smoke_test', smoke_test_items: 3 })).json;
    const done = await h.waitTerminal(String(smoke.id));
    assert.equal(done.status, 'succeeded');
    assert.equal(done.items_succeeded, 3);
    assert.equal(done.items_skipped, 17);
    assert.deepEqual(
      Array.from({ length: 20 }, (_, i) => existsSync(`${marker}-${i}`)),
      Array.from({ length: 20 }, (_, i) => i < 3),
    );
    server.close();
  });
};

for (const [where, mode] of MODES) {
  describe(`run control (real process, ${where})`, runControl(mode));
  describe(`modes (real process, ${where})`, modes(mode));
}

describe('waiting reason with no executor', () => {
  test('a run on a server without an executor says no node is alive', { timeout: 30_000 }, async () => {
    const h = await harness({}, ['--no-executor']);
    try {
      const tableId = await h.table('idle', rows(2));
      const run = await h.start(tableId);
      assert.equal(run.status, 'queued');
      assert.equal((run.waiting_reason as Json).code, 'no_node_alive');
      assert.match(String((run.waiting_reason as Json).message), /runyard up|runyard worker/);
    } finally {
      await h.close();
    }
  });
});
