/** Retry policy: table cases plus properties of the backoff (pure; random comes in as a number). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { backoffDelay, decideRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../src/core/retry.js';

const NUM_RUNS = 200;
const NOW = 1_700_000_000_000;

const policyArb: fc.Arbitrary<RetryPolicy> = fc.record({
  maxAttempts: fc.integer({ min: 1, max: 20 }),
  baseDelayMs: fc.integer({ min: 0, max: 10_000 }),
  maxDelayMs: fc.integer({ min: 0, max: 600_000 }),
  factor: fc.double({ min: 1, max: 5, noNaN: true }),
  jitter: fc.double({ min: 0, max: 1, noNaN: true }),
});
const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('retry: decideRetry', () => {
  const policy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 5000, factor: 2, jitter: 0 };

  test('a permanent error fails at once, whatever the attempt', () => {
    for (const attempt of [1, 2, 3, 10]) assert.deepEqual(decideRetry(policy, attempt, { retryable: false }, NOW, 0.5), { kind: 'fail', reason: 'permanent' });
  });

  test('attempt >= maxAttempts → attempts_exhausted', () => {
    assert.deepEqual(decideRetry(policy, 3, { retryable: true }, NOW, 0), { kind: 'fail', reason: 'attempts_exhausted' });
    assert.deepEqual(decideRetry(policy, 7, { retryable: true }, NOW, 0), { kind: 'fail', reason: 'attempts_exhausted' });
    assert.deepEqual(decideRetry({ ...policy, maxAttempts: 1 }, 1, { retryable: true }, NOW, 0), { kind: 'fail', reason: 'attempts_exhausted' });
  });

  test('exponential delays without jitter, capped at maxDelayMs', () => {
    const p = { ...policy, maxAttempts: 10 };
    const delays = [1, 2, 3, 4, 5].map((a) => decideRetry(p, a, { retryable: true }, NOW, 0.9));
    assert.deepEqual(
      delays.map((d) => (d.kind === 'retry' ? d.delayMs : -1)),
      [1000, 2000, 4000, 5000, 5000],
    );
  });

  test('retryAfterMs overrides the computed delay but is capped and floored', () => {
    assert.deepEqual(decideRetry(policy, 1, { retryable: true, retryAfterMs: 1234 }, NOW, 0.7), { kind: 'retry', delayMs: 1234, nextAttemptAt: NOW + 1234 });
    assert.deepEqual(decideRetry(policy, 1, { retryable: true, retryAfterMs: 3_600_000 }, NOW, 0.7), {
      kind: 'retry',
      delayMs: 5000,
      nextAttemptAt: NOW + 5000,
    });
    assert.deepEqual(decideRetry(policy, 1, { retryable: true, retryAfterMs: -50 }, NOW, 0.7), { kind: 'retry', delayMs: 0, nextAttemptAt: NOW });
    // A retryAfterMs never rescues a permanent error or an exhausted item.
    assert.equal(decideRetry(policy, 1, { retryable: false, retryAfterMs: 10 }, NOW, 0).kind, 'fail');
    assert.equal(decideRetry(policy, 3, { retryable: true, retryAfterMs: 10 }, NOW, 0).kind, 'fail');
  });

  test('the default policy: 3 attempts, 1 s base, 60 s cap', () => {
    assert.equal(DEFAULT_RETRY_POLICY.maxAttempts, 3);
    const d = decideRetry(DEFAULT_RETRY_POLICY, 1, { retryable: true }, NOW, 0);
    assert.equal(d.kind, 'retry');
    if (d.kind === 'retry') assert.equal(d.delayMs, 500, 'jitter 0.5 with random 0 halves the 1 s base');
  });
});

describe('retry: properties', () => {
  test('delay is an integer in [0, maxDelayMs] and nextAttemptAt = now + delayMs', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.integer({ min: 1, max: 60 }),
        randomArb,
        fc.option(fc.integer({ min: -1000, max: 10_000_000 }), { nil: undefined }),
        (p, attempt, random, retryAfterMs) => {
          const error = retryAfterMs === undefined ? { retryable: true } : { retryable: true, retryAfterMs };
          const d = decideRetry(p, attempt, error, NOW, random);
          if (attempt >= p.maxAttempts) return assert.deepEqual(d, { kind: 'fail', reason: 'attempts_exhausted' });
          assert.equal(d.kind, 'retry');
          if (d.kind !== 'retry') return;
          assert.ok(Number.isInteger(d.delayMs), `delay ${d.delayMs}`);
          assert.ok(d.delayMs >= 0 && d.delayMs <= p.maxDelayMs, `delay ${d.delayMs} outside [0, ${p.maxDelayMs}]`);
          assert.equal(d.nextAttemptAt, NOW + d.delayMs);
          if (retryAfterMs !== undefined) assert.equal(d.delayMs, Math.min(Math.max(0, retryAfterMs), p.maxDelayMs));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  test('with jitter 0 the delay is non-decreasing in attempt for a fixed random', () => {
    fc.assert(
      fc.property(policyArb, randomArb, fc.integer({ min: 1, max: 40 }), (p, random, attempts) => {
        const policy = { ...p, jitter: 0, maxAttempts: attempts + 1 };
        let previous = -1;
        for (let a = 1; a <= attempts; a++) {
          const d = decideRetry(policy, a, { retryable: true }, NOW, random);
          assert.equal(d.kind, 'retry');
          if (d.kind !== 'retry') return;
          assert.ok(d.delayMs >= previous, `attempt ${a}: ${d.delayMs} < ${previous}`);
          previous = d.delayMs;
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('jitter only ever shortens the jitter-free delay, by at most the jitter share', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 1, max: 30 }), randomArb, (p, attempt, random) => {
        const full = backoffDelay({ ...p, jitter: 0 }, attempt, random);
        const jittered = backoffDelay(p, attempt, random);
        assert.ok(jittered <= full, `${jittered} > ${full}`);
        assert.ok(jittered >= Math.floor(full * (1 - p.jitter)) - 1, `${jittered} < (1 - ${p.jitter}) · ${full}`);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('a zero base delay stays within [0, maxDelayMs] even after very many attempts', () => {
    const d = backoffDelay({ maxAttempts: 5000, baseDelayMs: 0, maxDelayMs: 1000, factor: 2, jitter: 0 }, 1100, 0);
    assert.ok(d >= 0 && d <= 1000, `delay ${d}`);
  });
});
