/**
 * Credits on a real `runyard up` process with prices set: the admission race (balance 1,000,
 * twenty runs needing 100 each, grants arriving meanwhile), budgets, bad input, usage windows and
 * provider summaries, and the ledger replay. Twice: with the items executed by `up` itself, and
 * by a separate `runyard worker` process (`up --no-executor`): every node charges alike.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, type Harness, type HarnessMode, type Json } from '../control/harness.js';
import { spawnRunyard } from '../helpers/proc.js';
import { tempDir } from '../helpers/fixtures.js';

const CREDIT = 1_000_000;
const PRICE = 100 * CREDIT; // one js call costs 100 credits

const MODES: [string, HarnessMode][] = [
  ['executed by up', {}],
  ['executed by a worker process', { worker: true }],
];

/** The suite, with the items executed as `mode` says. */
const creditsSuite = (mode: HarnessMode) => () => {
  let h: Harness;
  before(async () => {
    h = await harness({ RUNYARD_PRICES: JSON.stringify({ js_call: PRICE }) }, [], mode);
  });
  after(async () => h.close());

  const balance = async () => (await h.call('GET', '/v1/credits/balance')).json;

  test('admission race: exactly what the balance covers starts, available never < 0, grants admit more', { timeout: 90_000 }, async () => {
    const grant = await h.call('POST', '/v1/credits/grants', { amount_micro: 1000 * CREDIT, reason: 'plan' });
    assert.equal(grant.status, 201);
    assert.equal(grant.json.available_micro, 1000 * CREDIT);
    const tableId = await h.table('race', [{ n: 1, kind: 'ok', ms: 2500 }], 'small');
    let sampling = true;
    const samples: number[] = [];
    const sampler = (async () => {
      while (sampling) {
        samples.push(Number((await balance()).available_micro));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const runs = await Promise.all(Array.from({ length: 20 }, () => h.start(tableId)));
    await new Promise((r) => setTimeout(r, 700));
    let listed = (await h.call('GET', '/v1/runs?name=race&limit=100')).json.data as Json[];
    assert.equal(listed.filter((r) => r.status === 'running').length, 10, 'exactly 10 runs admitted');
    const waiting = listed.filter((r) => r.status === 'queued');
    assert.equal(waiting.length, 10);
    assert.ok(waiting.every((r) => (r.waiting_reason as Json).code === 'insufficient_credits'));
    // Grants arrive while the first ten hold their reservations.
    await Promise.all([
      h.call('POST', '/v1/credits/grants', { amount_micro: 150 * CREDIT }),
      h.call('POST', '/v1/credits/grants', { amount_micro: 100 * CREDIT }),
    ]);
    await new Promise((r) => setTimeout(r, 700));
    listed = (await h.call('GET', '/v1/runs?name=race&limit=100')).json.data as Json[];
    assert.equal(listed.filter((r) => r.status !== 'queued').length, 12, 'the grants admitted exactly two more');
    for (const r of runs.filter((x) => listed.find((l) => l.id === x.id)?.status !== 'queued')) await h.waitTerminal(String(r.id));
    sampling = false;
    await sampler;
    assert.ok(samples.length > 20);
    assert.ok(
      samples.every((s) => s >= 0),
      `available never below zero (min ${Math.min(...samples)})`,
    );
    const b = await balance();
    assert.equal(b.granted_micro, 1250 * CREDIT);
    assert.equal(b.captured_micro, 1200 * CREDIT);
    assert.equal(b.outstanding_micro, 0);
    assert.equal(b.available_micro, 50 * CREDIT);
    for (const r of (await h.call('GET', '/v1/runs?name=race&status=succeeded&limit=100')).json.data as Json[]) {
      assert.equal(r.credits_reserved_micro, Number(r.credits_used_micro) + Number(r.credits_released_micro));
      assert.equal(r.credits_used_micro, PRICE);
    }
    // The 8 still waiting are canceled; nothing was reserved for them.
    for (const r of listed.filter((x) => x.status === 'queued')) assert.equal((await h.call('POST', `/v1/runs/${String(r.id)}/cancel`)).status, 200);
    assert.equal((await balance()).available_micro, 50 * CREDIT);
  });

  test('a budget pauses the run when reached; cancel releases the rest; the ledger reconciles', { timeout: 60_000 }, async () => {
    await h.call('POST', '/v1/credits/grants', { amount_micro: 2000 * CREDIT });
    const tableId = await h.table(
      'budget',
      Array.from({ length: 10 }, (_, n) => ({ n, kind: 'ok', ms: 5 })),
      'small',
    );
    const run = await h.start(tableId, { budget_micro: 350 * CREDIT });
    assert.equal(run.budget_micro, 350 * CREDIT);
    let r: Json = run;
    for (let i = 0; i < 200 && r.status !== 'paused'; i++) {
      await new Promise((res) => setTimeout(res, 25));
      r = (await h.call('GET', `/v1/runs/${String(run.id)}`)).json;
    }
    assert.equal(r.status, 'paused');
    assert.equal((r.waiting_reason as Json).code, 'budget_reached');
    assert.equal(r.items_succeeded, 3, 'a 350-credit budget covers three 100-credit items');
    assert.equal(r.credits_used_micro, 300 * CREDIT);
    assert.equal(r.credits_reserved_micro, 350 * CREDIT);
    const canceled = (await h.call('POST', `/v1/runs/${String(run.id)}/cancel`)).json;
    assert.equal(canceled.credits_released_micro, 50 * CREDIT);
    const ledger = (await h.call('GET', `/v1/credits/ledger?run_id=${String(run.id)}&limit=1000`)).json.data as Json[];
    const sum = (k: string) => ledger.filter((e) => e.kind === k).reduce((a, e) => a + Number(e.amount_micro), 0);
    assert.equal(sum('reserve'), sum('capture') + sum('release'));
    assert.equal(ledger.filter((e) => e.kind === 'capture').length, 3);
  });

  test('usage window and provider summary', async () => {
    const usage = (await h.call('GET', '/v1/usage?window=24h')).json;
    assert.ok(Number(usage.items) >= 15);
    assert.ok(Number(usage.credits_used_micro) >= 1500 * CREDIT);
    assert.ok((usage.by_provider as Record<string, Json>).js);
    const runs = (await h.call('GET', '/v1/runs?name=budget')).json.data as Json[];
    const summary = (await h.call('GET', `/v1/runs/${String(runs[0]?.id)}/provider-summary`)).json.data as Json[];
    assert.equal(summary[0]?.provider, 'js');
    assert.equal(summary[0]?.successes, 3);
    assert.equal(summary[0]?.credits_used_micro, 300 * CREDIT);
    assert.equal(typeof summary[0]?.p50_ms, 'number');
    assert.equal((await h.call('GET', '/v1/usage?window=2h')).status, 422);
    assert.equal((await h.call('GET', '/v1/runs/run_missing/provider-summary')).status, 404);
  });

  test('bad input: clear 4xx and no entry written', async () => {
    const before = ((await h.call('GET', '/v1/credits/ledger?limit=1000')).json.data as Json[]).length;
    const cases: [string, unknown, number, string][] = [
      ['/v1/credits/grants', { amount_micro: -5 }, 422, 'amount_micro'],
      ['/v1/credits/grants', { amount_micro: 0 }, 422, 'amount_micro'],
      ['/v1/credits/grants', { amount_micro: 0.1 }, 422, 'amount_micro'],
      ['/v1/credits/grants', { amount_micro: 9e18 }, 422, 'amount_micro'],
      ['/v1/credits/grants', { amount_micro: '10' }, 422, 'amount_micro'],
      ['/v1/credits/grants', { amount_micro: 10, workspace_id: 'wsp_nobody' }, 404, ''],
      ['/v1/credits/adjustments', { amount_micro: 10 }, 422, 'reason'],
      ['/v1/credits/adjustments', { amount_micro: -1e15, reason: 'clawback' }, 402, 'amount_micro'],
    ];
    for (const [path, body, status, field] of cases) {
      const r = await h.call('POST', path, body);
      assert.equal(r.status, status, `${JSON.stringify(body)} → ${JSON.stringify(r.json)}`);
      if (field) assert.equal(r.json.error?.details.field, field, JSON.stringify(r.json));
    }
    const tableId = await h.table('badbudget', [{ n: 1, kind: 'ok' }]);
    const bad = await h.call('POST', `/v1/tables/${tableId}/columns/rec/runs`, { budget_micro: -1 });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.error?.details.field, 'budget_micro');
    assert.equal(((await h.call('GET', '/v1/credits/ledger?limit=1000')).json.data as Json[]).length, before);
    const repeat = await h.call('POST', '/v1/credits/grants', { amount_micro: 5 });
    assert.equal(repeat.status, 201);
  });

  test('prices are versioned in the database: a run keeps the version it started with, on any node', { timeout: 60_000 }, async () => {
    const current = await h.call('GET', '/v1/prices');
    assert.equal(current.status, 200);
    assert.deepEqual([current.json.version, current.json.source, current.json.prices], [1, 'env', { js_call: PRICE }], 'RUNYARD_PRICES became version 1');
    await h.call('POST', '/v1/credits/grants', { amount_micro: 2000 * CREDIT });
    const tableId = await h.table(
      'versions',
      Array.from({ length: 3 }, (_, n) => ({ n, kind: 'ok', ms: 300 })),
      'small',
    );
    const a = await h.start(tableId, { name: 'at v1' });
    assert.equal(a.price_version, 1);
    // Set while run A is in flight: A keeps version 1, B starts on version 2.
    const put = await h.call('PUT', '/v1/prices', { prices: { js_call: 2 * PRICE } });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    assert.deepEqual([put.json.version, put.json.source, put.json.changed], [2, 'api', true]);
    const b = await h.start(tableId, { name: 'at v2' });
    assert.equal(b.price_version, 2);
    const [doneA, doneB] = [await h.waitTerminal(String(a.id)), await h.waitTerminal(String(b.id))];
    assert.deepEqual([doneA.status, doneA.credits_used_micro, doneA.credits_reserved_micro], ['succeeded', 3 * PRICE, 3 * PRICE]);
    assert.deepEqual([doneB.status, doneB.credits_used_micro, doneB.credits_reserved_micro], ['succeeded', 6 * PRICE, 6 * PRICE]);
    const same = await h.call('PUT', '/v1/prices', { prices: { js_call: 2 * PRICE } });
    assert.deepEqual([same.status, same.json.version, same.json.changed], [200, 2, false], 'equal prices write no version');
    assert.deepEqual((await h.call('GET', '/v1/prices?version=1')).json.prices, { js_call: PRICE }, 'old versions stay readable');
    const bad: [string, string, unknown, number, string][] = [
      ['PUT', '/v1/prices', { prices: { pizza: 1 } }, 422, 'prices.pizza'],
      ['PUT', '/v1/prices', { prices: { js_call: -1 } }, 422, 'prices.js_call'],
      ['PUT', '/v1/prices', { prices: { js_call: 1.5 } }, 422, 'prices.js_call'],
      ['PUT', '/v1/prices', { prices: { js_call: '10' } }, 422, 'prices.js_call'],
      ['PUT', '/v1/prices', { prices: { js_call: 1e16 } }, 422, 'prices.js_call'],
      ['PUT', '/v1/prices', {}, 422, 'prices'],
      ['PUT', '/v1/prices', { prices: {}, extra: 1 }, 422, ''],
      ['GET', '/v1/prices?version=abc', undefined, 422, 'version'],
      ['GET', '/v1/prices?version=99', undefined, 404, ''],
    ];
    for (const [method, path, body, status, field] of bad) {
      const r = await h.call(method, path, body);
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)} → ${JSON.stringify(r.json)}`);
      if (field) assert.equal(r.json.error?.details.field, field, JSON.stringify(r.json));
    }
    assert.equal((await h.call('GET', '/v1/prices')).json.version, 2, 'bad input wrote no version');
  });
};

for (const [where, mode] of MODES) describe(`credits (real process, ${where})`, creditsSuite(mode));

test('an unknown price key stops the server at start, naming it', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  await assert.rejects(spawnRunyard(['--database', `${dir}/r.db`], { RUNYARD_PRICES: '{"pizza": 1}' }), /prices\.pizza/);
});
