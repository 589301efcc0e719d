/**
 * The transition table (DESIGN.md §2) as data: exhaustive over every (from, to) pair, the
 * predicates agree with it, aliases parse, and terminal run statuses never change.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IllegalTransitionError, RunyardError } from '../../src/core/errors.js';
import {
  canTransitionItem,
  canTransitionRun,
  isClaimableRun,
  isTerminalItem,
  isTerminalRun,
  ITEM_STATUSES,
  ITEM_TRANSITIONS,
  parseItemStatus,
  parseRunStatus,
  RUN_STATUSES,
  RUN_TRANSITIONS,
  transitionItem,
  transitionRun,
  type ItemStatus,
  type RunStatus,
} from '../../src/core/status.js';

const NUM_RUNS = 200;

function runTargets(from: RunStatus): readonly RunStatus[] {
  return RUN_TRANSITIONS[from];
}
function itemTargets(from: ItemStatus): readonly ItemStatus[] {
  return ITEM_TRANSITIONS[from];
}

/** Calls `fn`; returns the IllegalTransitionError it threw, or undefined when it returned. */
function illegal(fn: () => unknown): IllegalTransitionError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof IllegalTransitionError, `expected IllegalTransitionError, got ${String(err)}`);
    return err;
  }
}

describe('status: transition table shape', () => {
  test('every run status has an entry and every target is a run status', () => {
    assert.deepEqual(Object.keys(RUN_TRANSITIONS).sort(), [...RUN_STATUSES].sort());
    for (const from of RUN_STATUSES) for (const to of runTargets(from)) assert.ok(RUN_STATUSES.includes(to), `${from} → ${to}`);
  });

  test('every item status has an entry and every target is an item status', () => {
    assert.deepEqual(Object.keys(ITEM_TRANSITIONS).sort(), [...ITEM_STATUSES].sort());
    for (const from of ITEM_STATUSES) for (const to of itemTargets(from)) assert.ok(ITEM_STATUSES.includes(to), `${from} → ${to}`);
  });

  test('no self-transitions and no duplicate targets', () => {
    for (const from of RUN_STATUSES) {
      assert.ok(!runTargets(from).includes(from), `run ${from} → ${from}`);
      assert.equal(new Set(runTargets(from)).size, runTargets(from).length);
    }
    for (const from of ITEM_STATUSES) {
      assert.ok(!itemTargets(from).includes(from), `item ${from} → ${from}`);
      assert.equal(new Set(itemTargets(from)).size, itemTargets(from).length);
    }
  });

  test('terminal run statuses are exactly succeeded, partial, failed, canceled; their only way out is the retry-failed reopen', () => {
    assert.deepEqual(RUN_STATUSES.filter(isTerminalRun).sort(), ['canceled', 'failed', 'partial', 'succeeded']);
    for (const s of RUN_STATUSES) {
      if (!isTerminalRun(s)) assert.ok(runTargets(s).length > 0, s);
      else assert.deepEqual([...runTargets(s)], s === 'partial' || s === 'failed' ? ['running'] : [], s);
    }
  });

  test('every non-terminal run status can be canceled (DESIGN.md §2)', () => {
    for (const s of RUN_STATUSES.filter((x) => !isTerminalRun(x))) assert.ok(canTransitionRun(s, 'canceled'), s);
  });

  test('only `running` runs are claimable', () => {
    assert.deepEqual(RUN_STATUSES.filter(isClaimableRun), ['running']);
  });

  test('terminal items have no way out except the retry-failed path failed → pending', () => {
    assert.deepEqual(ITEM_STATUSES.filter(isTerminalItem).sort(), ['canceled', 'failed', 'skipped', 'succeeded']);
    for (const s of ITEM_STATUSES) {
      if (!isTerminalItem(s)) assert.ok(itemTargets(s).length > 0, `non-terminal ${s} must have a way on`);
      else assert.deepEqual([...itemTargets(s)], s === 'failed' ? ['pending'] : [], s);
    }
  });

  test('a run can reach a terminal status from every non-terminal status', () => {
    for (const start of RUN_STATUSES) {
      const seen = new Set<RunStatus>([start]);
      const queue = [start];
      for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
        for (const t of runTargets(s)) {
          if (seen.has(t)) continue;
          seen.add(t);
          queue.push(t);
        }
      }
      assert.ok([...seen].some(isTerminalRun), start);
    }
  });
});

describe('status: transitionRun / transitionItem are exhaustive over all pairs', () => {
  test('transitionRun throws exactly for pairs not in the table', () => {
    for (const from of RUN_STATUSES) {
      for (const to of RUN_STATUSES) {
        const allowed = runTargets(from).includes(to);
        assert.equal(canTransitionRun(from, to), allowed, `${from} → ${to}`);
        const err = illegal(() => assert.equal(transitionRun('run_1', from, to), to));
        assert.equal(err === undefined, allowed, `${from} → ${to}`);
        if (err) {
          assert.ok(err instanceof RunyardError);
          assert.equal(err.code, 'illegal_transition');
          assert.equal(err.details?.['status'], from);
          assert.equal(err.details?.['requested'], to);
          assert.equal(err.details?.['entity'], 'run');
          assert.equal(err.details?.['id'], 'run_1');
          assert.match(err.message, /run_1/);
        }
      }
    }
  });

  test('transitionItem throws exactly for pairs not in the table', () => {
    for (const from of ITEM_STATUSES) {
      for (const to of ITEM_STATUSES) {
        const allowed = itemTargets(from).includes(to);
        assert.equal(canTransitionItem(from, to), allowed, `${from} → ${to}`);
        const err = illegal(() => assert.equal(transitionItem('itm_1', from, to), to));
        assert.equal(err === undefined, allowed, `${from} → ${to}`);
        if (err) {
          assert.equal(err.code, 'illegal_transition');
          assert.equal(err.details?.['status'], from);
          assert.equal(err.details?.['entity'], 'item');
        }
      }
    }
  });

  test('property: a terminal run status never changes, except partial/failed reopened to running by retry-failed', () => {
    const status = fc.constantFrom(...RUN_STATUSES);
    fc.assert(
      fc.property(status, fc.array(status, { maxLength: 30 }), (start, attempts) => {
        let current = start;
        let terminalAt: RunStatus | undefined = isTerminalRun(start) ? start : undefined;
        for (const to of attempts) {
          try {
            current = transitionRun('run_p', current, to);
          } catch (err) {
            assert.ok(err instanceof IllegalTransitionError);
            assert.equal(err.details?.['status'], current);
          }
          if (terminalAt !== undefined && current !== terminalAt) {
            assert.ok(terminalAt === 'partial' || terminalAt === 'failed', `${terminalAt} changed to ${current}`);
            assert.equal(current, 'running');
            terminalAt = undefined;
          } else if (isTerminalRun(current)) terminalAt = current;
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('status: parsing and aliases', () => {
  const runCases: [string, RunStatus | undefined][] = [
    ['completed', 'succeeded'],
    ['cancelled', 'canceled'],
    ['pending', 'queued'],
    ['  Completed ', 'succeeded'],
    ['CANCELLED', 'canceled'],
    ['running', 'running'],
    ['Partial', 'partial'],
    ['done', undefined],
    ['', undefined],
    ['retrying', undefined],
  ];
  for (const [input, expected] of runCases) {
    test(`parseRunStatus(${JSON.stringify(input)}) → ${String(expected)}`, () => assert.equal(parseRunStatus(input), expected));
  }

  const itemCases: [string, ItemStatus | undefined][] = [
    ['cancelled', 'canceled'],
    ['pending', 'pending'],
    ['Retrying', 'retrying'],
    ['completed', undefined],
    ['queued', undefined],
  ];
  for (const [input, expected] of itemCases) {
    test(`parseItemStatus(${JSON.stringify(input)}) → ${String(expected)}`, () => assert.equal(parseItemStatus(input), expected));
  }

  test('every canonical status parses to itself', () => {
    for (const s of RUN_STATUSES) assert.equal(parseRunStatus(s), s);
    for (const s of ITEM_STATUSES) assert.equal(parseItemStatus(s), s);
  });
});
