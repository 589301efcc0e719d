import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  applyMove,
  checkAmount,
  costShapeOf,
  emptyBalance,
  itemCostBound,
  parsePriceTable,
  replay,
  startReservation,
  usageCost,
  type LedgerMove,
} from '../../src/core/credits.js';

describe('credits: pure math', () => {
  test('price tables: known keys only, whole non-negative micro-credits', () => {
    assert.deepEqual(parsePriceTable({ js_call: 5, 'tokens:gpt-x:input': 10 }), { js_call: 5, 'tokens:gpt-x:input': 10 });
    for (const [bad, field] of [
      [{ pizza: 1 }, 'prices.pizza'],
      [{ js_call: -1 }, 'prices.js_call'],
      [{ js_call: 0.5 }, 'prices.js_call'],
      [{ js_call: '10' }, 'prices.js_call'],
      [{ js_call: 1e18 }, 'prices.js_call'],
      [[1], 'prices'],
    ] as const) {
      assert.throws(
        () => parsePriceTable(bad),
        (e: Error & { details?: { field?: string } }) => e.details?.field === field,
        JSON.stringify(bad),
      );
    }
  });

  test('amounts: negative, zero, fractional, oversized and non-numbers are refused', () => {
    for (const bad of [-1, 0, 0.1, 1e-9, 9e18, '10', Number.NaN, Infinity]) assert.throws(() => checkAmount(bad, 'amount_micro'), /amount_micro/);
    assert.equal(checkAmount(-5, 'x', { allowNegative: true }), -5);
  });

  test('cost bounds cover any usage: a capture never exceeds the item bound', () => {
    const prices = { js_call: 7, http_call: 11, command_second: 13, 'tokens:m:input': 3, 'tokens:m:output': 5 };
    fc.assert(
      fc.property(fc.constantFrom('js', 'http', 'shell'), fc.nat(600_000), fc.nat(10_000), (producer, timeout, commandMs) => {
        const bound = itemCostBound(prices, { producer, item_timeout_ms: timeout });
        const cost = usageCost(prices, producer, { command_ms: Math.min(commandMs, timeout), http_calls: producer === 'http' ? 1 : 0 }, bound);
        assert.ok(cost >= 0 && cost <= bound);
      }),
    );
    assert.equal(itemCostBound(prices, { producer: 'shell', item_timeout_ms: 2000 }), 26);
    assert.equal(startReservation({ item_cost_bound: 10, items_pending: 5, credit_cap: null }), 50);
    assert.equal(startReservation({ item_cost_bound: 10, items_pending: 5, credit_cap: 25 }), 25);
  });

  test('llm cost shape: model and token caps from the config, defaults when unset; the bound prices both caps', () => {
    const prices = { 'tokens:m:input': 2000, 'tokens:m:output': 8000 };
    const shape = costShapeOf({ producer: 'llm', item_timeout_ms: 1000, config: { model: 'm', max_output_tokens: 64, max_input_tokens: 512 } });
    assert.deepEqual(shape, { producer: 'llm', item_timeout_ms: 1000, model: 'm', max_output_tokens: 64, max_input_tokens: 512 });
    assert.equal(itemCostBound(prices, shape), 1024 + 512);
    const dflt = costShapeOf({ producer: 'llm', item_timeout_ms: 1000, config: { model: 'm', max_output_tokens: 'x' } });
    assert.equal(dflt.max_output_tokens, 1024);
    assert.equal(dflt.max_input_tokens, 8192);
    assert.equal(usageCost(prices, 'llm', { model: 'm', input_tokens: 30, output_tokens: 6 }, itemCostBound(prices, shape)), 60 + 48);
    assert.deepEqual(costShapeOf({ producer: 'shell', item_timeout_ms: 5, config: { model: 'm' } }), { producer: 'shell', item_timeout_ms: 5 });
  });

  test('property: a random valid interleaving keeps available ≥ 0 and replay equal to step-by-step', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('grant' as const), amount: fc.integer({ min: 1, max: 1000 }) }),
      fc.record({ kind: fc.constant('reserve' as const), amount: fc.integer({ min: 1, max: 500 }) }),
      fc.record({ kind: fc.constant('capture' as const), amount: fc.integer({ min: 1, max: 500 }) }),
      fc.record({ kind: fc.constant('release' as const), amount: fc.integer({ min: 1, max: 500 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        let b = emptyBalance();
        const applied: LedgerMove[] = [];
        for (const o of ops) {
          // The engine's rules: reserve only what is available; capture/release only what is outstanding.
          if (o.kind === 'reserve' && o.amount > b.available) continue;
          if ((o.kind === 'capture' || o.kind === 'release') && o.amount > b.outstanding) continue;
          b = applyMove(b, o);
          applied.push(o);
          assert.ok(b.available >= 0 && b.outstanding >= 0);
          assert.equal(b.available, b.granted + b.adjusted - b.captured - b.outstanding);
        }
        assert.deepEqual(replay(applied), b);
      }),
      { numRuns: 300 },
    );
  });
});
