/**
 * Counts derived from item transitions (model-based property test) and the run outcome rule.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  activeStatusOf,
  addTransitionDelta,
  allItemsTerminal,
  applyDelta,
  countField,
  countsConsistent,
  emptyCounts,
  readyToFinish,
  runOutcome,
  settleRun,
  type CountDelta,
  type CountField,
  type RunCounts,
} from '../../src/core/counts.js';
import { IllegalTransitionError } from '../../src/core/errors.js';
import { canTransitionItem, isTerminalItem, ITEM_STATUSES, transitionItem, type ItemStatus } from '../../src/core/status.js';

const NUM_RUNS = 200;
const FIELDS: readonly CountField[] = ['items_succeeded', 'items_failed', 'items_pending', 'items_running', 'items_waiting', 'items_skipped', 'items_canceled'];

/** Counts computed from scratch from the item statuses (the model). */
function countsOf(statuses: readonly ItemStatus[]): RunCounts {
  const c = emptyCounts();
  c.items_total = statuses.length;
  for (const s of statuses) c[countField(s)] += 1;
  return c;
}

function counts(partial: Partial<RunCounts>): RunCounts {
  const c = { ...emptyCounts(), ...partial };
  if (partial.items_total === undefined) c.items_total = FIELDS.reduce((sum, f) => sum + c[f], 0);
  return c;
}

describe('counts: buckets', () => {
  const table: [ItemStatus, CountField][] = [
    ['pending', 'items_pending'],
    ['retrying', 'items_pending'],
    ['running', 'items_running'],
    ['waiting_for_input', 'items_waiting'],
    ['succeeded', 'items_succeeded'],
    ['failed', 'items_failed'],
    ['skipped', 'items_skipped'],
    ['canceled', 'items_canceled'],
  ];
  test('every item status has exactly the documented bucket', () => {
    assert.equal(table.length, ITEM_STATUSES.length);
    for (const [s, f] of table) assert.equal(countField(s), f, s);
  });

  test('terminal items sit in terminal buckets; allItemsTerminal ⇔ no pending/running/waiting', () => {
    for (const s of ITEM_STATUSES) assert.equal(isTerminalItem(s), !['items_pending', 'items_running', 'items_waiting'].includes(countField(s)), s);
    for (const s of ITEM_STATUSES) assert.equal(allItemsTerminal(countsOf([s, 'succeeded'])), isTerminalItem(s), s);
  });

  test('countsConsistent rejects a wrong total or a negative bucket', () => {
    assert.ok(countsConsistent(emptyCounts()));
    assert.ok(countsConsistent(counts({ items_pending: 2, items_failed: 1 })));
    assert.ok(!countsConsistent({ ...counts({ items_pending: 2 }), items_total: 3 }));
    assert.ok(!countsConsistent(counts({ items_pending: 2, items_running: -1, items_succeeded: 1 })));
  });

  test('a transition within one bucket leaves the delta empty', () => {
    assert.deepEqual(addTransitionDelta({}, 'pending', 'retrying'), {});
    assert.deepEqual(addTransitionDelta({}, 'pending', 'retrying'), {});
    assert.deepEqual(addTransitionDelta({}, 'running', 'waiting_for_input'), { items_running: -1, items_waiting: 1 });
    assert.deepEqual(addTransitionDelta({}, 'pending', 'running'), { items_pending: -1, items_running: 1 });
  });

  test('applyDelta is pure', () => {
    const before = counts({ items_pending: 1 });
    const snapshot = { ...before };
    const after = applyDelta(before, { items_pending: -1, items_running: 1 });
    assert.deepEqual(before, snapshot);
    assert.equal(after.items_running, 1);
  });
});

describe('counts: property — item transitions keep counts equal to the items', () => {
  const status = fc.constantFrom(...ITEM_STATUSES);
  const initial = fc.array(fc.constantFrom<ItemStatus>('pending', 'skipped'), { minLength: 1, maxLength: 12 });
  const step = fc.record({ pick: fc.nat(), to: status, batch: fc.boolean() });

  test('random sequences through transitionItem + addTransitionDelta/applyDelta', () => {
    fc.assert(
      fc.property(initial, fc.array(step, { maxLength: 60 }), (start, steps) => {
        const model = [...start];
        let c = countsOf(model);
        // Deltas are batched sometimes (one delta over several transitions, like a store write).
        let pending: CountDelta = {};
        for (const { pick, to, batch } of steps) {
          const i = pick % model.length;
          const from = model[i] as ItemStatus;
          const before = { ...c };
          const beforeDelta = { ...pending };
          let threw = false;
          try {
            model[i] = transitionItem(`itm_${i}`, from, to);
            addTransitionDelta(pending, from, to);
          } catch (err) {
            threw = true;
            assert.ok(err instanceof IllegalTransitionError);
            assert.equal(err.details?.['status'], from);
          }
          assert.equal(threw, !canTransitionItem(from, to), `${from} → ${to}`);
          if (threw) {
            assert.equal(model[i], from, 'an illegal transition changes nothing');
            assert.deepEqual(pending, beforeDelta);
            assert.deepEqual(c, before);
          }
          if (!batch) {
            c = applyDelta(c, pending);
            pending = {};
            assert.ok(countsConsistent(c), JSON.stringify(c));
            assert.deepEqual(c, countsOf(model));
          }
        }
        c = applyDelta(c, pending);
        assert.ok(countsConsistent(c), JSON.stringify(c));
        assert.deepEqual(c, countsOf(model));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('legal-only walks: every item can be driven to a terminal bucket and the totals hold', () => {
    fc.assert(
      fc.property(initial, fc.array(fc.nat(), { maxLength: 80 }), (start, choices) => {
        const model = [...start];
        let c = countsOf(model);
        choices.forEach((choice, n) => {
          const i = n % model.length;
          const from = model[i] as ItemStatus;
          const legal = ITEM_STATUSES.filter((to) => canTransitionItem(from, to));
          const to = legal[choice % Math.max(1, legal.length)];
          if (to === undefined) return;
          model[i] = transitionItem(`itm_${i}`, from, to);
          c = applyDelta(c, addTransitionDelta({}, from, to));
        });
        assert.ok(countsConsistent(c));
        assert.deepEqual(c, countsOf(model));
        assert.equal(allItemsTerminal(c), model.every(isTerminalItem));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('counts: runOutcome', () => {
  const cases: [string, Partial<RunCounts>, 'succeeded' | 'partial' | 'failed', boolean][] = [
    ['zero items', {}, 'succeeded', true],
    ['all succeeded', { items_succeeded: 3 }, 'succeeded', false],
    ['succeeded and failed', { items_succeeded: 2, items_failed: 1 }, 'partial', false],
    ['succeeded and canceled', { items_succeeded: 2, items_canceled: 1 }, 'partial', false],
    ['succeeded, skipped and failed', { items_succeeded: 1, items_skipped: 1, items_failed: 1 }, 'partial', false],
    ['all failed', { items_failed: 4 }, 'failed', false],
    ['failed and skipped', { items_failed: 1, items_skipped: 2 }, 'failed', false],
    ['canceled only', { items_canceled: 2 }, 'failed', false],
    ['skipped only', { items_skipped: 2 }, 'succeeded', false],
    ['succeeded and skipped', { items_succeeded: 1, items_skipped: 2 }, 'succeeded', false],
  ];
  for (const [name, c, status, noItems] of cases) {
    test(`${name} → ${status}${noItems ? ' (no items)' : ''}`, () => {
      assert.deepEqual(runOutcome(counts(c)), { status, noItems });
    });
  }

  const terminalCounts = fc
    .record({
      items_succeeded: fc.nat({ max: 5 }),
      items_failed: fc.nat({ max: 5 }),
      items_skipped: fc.nat({ max: 5 }),
      items_canceled: fc.nat({ max: 5 }),
    })
    .map((c) => counts(c));

  test('property: partial ⇔ succeeded > 0 and (failed > 0 or canceled > 0)', () => {
    fc.assert(
      fc.property(terminalCounts, (c) => {
        const { status, noItems } = runOutcome(c);
        assert.equal(status === 'partial', c.items_succeeded > 0 && (c.items_failed > 0 || c.items_canceled > 0));
        assert.equal(noItems, c.items_total === 0);
        assert.equal(status === 'succeeded', c.items_failed === 0 && c.items_canceled === 0);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('counts: settleRun (the one rule for an active run)', () => {
  test('finish when every item is terminal; wait when only waiting items are left; run otherwise', () => {
    assert.equal(settleRun(counts({ items_succeeded: 2 })), 'finish');
    assert.equal(settleRun(counts({})), 'finish');
    assert.equal(settleRun(counts({ items_succeeded: 1, items_waiting: 1 })), 'wait');
    assert.equal(settleRun(counts({ items_waiting: 1, items_pending: 1 })), 'run');
    assert.equal(settleRun(counts({ items_waiting: 1, items_running: 1 })), 'run');
    assert.equal(activeStatusOf('wait'), 'waiting_for_input');
    assert.equal(activeStatusOf('run'), 'running');
  });

  test('readyToFinish holds for running and waiting_for_input runs, never for a paused one', () => {
    const done = counts({ items_succeeded: 1 });
    assert.ok(readyToFinish({ ...done, status: 'running' }));
    assert.ok(readyToFinish({ ...done, status: 'waiting_for_input' }));
    assert.ok(!readyToFinish({ ...done, status: 'paused' }));
    assert.ok(!readyToFinish({ ...counts({ items_waiting: 1 }), status: 'running' }));
  });
});
