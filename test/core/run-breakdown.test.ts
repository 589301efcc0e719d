/**
 * The duration breakdown (core/run-breakdown.ts): worked cases with known numbers, then a
 * property over random event sequences — random status changes, item attempts, retries with
 * backoffs, pauses, waits, out-of-order and out-of-range times — the parts are never negative and
 * add up exactly to `(finished_at ?? now) − created_at`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runBreakdown, type BreakdownEvent } from '../../src/core/run-breakdown.js';

const T0 = 1_700_000_000_000;
const ev = (type: string, at: number, item_id: string | null = null, data: Record<string, unknown> = {}): BreakdownEvent => ({
  type,
  at: T0 + at,
  item_id,
  data,
});
const parts = (b: ReturnType<typeof runBreakdown>) => b.queued_ms + b.running_ms + b.waiting_for_input_ms + b.paused_ms + b.backing_off_ms + b.idle_ms;

describe('runBreakdown: worked cases', () => {
  test('queued, running, a wait for input, paused, running again, finished', () => {
    const events = [
      ev('run.queued', 0),
      ev('run.started', 100),
      ev('item.started', 110, 'a'),
      ev('item.succeeded', 300, 'a'),
      ev('item.started', 310, 'b'),
      ev('item.waiting', 320, 'b'),
      ev('run.waiting_for_input', 320),
      ev('item.answered', 1320, 'b'),
      ev('run.running', 1320),
      ev('run.paused', 1400),
      ev('run.resumed', 1900, null, { to: 'running' }),
      ev('item.started', 1910, 'c'),
      ev('item.succeeded', 2000, 'c'),
      ev('run.succeeded', 2000),
    ];
    const b = runBreakdown({ created_at: T0, finished_at: T0 + 2000 }, events, T0 + 99_999);
    assert.deepEqual(b, { queued_ms: 100, running_ms: 400, waiting_for_input_ms: 1000, paused_ms: 500, backing_off_ms: 0, idle_ms: 0, total_ms: 2000 });
  });

  test('a retry backoff counts until the next start or the due time, and only while nothing else executes', () => {
    const events = [
      ev('run.queued', 0),
      ev('run.started', 0),
      ev('item.started', 0, 'a'),
      ev('item.retrying', 100, 'a', { next_attempt_at: T0 + 600 }),
      // Due at 600 but claimed only at 700: 600–700 is running (waiting for a slot), not backoff.
      ev('item.started', 700, 'a'),
      ev('item.started', 710, 'b'),
      ev('item.retrying', 800, 'a', { next_attempt_at: T0 + 5000 }),
      // b still executes until 900: only 900–1000 is backoff.
      ev('item.succeeded', 900, 'b'),
      ev('item.started', 1000, 'a'),
      ev('item.succeeded', 1100, 'a'),
      ev('run.succeeded', 1100),
    ];
    const b = runBreakdown({ created_at: T0, finished_at: T0 + 1100 }, events, T0);
    assert.equal(b.backing_off_ms, 500 + 100);
    assert.equal(b.running_ms, 1100 - 600);
    assert.equal(parts(b), b.total_ms);
  });

  test('an unfinished run ends at now; a reopened run counts its finished gap as idle', () => {
    const events = [
      ev('run.queued', 0),
      ev('run.started', 50),
      ev('run.failed', 150),
      ev('run.retry_failed', 1150, null, { items: 1, reopened: true }),
      ev('item.started', 1160, 'a'),
    ];
    const b = runBreakdown({ created_at: T0, finished_at: null }, events, T0 + 2000);
    assert.deepEqual(b, { queued_ms: 50, running_ms: 100 + 850, waiting_for_input_ms: 0, paused_ms: 0, backing_off_ms: 0, idle_ms: 1000, total_ms: 2000 });
  });

  test('a run paused while queued and resumed to queued stays queued', () => {
    const events = [ev('run.queued', 0), ev('run.paused', 10), ev('run.resumed', 40, null, { to: 'queued' }), ev('run.started', 100), ev('run.canceled', 120)];
    const b = runBreakdown({ created_at: T0, finished_at: T0 + 120 }, events, T0);
    assert.deepEqual([b.queued_ms, b.paused_ms, b.running_ms, b.total_ms], [70, 30, 20, 120]);
  });
});

const TYPES = [
  'run.queued',
  'run.started',
  'run.running',
  'run.waiting_for_input',
  'run.paused',
  'run.resumed',
  'run.retry_failed',
  'run.succeeded',
  'run.failed',
  'run.canceled',
  'item.started',
  'item.succeeded',
  'item.failed',
  'item.retrying',
  'item.waiting',
  'item.answered',
  'item.released',
  'item.lease_expired',
] as const;

const eventArb = fc.record({
  type: fc.constantFrom(...TYPES),
  dt: fc.integer({ min: -50, max: 5_000 }),
  item: fc.constantFrom('a', 'b', 'c'),
  due: fc.integer({ min: -100, max: 8_000 }),
  to: fc.constantFrom('queued', 'running', 'waiting_for_input', 'paused', 'bogus'),
  reopened: fc.boolean(),
});

describe('runBreakdown: property', () => {
  test('random event sequences: parts are non-negative and add up exactly to the total', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 60 }),
        fc.integer({ min: -1_000, max: 400_000 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 100_000 }),
        (raw, endOffset, finished, nowOffset) => {
          let at = T0;
          const events: BreakdownEvent[] = raw.map((r) => {
            at += r.dt;
            const isItem = r.type.startsWith('item.');
            const data: Record<string, unknown> = {};
            if (r.type === 'item.retrying' || r.type === 'item.lease_expired') data.next_attempt_at = at + r.due;
            if (r.type === 'run.resumed') data.to = r.to;
            if (r.type === 'run.retry_failed') Object.assign(data, { reopened: r.reopened, items: 1 });
            return { type: r.type, at, item_id: isItem ? r.item : null, data };
          });
          const run = { created_at: T0, finished_at: finished ? T0 + endOffset : null };
          const b = runBreakdown(run, events, T0 + nowOffset);
          assert.equal(b.total_ms, Math.max(0, (run.finished_at ?? T0 + nowOffset) - T0));
          for (const [k, v] of Object.entries(b)) assert.ok(Number.isInteger(v) && v >= 0, `${k} = ${v}`);
          assert.equal(parts(b), b.total_ms);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
