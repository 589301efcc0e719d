import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitingReason, type WaitingFacts } from '../../src/core/waiting.js';
import type { RunRecord } from '../../src/core/model.js';

const NOW = 1_700_000_000_000;
const base = {
  status: 'running',
  paused_reason: null,
  items_total: 10,
  items_pending: 5,
  items_running: 0,
} as unknown as RunRecord;
const run = (o: Partial<RunRecord>): RunRecord => ({ ...base, ...o });
const facts = (o: Partial<WaitingFacts> = {}): WaitingFacts => ({ nodesAlive: 1, freeSlots: 10, earliestDueAt: NOW - 1, ...o });

describe('waiting reasons', () => {
  const cases: [string, RunRecord, WaitingFacts, string | null][] = [
    ['terminal runs have none', run({ status: 'succeeded' }), facts({ nodesAlive: 0 }), null],
    ['paused by a person', run({ status: 'paused' }), facts(), 'paused'],
    ['paused by the budget', run({ status: 'paused', paused_reason: 'budget' }), facts(), 'budget_reached'],
    ['waiting for input', run({ status: 'waiting_for_input' }), facts(), 'waiting_for_input'],
    ['queued with no node', run({ status: 'queued' }), facts({ nodesAlive: 0 }), 'no_node_alive'],
    ['running with pending items and no node', run({ items_pending: 3 }), facts({ nodesAlive: 0 }), 'no_node_alive'],
    ['queued and nodes full', run({ status: 'queued' }), facts({ freeSlots: 0 }), 'nodes_at_capacity'],
    ['queued with room: progressing', run({ status: 'queued' }), facts(), null],
    ['all remaining items backing off', run({ items_pending: 2 }), facts({ earliestDueAt: NOW + 5000 }), 'backing_off'],
    ['items executing: progressing', run({ items_running: 4 }), facts({ freeSlots: 0, earliestDueAt: NOW + 5000 }), null],
    ['scheduled in the future', run({ status: 'queued' }), facts({ scheduledFor: NOW + 60_000 }), 'scheduled'],
    ['running, nothing pending, last items finishing: progressing', run({ items_pending: 0, items_running: 1 }), facts({ nodesAlive: 0 }), null],
  ];
  for (const [name, r, f, code] of cases) {
    test(name, () => {
      const reason = waitingReason(r, f, NOW);
      assert.equal(reason?.code ?? null, code);
      if (reason) assert.ok(reason.message.length > 10);
    });
  }
  test('backing off says until when', () => {
    const r = waitingReason(run({ items_pending: 1 }), facts({ earliestDueAt: NOW + 1234 }), NOW);
    assert.equal(r?.until, NOW + 1234);
    assert.match(r?.message ?? '', /2023-11-14T22:13:21\.234Z/);
  });
});
