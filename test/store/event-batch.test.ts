/** Batch event rows (src/store/sql/event-batch.ts): grouping on write, per-item events on read. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { expandEvent, expandEvents, groupEvents } from '../../src/store/sql/event-batch.js';
import type { NewEvent } from '../../src/store/sql/events.js';

const ev = (run: string, item: string | null, type: string, data: Record<string, unknown> = {}): NewEvent => ({
  workspace_id: 'ws',
  run_id: run,
  item_id: item,
  type,
  data,
});

test('groupEvents: item transitions of one run and type become one row; singles and run events stay rows', () => {
  const rows = groupEvents([
    ev('r1', 'a', 'item.started', { attempt: 1 }),
    ev('r1', null, 'run.started'),
    ev('r1', 'b', 'item.started', { attempt: 2 }),
    ev('r2', 'c', 'item.started', { attempt: 1 }),
    ev('r1', 'a', 'item.lease_expired'),
  ]);
  assert.deepEqual(
    rows.map((r) => [r.run_id, r.type, r.item_id, r.span]),
    [
      ['r1', 'items.started', null, 2],
      ['r1', 'run.started', null, 1],
      ['r2', 'item.started', 'c', 1],
      ['r1', 'item.lease_expired', 'a', 1],
    ],
  );
  assert.deepEqual(rows[0]!.data, {
    items: [
      { item_id: 'a', attempt: 1 },
      { item_id: 'b', attempt: 2 },
    ],
  });
});

test('expandEvents: a batch row of n entries is n per-item events with the n seq values up to its own; cursors resume inside it', () => {
  const stored = [
    { seq: 4, id: 'e4', workspace_id: 'ws', run_id: 'r1', item_id: null, type: 'run.started', data: {}, created_at: 1 },
    {
      seq: 7,
      id: 'e7',
      workspace_id: 'ws',
      run_id: 'r1',
      item_id: null,
      type: 'items.succeeded',
      data: {
        items: [
          { item_id: 'a', attempt: 1 },
          { item_id: 'b', attempt: 1 },
          { item_id: 'c', attempt: 2 },
        ],
      },
      created_at: 2,
    },
  ];
  const all = expandEvents(stored, 0, 100);
  assert.deepEqual(
    all.map((e) => [e.seq, e.type, e.item_id, e.data]),
    [
      [4, 'run.started', null, {}],
      [5, 'item.succeeded', 'a', { attempt: 1 }],
      [6, 'item.succeeded', 'b', { attempt: 1 }],
      [7, 'item.succeeded', 'c', { attempt: 2 }],
    ],
  );
  assert.equal(new Set(all.map((e) => e.id)).size, 4, 'every expanded event has its own id');
  assert.deepEqual(
    expandEvents(stored, 5, 1).map((e) => e.seq),
    [6],
    'after=5, limit 1: the next entry of the batch',
  );
  assert.deepEqual(expandEvent(stored[0]!), [stored[0]]);
});
