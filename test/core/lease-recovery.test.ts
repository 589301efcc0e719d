/** The lease recovery decision (core/lease-recovery.ts), table-driven. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideLeaseRecovery, DEFAULT_MAX_LEASE_LOSSES, isOwnerAlive } from '../../src/core/lease-recovery.js';

const base = { attempt_count: 1, max_attempts: 3, lease_lost_count: 0, owner_id: 'nod_a' };

test('a dead owner spends the attempt; with none left the item fails worker_crashed', () => {
  assert.deepEqual(decideLeaseRecovery({ ...base, owner_alive: false }), { kind: 'requeue', spent: true, attempt_count: 1, lease_lost_count: 0 });
  const last = decideLeaseRecovery({ ...base, attempt_count: 3, owner_alive: false });
  assert.equal(last.kind, 'fail');
  assert.equal(last.kind === 'fail' && last.error.code, 'worker_crashed');
  assert.equal(last.attempt_count, 3);
});

test('a live owner gives the attempt back and counts a loss, up to the limit; then lease_lost_limit', () => {
  for (let lost = 0; lost < DEFAULT_MAX_LEASE_LOSSES; lost++) {
    assert.deepEqual(decideLeaseRecovery({ ...base, attempt_count: 3, lease_lost_count: lost, owner_alive: true }), {
      kind: 'requeue',
      spent: false,
      attempt_count: 2,
      lease_lost_count: lost + 1,
    });
  }
  const over = decideLeaseRecovery({ ...base, lease_lost_count: DEFAULT_MAX_LEASE_LOSSES, owner_alive: true });
  assert.equal(over.kind, 'fail');
  assert.equal(over.kind === 'fail' && over.error.code, 'lease_lost_limit');
  assert.equal(over.spent, false);
  assert.equal(over.lease_lost_count, DEFAULT_MAX_LEASE_LOSSES + 1);
  assert.equal(decideLeaseRecovery({ ...base, owner_alive: true }, 0).kind, 'fail', 'a limit of 0 fails on the first loss');
});

test('an owner is alive while not stopped and heartbeated within the window', () => {
  assert.equal(isOwnerAlive(undefined, 10_000, 2000), false, 'no row');
  assert.equal(isOwnerAlive({ heartbeat_at: 9000, stopped_at: null }, 10_000, 2000), true);
  assert.equal(isOwnerAlive({ heartbeat_at: 8000, stopped_at: null }, 10_000, 2000), false, 'exactly one window ago: dead');
  assert.equal(isOwnerAlive({ heartbeat_at: 9999, stopped_at: 9999 }, 10_000, 2000), false, 'stopped');
});
