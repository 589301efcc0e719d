/** toItemError: every kind of throwable normalised once, messages clipped. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  IdempotencyConflictError,
  LeaseLostError,
  MAX_ERROR_MESSAGE,
  NotFoundError,
  PermanentError,
  RetryableError,
  RunyardError,
  toItemError,
  ValidationError,
} from '../../src/core/errors.js';

describe('errors: toItemError', () => {
  test('PermanentError → not retryable, code and detail kept', () => {
    assert.deepEqual(toItemError(new PermanentError('bad_row', 'row 3 is bad', { row: 3 })), {
      code: 'bad_row',
      message: 'row 3 is bad',
      retryable: false,
      detail: { row: 3 },
    });
    assert.deepEqual(toItemError(new PermanentError('bad_row', 'no detail')), { code: 'bad_row', message: 'no detail', retryable: false });
  });

  test('RetryableError → retryable, retryAfterMs and detail kept', () => {
    assert.deepEqual(toItemError(new RetryableError('rate_limited', 'slow down', 1500, { h: 1 })), {
      code: 'rate_limited',
      message: 'slow down',
      retryable: true,
      retryAfterMs: 1500,
      detail: { h: 1 },
    });
    assert.deepEqual(toItemError(new RetryableError('flaky', 'again')), { code: 'flaky', message: 'again', retryable: true });
  });

  test('a RunyardError keeps its code and is permanent', () => {
    assert.deepEqual(toItemError(new ValidationError('x is bad', { field: 'x' })), { code: 'validation_failed', message: 'x is bad', retryable: false });
    assert.equal(toItemError(new RunyardError('template_error', 'config.a: nope')).code, 'template_error');
  });

  test('a plain Error is retryable producer_failed', () => {
    assert.deepEqual(toItemError(new Error('boom')), { code: 'producer_failed', message: 'boom', retryable: true });
    assert.deepEqual(
      toItemError(new TypeError('')),
      { code: 'producer_failed', message: 'TypeError', retryable: true },
      'empty message falls back to the name',
    );
  });

  test('an Error carrying retryable:false and a code is permanent with that code', () => {
    const e = Object.assign(new Error('bad input'), { retryable: false, code: 'bad_input' });
    assert.deepEqual(toItemError(e), { code: 'bad_input', message: 'bad input', retryable: false });
    const r = Object.assign(new Error('x'), { retryable: true, code: 'upstream_down' });
    assert.deepEqual(toItemError(r), { code: 'upstream_down', message: 'x', retryable: true });
  });

  test('codes that are not lower_snake identifiers become producer_failed', () => {
    for (const code of ['ECONNRESET', 'has space', '9lives', 42, 'x'.repeat(65)]) {
      assert.equal(toItemError(Object.assign(new Error('x'), { code })).code, 'producer_failed', String(code));
    }
    assert.equal(toItemError(Object.assign(new Error('x'), { code: 'x'.repeat(64) })).code, 'x'.repeat(64));
  });

  test('non-Error throwables are retryable producer_failed with their text', () => {
    assert.deepEqual(toItemError('just a string'), { code: 'producer_failed', message: 'just a string', retryable: true });
    assert.deepEqual(toItemError(42), { code: 'producer_failed', message: '42', retryable: true });
    assert.deepEqual(toItemError(undefined), { code: 'producer_failed', message: 'undefined', retryable: true });
    assert.deepEqual(toItemError(null), { code: 'producer_failed', message: 'null', retryable: true });
    assert.equal(toItemError({ message: 'looks like an error' }).code, 'producer_failed');
  });

  test('a throwable without a string form is still normalised', () => {
    const e = toItemError(Object.create(null));
    assert.equal(e.code, 'producer_failed');
  });

  test('domain errors carry their codes and details', () => {
    assert.equal(new NotFoundError('run', 'run_x').code, 'not_found');
    assert.equal(new LeaseLostError('itm_x').details?.['item_id'], 'itm_x');
    assert.equal(new IdempotencyConflictError('k').code, 'idempotency_conflict');
  });
});

describe('errors: message clipping', () => {
  test('short messages are kept exactly', () => {
    const m = 'x'.repeat(MAX_ERROR_MESSAGE);
    assert.equal(toItemError(new Error(m)).message, m);
  });

  test('long messages are clipped to the prefix and marked', () => {
    for (const err of [
      new Error('y'.repeat(10_000)),
      new PermanentError('p', 'y'.repeat(10_000)),
      new RetryableError('r', 'y'.repeat(10_000)),
      'y'.repeat(10_000),
    ]) {
      const { message } = toItemError(err);
      assert.ok(message.startsWith('y'.repeat(MAX_ERROR_MESSAGE - 1)));
      assert.ok(message.endsWith('…'));
    }
  });

  test('property: a stored message is never longer than MAX_ERROR_MESSAGE', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 * MAX_ERROR_MESSAGE }), (n) => {
        assert.ok(toItemError(new Error('z'.repeat(n) || 'e')).message.length <= MAX_ERROR_MESSAGE);
      }),
      { numRuns: 200 },
    );
  });
});
