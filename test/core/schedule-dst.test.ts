/**
 * Schedules across daylight-saving changes (issue 15 §3), croner with a time zone
 * (Europe/Berlin): the scheduler's slot decision, stepped minute by minute through the whole day
 * as the nodes' ticks would, fires a slot inside the spring-forward gap once (croner moves it to
 * the end of the gap, 03:00 CEST) and a slot in the repeated autumn hour once (its first
 * occurrence, CEST); an every-30-minutes cron fires each of croner's slots of the day exactly
 * once, none twice across the repeated hour.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideSlots, nextSlots, type ScheduleDefinition } from '../../src/core/triggers.js';

const DAY = 24 * 3_600_000;

/** Every slot the scheduler fires from `from` over 26 h, ticking each minute (cursor moved as the store would). */
function fired(cron: string, from: number): number[] {
  const def: ScheduleDefinition = { name: 's', cron, timezone: 'Europe/Berlin', catch_up: 'none', target: { type: 'column' } };
  let cursor = from;
  const out: number[] = [];
  for (let now = from; now <= from + DAY + 2 * 3_600_000; now += 60_000) {
    const d = decideSlots(def, cursor, now, 60_000);
    out.push(...d.fire);
    cursor = d.cursor;
  }
  return out;
}

const iso = (ts: number[]) => ts.map((t) => new Date(t).toISOString());

test('spring forward (2026-03-29, 02:00 → 03:00 CET → CEST): a slot inside the gap fires once, at the end of the gap', () => {
  const from = Date.parse('2026-03-28T22:00:00Z'); // 23:00 CET, the evening before
  const slots = fired('30 2 * * *', from).filter((t) => t < from + DAY);
  assert.deepEqual(iso(slots), ['2026-03-29T01:00:00.000Z']); // 03:00 CEST
  // The slot before the gap and the one after are untouched.
  assert.deepEqual(iso(fired('30 1 * * *', from).filter((t) => t < from + DAY)), ['2026-03-29T00:30:00.000Z']);
  assert.deepEqual(iso(fired('30 3 * * *', from).filter((t) => t < from + DAY)), ['2026-03-29T01:30:00.000Z']);
});

test('fall back (2026-10-25, 03:00 → 02:00 CEST → CET): a slot in the repeated hour fires once, its first occurrence', () => {
  const from = Date.parse('2026-10-24T21:00:00Z'); // 23:00 CEST, the evening before
  const slots = fired('30 2 * * *', from).filter((t) => t < from + DAY);
  assert.deepEqual(iso(slots), ['2026-10-25T00:30:00.000Z']); // 02:30 CEST, not again at 02:30 CET (01:30Z)
  assert.deepEqual(iso(fired('0 2 * * *', from).filter((t) => t < from + DAY)), ['2026-10-25T00:00:00.000Z']);
});

test("every 30 minutes through both changes: each of croner's slots fires exactly once, none twice", () => {
  for (const day of ['2026-03-28T22:00:00Z', '2026-10-24T21:00:00Z']) {
    const from = Date.parse(day);
    const got = fired('*/30 * * * *', from).filter((t) => t <= from + DAY);
    const want = nextSlots({ cron: '*/30 * * * *', timezone: 'Europe/Berlin' }, from, 200).filter((t) => t <= from + DAY);
    assert.deepEqual(iso(got), iso(want));
    assert.equal(new Set(got).size, got.length, 'no slot fired twice');
    // Slots are at least 30 min apart in real time: the repeated hour is not fired twice in a row.
    for (let i = 1; i < got.length; i++) assert.ok((got[i] ?? 0) - (got[i - 1] ?? 0) >= 30 * 60_000, `${iso([got[i - 1] ?? 0, got[i] ?? 0]).join(' → ')}`);
  }
});
