/**
 * The `chain` test kind through the store port, on both databases (issue 11, Build point 6,
 * store level): items appended as the chain advances, an item that waits for an answer (no
 * lease, no slot, its attempt given back), answers as compare-and-set (of two concurrent answers
 * exactly one wins), pause while waiting then resume → `waiting_for_input`, the run finishing
 * only after its last step, and after every step the counts match the items and the ledger
 * agrees with the account. The executor is played by this file: it asks `chainKind.next` what
 * follows each outcome, exactly as engine/executor.ts does.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RunyardError } from '../../src/core/errors.js';
import type { ItemRecord, RunRecord } from '../../src/core/model.js';
import { chainKind } from '../../src/kinds/index.js';
import type { ClaimedItem, Completion, Store } from '../../src/store/port.js';
import { describeEachBackend } from '../helpers/backends.js';
import { allItems, assertCounts, newRun, OTHER_WS, T0, WS } from '../store/conformance.js';

const NODE = 'nod_chain';
const LEASE_MS = 30_000;
const BOUND = 100;

/** What the executor would hand back for a claimed item: a wait for `input` items, else a success with the kind's follow-up. */
function outcomeOf(c: ClaimedItem): Completion {
  const producer = c.item.producer ?? c.run.spec.producer;
  if (producer === 'input') {
    const prompt = String((c.item.inputs ?? {}).prompt ?? 'answer');
    return { kind: 'waiting', item_id: c.item.id, lease_token: c.lease_token, wait: { prompt, form: null }, duration_ms: 1 };
  }
  const outputs = { value: c.item.key };
  const plan = chainKind.next(c.run, { kind: 'succeeded', item: c.item, outputs });
  return {
    kind: 'succeeded',
    item_id: c.item.id,
    lease_token: c.lease_token,
    value: c.item.key,
    outputs,
    usage: null,
    provider: 'test',
    credits_used: 7,
    duration_ms: 2,
    ...(plan.append.length > 0 ? { append: plan.append } : {}),
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

  async function startChain(steps: number, waitAt: number | null): Promise<RunRecord> {
    const input = newRun(WS, { kind: 'chain', target_id: `chain:${steps}:${waitAt ?? '-'}`, keys: ['step:0'], item_cost_bound: BOUND });
    // Step 0 as the kind plans it (an input item when the chain waits there).
    const [first] = chainKind.replay({ ...(input.run as RunRecord), spec: input.run.spec }, []).items;
    input.items = input.items.map((it) => ({ ...it, inputs: first?.inputs ?? null, ...(first?.producer ? { producer: first.producer } : {}) }));
    const { run } = await store.createRun(WS, input, T0);
    await store.startQueuedRuns(NODE, T0, 100);
    return assertLedger(store, run.id);
  }

  async function step(now: number, runId: string): Promise<ClaimedItem[]> {
    const claims = (await store.claimItems(NODE, now, LEASE_MS, 10)).filter((c) => c.run.id === runId);
    if (claims.length > 0) await store.completeItems(claims.map(outcomeOf), now + 1);
    return claims;
  }

  test('a chain appends each next step, waits at step K, takes one answer of two, and finishes after its last step', async () => {
    const run = await startChain(4, 2);
    let now = T0 + 10;
    for (const key of ['step:0', 'step:1']) {
      const claimed = await step((now += 10), run.id);
      assert.deepEqual(
        claimed.map((c) => c.item.key),
        [key],
      );
      const r = await assertLedger(store, run.id);
      assert.equal(r.status, 'running');
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
});
