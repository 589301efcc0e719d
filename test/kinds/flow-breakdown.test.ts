/**
 * The duration breakdown of real flow runs through the HTTP API, on both databases (issue 13):
 * 100 random small flows (fast-check, fixed seed; 10 at a time) — 1 to 4 js tool steps, sometimes a step that
 * fails once and backs off before its retry, sometimes an input step answered after a random
 * delay, sometimes a pause of a random length — run concurrently on a real executor; for each,
 * `GET /v1/runs/{id}/timeline` gives a breakdown whose parts add up to the run's duration
 * (finished_at − created_at) within 1 ms, with the wait, the pause and the backoff each counted
 * at least as long as the test made them last. (The pure function gets 1,000 random event
 * sequences in test/core/run-breakdown.test.ts.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import fc from 'fast-check';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { createApp } from '../../src/server/app.js';
import { tokenFor } from '../helpers/auth.js';
import { describeEachBackend } from '../helpers/backends.js';
import { FAST, tempDir, until, writeModule } from '../helpers/fixtures.js';

type Json = Record<string, unknown>;

/** Real runs per database (the pure function's property covers 1,000 random sequences). */
const RUNS = 100;
/**
 * Leases of the default length: with FAST's 1.5 s, a busy machine let leases lapse, and a
 * flaky step's first failure then came back through lease recovery instead of a backoff.
 */
const LEASES = { leaseMs: 10_000, heartbeatMs: 1_000 };
/** Runs driven at once. */
const AT_ONCE = 10;

interface Shape {
  tools: number;
  flaky: boolean;
  input: boolean;
  answerAfterMs: number;
  pauseForMs: number | null;
}

const shapeArb: fc.Arbitrary<Shape> = fc.record({
  tools: fc.integer({ min: 1, max: 4 }),
  flaky: fc.boolean(),
  input: fc.boolean(),
  answerAfterMs: fc.integer({ min: 0, max: 400 }),
  pauseForMs: fc.option(fc.integer({ min: 50, max: 400 }), { nil: null }),
});

function definitionOf(s: Shape, n: number): Json {
  const steps: Json[] = [];
  for (let i = 0; i < s.tools; i++) steps.push({ id: `t${i}`, type: 'tool', producer: 'js', config: { module: 'noop.mjs', input: { i } } });
  if (s.flaky)
    steps.push({ id: 'flaky', type: 'tool', producer: 'js', retry: { max_attempts: 2 }, config: { module: 'flaky.mjs', input: { key: `run-${n}` } } });
  if (s.input) steps.push({ id: 'ask', type: 'input', phase: 'triage', prompt: 'go on?' });
  steps.push({ id: 'sum', type: 'summarize', phase: 'summarizing', text: `flow ${n}` });
  return { name: `random flow ${n}`, steps };
}

describeEachBackend('flow duration breakdown through the HTTP API', (backend) => {
  let engine: Engine;
  let server: ServerType;
  let base: string;
  let token: string;

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json; text: string }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, text };
  }

  before(async () => {
    const dir = tempDir();
    writeModule(dir, 'noop.mjs', 'export default (input) => input;');
    writeModule(
      dir,
      'flaky.mjs',
      `import { existsSync, writeFileSync } from 'node:fs';
       export default (input) => {
         const marker = new URL('./' + input.key + '.tried', import.meta.url);
         if (!existsSync(marker)) { writeFileSync(marker, 'x'); throw new Error('first attempt fails'); }
         return { ok: true };
       };`,
    );
    const { store } = await backend.open();
    engine = createEngine({ store, producers: createProducerRegistry({ baseDir: dir }), options: { ...FAST, ...LEASES } });
    token = await tokenFor(engine, 'admin');
    // The test polls hard from one token: the API's per-token rate limit is not under test here.
    const app = createApp(engine, { baseUrl: () => base, limits: { ratePerSecond: 1e9, burst: 1e9, maxStreams: 1000 } });
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await engine.startExecutor();
  });

  after(async () => {
    await engine.stopExecutor();
    await new Promise<void>((r) => server.close(() => r()));
    await engine.store.close();
  });

  /** Runs one random flow, driving its pause and its answer; returns what the test made last. */
  async function drive(s: Shape, n: number): Promise<{ runId: string; paused: number; answered: number }> {
    const created = await call('POST', '/v1/flows', { definition: definitionOf(s, n) });
    assert.equal(created.status, 201, created.text);
    const started = await call('POST', `/v1/flows/${created.json.id as string}/runs`, {});
    assert.equal(started.status, 201, started.text);
    const runId = started.json.id as string;
    let paused = 0;
    if (s.pauseForMs !== null) {
      const p = await call('POST', `/v1/runs/${runId}/pause`);
      if (p.status === 200 && p.json.status === 'paused') {
        const t = Date.now();
        // The pause's length is the random input under test, not a synchronisation.
        await new Promise((r) => setTimeout(r, s.pauseForMs!));
        const r = await call('POST', `/v1/runs/${runId}/resume`);
        assert.equal(r.status, 200, r.text);
        paused = Date.now() - t;
      }
    }
    let answered = 0;
    if (s.input) {
      const wait = await until(`run ${runId} to wait`, 120_000, async () => {
        const w = await call('GET', `/v1/waits?status=open&run_id=${runId}`);
        assert.equal(w.status, 200, w.text);
        return (w.json.data as Json[])[0];
      }).catch(async (err: unknown) => {
        const run = (await call('GET', `/v1/runs/${runId}`)).text;
        const events = ((await call('GET', `/v1/runs/${runId}/events?limit=200`)).json.data as Json[]).map(
          (e) => `${e.type as string} ${JSON.stringify(e.data)}`,
        );
        throw new Error(`${String(err)}\nrun: ${run}\nevents:\n${events.join('\n')}`);
      });
      const t = Date.now();
      await new Promise((r) => setTimeout(r, s.answerAfterMs));
      const a = await call('POST', `/v1/waits/${wait.id as string}/responses`, {});
      assert.equal(a.status, 200, a.text);
      answered = Date.now() - t;
    }
    await until(`run ${runId} to finish`, 180_000, async () => {
      const r = await call('GET', `/v1/runs/${runId}`);
      return ['succeeded', 'partial', 'failed', 'canceled'].includes(r.json.status as string) ? r.json : undefined;
    });
    return { runId, paused, answered };
  }

  test(`${RUNS} random flows: the breakdown adds up to each run's duration within 1 ms`, { timeout: 480_000 }, async (t) => {
    const started = Date.now();
    const shapes = fc.sample(shapeArb, { numRuns: RUNS, seed: 13 });
    // Make sure each part is exercised at least once, whatever the sample.
    shapes[0] = { ...shapes[0]!, flaky: true, input: true, pauseForMs: 200 };
    shapes[1] = { ...shapes[1]!, flaky: true, pauseForMs: null };
    const results: Awaited<ReturnType<typeof drive>>[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: AT_ONCE }, async () => {
        while (next < shapes.length) {
          const n = next++;
          results[n] = await drive(shapes[n]!, n);
        }
      }),
    );
    for (const [n, r] of results.entries()) {
      const s = shapes[n]!;
      const run = (await call('GET', `/v1/runs/${r.runId}`)).json;
      assert.equal(run.status, 'succeeded', JSON.stringify(run));
      const tl = await call('GET', `/v1/runs/${r.runId}/timeline`);
      assert.equal(tl.status, 200, tl.text);
      const b = tl.json.breakdown as Record<string, number | boolean>;
      const duration = Date.parse(run.finished_at as string) - Date.parse(run.created_at as string);
      const sum = ['queued_ms', 'running_ms', 'waiting_for_input_ms', 'paused_ms', 'backing_off_ms', 'idle_ms'].reduce((a, k) => a + (b[k] as number), 0);
      const what = `flow ${n} ${JSON.stringify(s)}: ${JSON.stringify(b)}`;
      assert.equal(b.complete, true, what);
      assert.ok(Math.abs(sum - duration) <= 1, `parts ${sum} vs duration ${duration}: ${what}`);
      assert.ok(Math.abs((b.total_ms as number) - duration) <= 1, what);
      assert.equal(b.idle_ms, 0, what);
      // Each part the test caused is counted at least as long as it lasted (less scheduling slack).
      if (s.input) assert.ok((b.waiting_for_input_ms as number) >= s.answerAfterMs - 5, what);
      else assert.equal(b.waiting_for_input_ms, 0, what);
      if (r.paused > 0) assert.ok((b.paused_ms as number) >= s.pauseForMs! - 5, what);
      else assert.equal(b.paused_ms, 0, what);
      // A backoff that fell inside the pause counts as paused; a first failure that came back
      // through lease recovery (no item.retrying) had no backoff to count.
      const events = ((await call('GET', `/v1/runs/${r.runId}/events?limit=200`)).json.data as Json[]).map((e) => e.type);
      if (s.flaky && r.paused === 0 && events.includes('item.retrying')) assert.ok((b.backing_off_ms as number) > 0, `a retried step backs off: ${what}`);
      if (!s.flaky) assert.equal(b.backing_off_ms, 0, what);
      assert.ok((b.running_ms as number) > 0, what);
    }
    t.diagnostic(`${RUNS} flows on ${backend.name} in ${Date.now() - started} ms`);
  });
});
