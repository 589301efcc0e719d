/**
 * Property test over a real SQLite store: random interleavings of grants, run starts (reserve),
 * claims, completions (capture/release), failures, cancels, retry-failed and lease expiry keep
 * every ledger invariant: available ≥ 0; the cached balance equals a replay of the ledger; every
 * finished run has reserved = captured + released; no item is captured twice; a run's
 * credits_used equals its capture entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_WORKSPACE_ID } from '../../src/core/ids.js';
import { isTerminalRun } from '../../src/core/status.js';
import type { ClaimedItem, Store } from '../../src/store/port.js';
import { newRun } from '../store/conformance.js';
import { sqliteStore } from '../helpers/fixtures.js';

const WS = DEFAULT_WORKSPACE_ID;
const LEASE = 1000;

type Op =
  | { op: 'grant'; amount: number }
  | { op: 'run'; items: number; bound: number; cap: number | null }
  | { op: 'start' }
  | { op: 'claim'; k: number }
  | { op: 'succeed'; pick: number; cost: number }
  | { op: 'fail'; pick: number }
  | { op: 'cancel'; pick: number }
  | { op: 'retry'; pick: number }
  | { op: 'expire' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('grant' as const), amount: fc.integer({ min: 1, max: 400 }) }),
  fc.record({
    op: fc.constant('run' as const),
    items: fc.integer({ min: 0, max: 6 }),
    bound: fc.integer({ min: 0, max: 40 }),
    cap: fc.option(fc.integer({ min: 1, max: 150 })),
  }),
  fc.constant({ op: 'start' as const }),
  fc.record({ op: fc.constant('claim' as const), k: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ op: fc.constant('succeed' as const), pick: fc.nat(), cost: fc.nat(60) }),
  fc.record({ op: fc.constant('fail' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('retry' as const), pick: fc.nat() }),
  fc.constant({ op: 'expire' as const }),
);

async function checkInvariants(store: Store, runIds: string[]): Promise<void> {
  const cached = await store.getBalance(WS);
  const replayed = await store.replayLedger(WS);
  assert.deepEqual(cached, replayed, 'the cached balance equals a replay of the ledger');
  assert.ok(cached.available >= 0, `available ${cached.available} ≥ 0`);
  assert.ok(cached.outstanding >= 0);
  const captures = new Map<string, number>();
  for (let cursor: string | undefined, first = true; first || cursor; first = false) {
    const page = await store.listLedger(WS, { kind: ['capture'] }, { limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const e of page.data) captures.set(e.item_id ?? '', (captures.get(e.item_id ?? '') ?? 0) + 1);
    cursor = page.next_cursor ?? undefined;
  }
  for (const [item, n] of captures) assert.equal(n, 1, `item ${item} captured ${n} times`);
  for (const id of runIds) {
    const run = await store.getRun(WS, id);
    assert.ok(run);
    assert.ok(run.credits_used + run.credits_released <= run.credits_reserved, `run ${id} settles no more than it reserved`);
    if (isTerminalRun(run.status)) assert.equal(run.credits_reserved, run.credits_used + run.credits_released, `run ${id} (${run.status}) reconciles`);
    const entries = (await store.listLedger(WS, { run_id: id }, { limit: 1000 })).data;
    const sum = (k: string) => entries.filter((e) => e.kind === k).reduce((a, e) => a + e.amount, 0);
    assert.equal(sum('reserve'), run.credits_reserved);
    assert.equal(sum('capture'), run.credits_used);
    assert.equal(sum('release'), run.credits_released);
  }
}

test('property: random ledger interleavings on a real store keep every invariant', { timeout: 120_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 30 }), async (ops) => {
      const store = await sqliteStore();
      const runIds: string[] = [];
      let claimed: ClaimedItem[] = [];
      let now = 1_700_000_000_000;
      try {
        for (const o of ops) {
          now += 10;
          switch (o.op) {
            case 'grant':
              await store.postCredit(WS, 'grant', o.amount, 'test', `g${now}`, now);
              break;
            case 'run': {
              const input = newRun(WS, { items: o.items, item_cost_bound: o.bound, credit_cap: o.cap });
              await store.createRun(WS, input, now);
              runIds.push(input.run.id);
              break;
            }
            case 'start':
              await store.startQueuedRuns('nod_p', now, 10);
              break;
            case 'claim':
              claimed.push(...(await store.claimItems('nod_p', now, LEASE, o.k)));
              break;
            case 'succeed':
            case 'fail': {
              if (claimed.length === 0) break;
              const c = claimed.splice(o.pick % claimed.length, 1)[0] as ClaimedItem;
              const base = { item_id: c.item.id, lease_token: c.lease_token, duration_ms: 1 };
              await store.completeItems(
                [
                  o.op === 'succeed'
                    ? { ...base, kind: 'succeeded', value: 1, outputs: {}, usage: null, provider: 'p', credits_used: Math.min(o.cost, c.run.item_cost_bound) }
                    : { ...base, kind: 'failed', error: { code: 'x', message: 'x', retryable: false } },
                ],
                now,
              );
              break;
            }
            case 'cancel':
            case 'retry': {
              if (runIds.length === 0) break;
              const id = runIds[o.pick % runIds.length] as string;
              try {
                if (o.op === 'cancel') await store.cancelRun(WS, id, now);
                else await store.retryFailedItems(WS, id, now);
              } catch (err) {
                const code = (err as { code?: string }).code;
                assert.ok(['illegal_transition', 'nothing_to_retry', 'insufficient_credits'].includes(code ?? ''), `unexpected ${code}`);
              }
              break;
            }
            case 'expire':
              now += LEASE + 1;
              await store.recoverExpiredLeases(now, 100);
              claimed = [];
              break;
          }
          await checkInvariants(store, runIds);
        }
      } finally {
        await store.close();
      }
    }),
    { numRuns: 40 },
  );
});
