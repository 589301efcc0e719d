/**
 * The `chain` test kind through the store port, on both databases (issue 11, Build point 6,
 * store level): items appended as the chain advances, an item that waits for an answer (no
 * lease, no slot, its attempt given back), answers as compare-and-set (of two concurrent answers
 * exactly one wins), pause while waiting then resume → `waiting_for_input`, the run finishing
 * only after its last step, and after every step the counts match the items and the ledger
 * agrees with the account. The run's phase and result summary are written with the outcome
 * that planned them (a `run.phase` event per change), and a rows sink upserts each step's output
 * by key: a rerun replaces the rows instead of adding any, a dry run writes none. The executor
 * is played by this file: it asks `chainKind.next` what follows each outcome, exactly as
 * engine/executor.ts does.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RunyardError } from '../../src/core/errors.js';
import type { ItemRecord, RunMode, RunRecord, RunSpec } from '../../src/core/model.js';
import { chainKind } from '../../src/kinds/index.js';
import type { ClaimedItem, Completion, Store } from '../../src/store/port.js';
import { describeEachBackend } from '../helpers/backends.js';
import { allItems, assertCounts, newRun, newTable, OTHER_WS, T0, WS } from '../store/conformance.js';

const NODE = 'nod_chain';
const LEASE_MS = 30_000;
const BOUND = 100;

/**
 * What the executor would hand back for a claimed item: a wait for `input` items, else a success
 * (its value `value(item)`, by default the item key) with the kind's follow-up.
 */
function outcomeOf(c: ClaimedItem, value: (item: ItemRecord) => unknown = (i) => i.key): Completion {
  const producer = c.item.producer ?? c.run.spec.producer;
  if (producer === 'input') {
    const prompt = String((c.item.inputs ?? {}).prompt ?? 'answer');
    return { kind: 'waiting', item_id: c.item.id, lease_token: c.lease_token, wait: { prompt, form: null }, duration_ms: 1 };
  }
  const v = value(c.item);
  const outputs = { value: v };
  const plan = chainKind.next(c.run, { kind: 'succeeded', item: c.item, outputs });
  return {
    kind: 'succeeded',
    item_id: c.item.id,
    lease_token: c.lease_token,
    value: v,
    outputs,
    usage: null,
    provider: 'test',
    credits_used: 7,
    duration_ms: 2,
    ...(plan.append.length > 0 ? { append: plan.append } : {}),
    ...(plan.phase === undefined ? {} : { phase: plan.phase }),
    ...(plan.result ? { result: plan.result } : {}),
  };
}

/** The kind's follow-up of an answer, as engine/control.ts passes it to respondToItem. */
const followUp = (answer: Record<string, unknown>) => (run: RunRecord, item: ItemRecord) => chainKind.next(run, { kind: 'answered', item, answer });

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RunyardError, String(err));
    return err.code;
  }
  assert.fail('expected a rejection');
}

/** Counts match the items, reserved = used + released once finished, and the ledger replays to the account. */
async function assertLedger(store: Store, runId: string): Promise<RunRecord> {
  const run = await assertCounts(store, WS, runId);
  const balance = await store.getBalance(WS);
  assert.deepEqual(await store.replayLedger(WS), balance, 'the ledger agrees with the account');
  assert.ok(balance.available >= 0 && balance.outstanding >= 0);
  if (run.finished_at !== null) {
    assert.equal(run.credits_reserved, run.credits_used + run.credits_released, 'reserved = used + released');
  }
  return run;
}

describeEachBackend('chain kind through the store', (backend) => {
  let store: Store;
  before(async () => {
    store = (await backend.open()).store;
    await store.postCredit(WS, 'grant', 1_000_000, null, 'grant-chain', T0);
  });

  async function startChain(steps: number, waitAt: number | null, o: { spec?: Partial<RunSpec>; mode?: RunMode } = {}): Promise<RunRecord> {
    const input = newRun(WS, { kind: 'chain', target_id: `chain:${steps}:${waitAt ?? '-'}`, keys: ['step:0'], item_cost_bound: BOUND, ...o });
    // Step 0 as the kind plans it (an input item when the chain waits there), in its first phase.
    const plan = chainKind.replay({ ...(input.run as RunRecord), spec: input.run.spec }, []);
    const [first] = plan.items;
    input.run.phase = plan.phase ?? null;
    input.items = input.items.map((it) => ({ ...it, inputs: first?.inputs ?? null, ...(first?.producer ? { producer: first.producer } : {}) }));
    const { run } = await store.createRun(WS, input, T0);
    await store.startQueuedRuns(NODE, T0, 100);
    return assertLedger(store, run.id);
  }

  async function step(now: number, runId: string, value?: (item: ItemRecord) => unknown): Promise<ClaimedItem[]> {
    const claims = (await store.claimItems(NODE, now, LEASE_MS, 10)).filter((c) => c.run.id === runId);
    if (claims.length > 0)
      await store.completeItems(
        claims.map((c) => outcomeOf(c, value)),
        now + 1,
      );
    return claims;
  }

  /** The `run.phase` events of a run as `from→to`. */
  async function phases(runId: string): Promise<string[]> {
    const events = await store.listEvents(WS, runId, 0, 1000);
    return events.filter((e) => e.type === 'run.phase').map((e) => `${String(e.data.from)}→${String(e.data.to)}`);
  }

  test('a chain appends each next step, waits at step K, takes one answer of two, and finishes after its last step', async () => {
    const run = await startChain(4, 2);
    assert.equal(run.phase, 'step_0');
    let now = T0 + 10;
    for (const [i, key] of ['step:0', 'step:1'].entries()) {
      const claimed = await step((now += 10), run.id);
      assert.deepEqual(
        claimed.map((c) => c.item.key),
        [key],
      );
      const r = await assertLedger(store, run.id);
      assert.equal(r.status, 'running');
      assert.equal(r.phase, `step_${i + 1}`, 'the phase the completion planned, written with it');
      assert.equal(r.result_summary, null);
    }
    // Step 2 is an input item: its attempt ends waiting.
    const [waitClaim] = await step((now += 10), run.id);
    assert.equal(waitClaim?.item.key, 'step:2');
    assert.equal(waitClaim?.item.producer, 'input');
    const waiting = await store.getItem(WS, waitClaim.item.id);
    assert.equal(waiting?.status, 'waiting_for_input');
    assert.equal(waiting?.attempt_count, 0, 'a wait does not spend the attempt');
    assert.deepEqual(waiting?.waiting, { prompt: 'step 2 of 4: answer to go on', form: null });
    let r = await assertLedger(store, run.id);
    assert.equal(r.status, 'waiting_for_input');
    assert.equal(r.phase, 'step_2', 'a wait plans nothing: the phase stays');
    assert.equal(r.items_waiting, 1);
    assert.equal(r.items_running, 0, 'a waiting item holds no lease');
    assert.equal((await store.inFlightByNode()).get(NODE) ?? 0, 0, 'no executor slot is held');
    assert.deepEqual(await store.claimItems(NODE, (now += 10), LEASE_MS, 10), [], 'nothing to claim while it waits');

    // Pause while waiting, then resume: back to waiting_for_input, not running.
    assert.equal((await store.pauseRun(WS, run.id, 'user', (now += 10))).status, 'paused');
    r = await store.resumeRun(WS, run.id, (now += 10));
    assert.equal(r.status, 'waiting_for_input');
    await assertLedger(store, run.id);

    // Two answers at once: exactly one wins; the other is a typed conflict.
    const answers = [{ pick: 'a' }, { pick: 'b' }];
    const results = await Promise.allSettled(answers.map((a) => store.respondToItem(WS, run.id, waitClaim.item.id, a, now + 5, followUp(a))));
    const won = results.filter((x) => x.status === 'fulfilled');
    const lost = results.filter((x) => x.status === 'rejected');
    assert.equal(won.length, 1, 'exactly one answer wins');
    assert.equal(lost.length, 1);
    const reason = (lost[0] as PromiseRejectedResult).reason as RunyardError;
    assert.equal(reason.code, 'item_not_waiting');
    const winner = (won[0] as PromiseFulfilledResult<{ run: RunRecord; item: ItemRecord }>).value;
    assert.equal(winner.item.status, 'succeeded');
    const answered = await store.getItem(WS, waitClaim.item.id);
    assert.ok(
      answers.some((a) => JSON.stringify(a) === JSON.stringify(answered?.outputs)),
      'the winning answer is the outputs',
    );
    assert.equal(winner.run.status, 'running', 'the answer appended the next step');
    assert.equal(winner.run.phase, 'step_3', 'the answer wrote the phase its follow-up planned');
    r = await assertLedger(store, run.id);
    assert.equal(r.items_total, 4);
    assert.equal((await store.listEvents(WS, run.id, 0, 1000)).filter((e) => e.type === 'item.answered').length, 1, 'one answer applied');

    // The last step: the run finishes only now, with the kind's output.
    assert.equal(r.finished_at, null);
    const [last] = await step((now += 20), run.id);
    assert.equal(last?.item.key, 'step:3');
    r = await assertLedger(store, run.id);
    assert.equal(r.status, 'succeeded');
    assert.deepEqual(r.output, { steps: 4, last: { value: 'step:3' } });
    assert.equal(r.result_summary, '4 steps done', "the kind's summary stays when the run finishes");
    assert.equal(r.phase, null, 'the last step cleared the phase');
    assert.deepEqual(await phases(run.id), ['step_0→step_1', 'step_1→step_2', 'step_2→step_3', 'step_3→null'], 'one run.phase event per change');
    const finished = (await store.listEvents(WS, run.id, 0, 1000)).find((e) => e.type === 'run.succeeded');
    assert.equal(finished?.data.summary, '4 steps done');
    assert.deepEqual(
      (await allItems(store, WS, run.id)).map((i) => [i.key, i.status]),
      [
        ['step:0', 'succeeded'],
        ['step:1', 'succeeded'],
        ['step:2', 'succeeded'],
        ['step:3', 'succeeded'],
      ],
    );
    // A late answer to a finished run is refused.
    assert.equal(await code(store.respondToItem(WS, run.id, waitClaim.item.id, { late: true }, now + 100)), 'item_not_waiting');
  });

  test('the last step waiting: the answer finishes the run (waiting_for_input → succeeded)', async () => {
    const run = await startChain(2, 1);
    await step(T0 + 10, run.id);
    const [w] = await step(T0 + 20, run.id);
    assert.ok(w);
    assert.equal((await assertLedger(store, run.id)).status, 'waiting_for_input');
    const res = await store.respondToItem(WS, run.id, w.item.id, { ok: true }, T0 + 30, followUp({ ok: true }));
    assert.equal(res.run.status, 'succeeded');
    assert.deepEqual(res.run.output, { steps: 2, last: { ok: true } });
    assert.equal(res.run.result_summary, '2 steps done');
    assert.equal(res.run.phase, null);
    assert.deepEqual(await phases(run.id), ['step_0→step_1', 'step_1→null']);
    await assertLedger(store, run.id);
  });

  test('respondToItem refuses unknown ids, other workspaces and items that are not waiting, changing nothing', async () => {
    const run = await startChain(3, 1);
    const items = await allItems(store, WS, run.id);
    const pending = items[0];
    assert.ok(pending);
    const before = await store.getRun(WS, run.id);
    assert.equal(await code(store.respondToItem(WS, run.id, 'itm_unknown', {}, T0 + 5)), 'not_found');
    assert.equal(await code(store.respondToItem(WS, 'run_unknown', pending.id, {}, T0 + 5)), 'not_found');
    assert.equal(await code(store.respondToItem(OTHER_WS, run.id, pending.id, {}, T0 + 5)), 'not_found');
    assert.equal(await code(store.respondToItem(WS, run.id, pending.id, {}, T0 + 5)), 'item_not_waiting');
    assert.deepEqual(await store.getRun(WS, run.id), before);
  });

  test('a stale waiting completion changes nothing; cancel while waiting empties items_waiting', async () => {
    const run = await startChain(3, 0);
    const [c] = (await store.claimItems(NODE, T0 + 10, LEASE_MS, 10)).filter((x) => x.run.id === run.id);
    assert.ok(c);
    const stale = await store.completeItems([{ ...outcomeOf(c), lease_token: 'lse_stale' }], T0 + 11);
    assert.deepEqual(stale.lease_lost, [c.item.id]);
    assert.equal((await store.getItem(WS, c.item.id))?.status, 'running');
    await store.completeItems([outcomeOf(c)], T0 + 12);
    assert.equal((await assertLedger(store, run.id)).items_waiting, 1);
    const { run: canceled } = await store.cancelRun(WS, run.id, T0 + 20);
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.items_waiting, 0);
    assert.equal((await store.getItem(WS, c.item.id))?.status, 'canceled');
    await assertLedger(store, run.id);
  });
  /** Runs a chain with a rows sink into `tableId` to its end; each step's value is `value(step)`. */
  async function runRowsChain(tableId: string, steps: number, value: (step: number) => unknown, o: { mode?: RunMode; now: number }): Promise<RunRecord> {
    const run = await startChain(steps, null, { spec: { table_id: tableId, row_key: 'id' }, ...(o.mode ? { mode: o.mode } : {}) });
    for (let i = 0; i < steps; i++) await step(o.now + 10 * i, run.id, (item) => value(Number(item.key.slice('step:'.length))));
    const r = await assertLedger(store, run.id);
    assert.equal(r.status, 'succeeded');
    return r;
  }

  test('a rows sink upserts each step by key: a rerun replaces the rows, never adds any', async () => {
    const table = await store.createTable(WS, newTable(1, { fields: ['name', 'n'] }), T0);
    const first = await runRowsChain(table.id, 3, (i) => ({ id: `k${i}`, n: i, pass: 1 }), { now: T0 + 1000 });
    let rows = await store.allRows(WS, table.id);
    assert.deepEqual(
      rows.map((r) => [r.ordinal, r.data]),
      [
        [0, { name: 'p0', n: 0 }],
        [1, { id: 'k0', n: 0, pass: 1 }],
        [2, { id: 'k1', n: 1, pass: 1 }],
        [3, { id: 'k2', n: 2, pass: 1 }],
      ],
    );
    const ids = rows.map((r) => r.id);
    let t = await store.getTable(WS, table.id);
    assert.equal(t?.row_count, 4);
    assert.deepEqual(t?.fields, ['name', 'n', 'id', 'pass'], "the rows' new fields join the table's");

    // The same keys again (a rerun; at-least-once): the rows are replaced in place.
    await runRowsChain(table.id, 3, (i) => ({ id: `k${i}`, n: i * 10, pass: 2 }), { now: T0 + 2000 });
    rows = await store.allRows(WS, table.id);
    assert.deepEqual(
      rows.map((r) => r.id),
      ids,
      'same rows, same ordinals',
    );
    assert.deepEqual(
      rows.slice(1).map((r) => r.data),
      [0, 1, 2].map((i) => ({ id: `k${i}`, n: i * 10, pass: 2 })),
    );
    t = await store.getTable(WS, table.id);
    assert.equal(t?.row_count, 4, 'a replayed sink adds no row');

    // A numeric key, a new key and a step with no key (skipped, with an event saying why).
    const third = await runRowsChain(table.id, 3, (i) => (i === 1 ? { n: 'no key' } : { id: i === 0 ? 7 : 'k2', pass: 3 }), { now: T0 + 3000 });
    rows = await store.allRows(WS, table.id);
    assert.deepEqual(
      rows.map((r) => r.data),
      [
        { name: 'p0', n: 0 },
        { id: 'k0', n: 0, pass: 2 },
        { id: 'k1', n: 10, pass: 2 },
        { id: 'k2', pass: 3 },
        { id: 7, pass: 3 },
      ],
    );
    assert.equal((await store.getTable(WS, table.id))?.row_count, 5);
    const skipped = (await store.listEvents(WS, third.id, 0, 1000)).filter((e) => e.type === 'item.sink_skipped');
    assert.equal(skipped.length, 1);
    assert.deepEqual(skipped[0]?.data, { sink: 'rows', reason: 'no_key', table_id: table.id, key_field: 'id' });
    assert.equal((await store.listEvents(WS, first.id, 0, 1000)).filter((e) => e.type === 'item.sink_skipped').length, 0);
  });

  test('a dry run with a rows sink writes no row', async () => {
    const table = await store.createTable(WS, newTable(0, { fields: [] }), T0);
    const run = await runRowsChain(table.id, 2, (i) => ({ id: `d${i}` }), { mode: 'dry_run', now: T0 + 4000 });
    assert.equal(run.mode, 'dry_run');
    assert.deepEqual(await store.allRows(WS, table.id), []);
    const t = await store.getTable(WS, table.id);
    assert.equal(t?.row_count, 0);
    assert.deepEqual(t?.fields, []);
  });

  test('two runs upserting one key in one completion batch leave one row (the later outcome)', async () => {
    const table = await store.createTable(WS, newTable(0, { fields: [] }), T0);
    const a = await startChain(1, null, { spec: { table_id: table.id, row_key: 'id' } });
    const b = await startChain(1, null, { spec: { table_id: table.id, row_key: 'id' } });
    const claims = (await store.claimItems(NODE, T0 + 5000, LEASE_MS, 10)).filter((c) => c.run.id === a.id || c.run.id === b.id);
    assert.equal(claims.length, 2);
    await store.completeItems(
      claims.map((c) => outcomeOf(c, () => ({ id: 'same', run: c.run.id }))),
      T0 + 5001,
    );
    const rows = await store.allRows(WS, table.id);
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0]?.data, { id: 'same', run: claims[1]?.run.id });
    assert.equal((await store.getTable(WS, table.id))?.row_count, 1);
    for (const r of [a, b]) assert.equal((await assertLedger(store, r.id)).status, 'succeeded');
  });
  test('a rows sink whose table is gone or still importing writes nothing and says why', async () => {
    const importing = 'tbl_importing_sink';
    await store.beginTableImport(WS, { id: importing, name: 'half imported' }, T0);
    for (const tableId of ['tbl_gone', importing]) {
      const run = await runRowsChain(tableId, 1, () => ({ id: 'x' }), { now: T0 + 6000 });
      const skipped = (await store.listEvents(WS, run.id, 0, 1000)).filter((e) => e.type === 'item.sink_skipped');
      assert.deepEqual(
        skipped.map((e) => e.data),
        [{ sink: 'rows', reason: 'table_missing', table_id: tableId, key: 'x' }],
      );
    }
    await store.discardTableImports({ ws: WS, tableId: importing });
  });
  test('concurrent completions upserting the same keys leave one row per key, ordinals unique', async () => {
    const table = await store.createTable(WS, newTable(0, { fields: [] }), T0);
    // Started one after another: startChain checks the ledger against the account, two reads
    // that another start's reservation could fall between.
    const runs: RunRecord[] = [];
    for (let i = 0; i < 6; i++) runs.push(await startChain(2, null, { spec: { table_id: table.id, row_key: 'id' } }));
    const ids = new Set(runs.map((r) => r.id));
    // Two rounds (each step 0 appends step 1, locking its run first): every completion its own transaction, all at once.
    for (const now of [T0 + 7000, T0 + 7100]) {
      const claims = (await store.claimItems(NODE, now, LEASE_MS, 20)).filter((c) => ids.has(c.run.id));
      assert.equal(claims.length, 6);
      await Promise.all(claims.map((c, i) => store.completeItems([outcomeOf(c, (item) => ({ id: `${item.key}:${i % 2}`, by: c.run.id }))], now + 1)));
    }
    const rows = await store.allRows(WS, table.id);
    assert.deepEqual(rows.map((r) => r.data.id as string).sort(), ['step:0:0', 'step:0:1', 'step:1:0', 'step:1:1']);
    assert.deepEqual(
      rows.map((r) => r.ordinal),
      [0, 1, 2, 3],
    );
    assert.equal((await store.getTable(WS, table.id))?.row_count, 4);
    for (const r of runs) assert.equal((await assertLedger(store, r.id)).status, 'succeeded');
  });
});
