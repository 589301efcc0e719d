/**
 * The benchmark harness's own checks (the benchmarks themselves are not run by `npm test`):
 * the verdicts of the target table, and that the generated history is what the engine would
 * have written — ids in creation order, item rows matching each run's counts, and the store's
 * own `listRuns` / `listItems` reading it back.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { BenchContext, configFromEnv } from '../../bench/lib/context.js';
import { sqliteHistory } from '../../bench/lib/history-db.js';
import { compare, headline, resultRows, type Baseline } from '../../bench/lib/baseline.js';
import { beforeAfter, rows } from '../../bench/lib/report.js';
import { judge, percentile, targetFor } from '../../bench/lib/results.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

describe('bench targets', () => {
  test('exact and wildcard ids find their target; others have none', () => {
    assert.equal(targetFor('throughput.sqlite.items_per_s')?.bound, 40_000);
    assert.equal(targetFor('ratio.pg2_vs_pg1')?.bound, 1.3);
    assert.equal(targetFor('history.sqlite.name_miss.p99')?.bound, 50);
    assert.equal(targetFor('history.sqlite.name_miss.p50'), undefined);
    assert.equal(targetFor('export.csv.peak_rss')?.bound, 300);
    assert.equal(targetFor('latency.sqlite.recorded.p50'), undefined);
  });

  test('verdicts: min and max bounds, and how far off a gap is', () => {
    const m = (id: string, value: number) => ({ id, section: 's', label: 'l', db: 'sqlite', value, unit: 'u' });
    assert.equal(judge(m('throughput.sqlite.items_per_s', 40_000)).verdict, 'pass');
    assert.equal(judge(m('throughput.sqlite.items_per_s', 20_000)).verdict, 'gap: 0.50× the target');
    assert.equal(judge(m('latency.sqlite.p99', 3)).verdict, 'pass');
    assert.equal(judge(m('latency.sqlite.p99', 6)).verdict, 'gap: 2.0× the bound');
    assert.equal(judge(m('history.sqlite.none.p50', 900)).verdict, '');
  });

  test('percentiles by nearest rank; p50/p99 siblings share one table line judged on their targets', () => {
    const samples = Array.from({ length: 200 }, (_, i) => i + 1);
    assert.equal(percentile(samples, 50), 100);
    assert.equal(percentile(samples, 99), 198);
    assert.ok(Number.isNaN(percentile([], 50)));
    const m = (id: string, value: number) => ({ id, section: 'latency', label: `create → start, ${id.slice(-3)}`, db: 'sqlite', value, unit: 'ms' });
    const lines = rows([m('latency.sqlite.p50', 0.8), m('latency.sqlite.p90', 2), m('latency.sqlite.p99', 4)]);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.label, 'create → start');
    assert.equal(lines[0]?.value, 'p50 0.8 · p90 2 · p99 4 ms');
    assert.equal(lines[0]?.verdict, 'p99 gap: 1.3× the bound');
  });
});

describe('bench before/after', () => {
  const md = [
    '# Benchmarks',
    '## Results',
    '',
    '| section | db | measure | value | target | verdict | how |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    '| throughput | sqlite | items/s, no-op js column, `runyard up` | 8,336 items/s | ≥ 75,000 | gap | 100,000 rows |',
    '| latency | sqlite | create run (HTTP) → first item started | p50 4.76 · p90 6.72 · p99 11.06 ms | p50 ≤ 1 | gap | 500 runs |',
    '| history | sqlite | GET /v1/runs?name=a \\| b | p50 5 · p99 9 ms |  |  | x |',
    '## Targets',
    '| not | a | result | row |',
  ].join('\n');

  test('the baseline script reads the Results table of an earlier docs/benchmarks.md, escaped pipes included', () => {
    const r = resultRows(md);
    assert.equal(r.length, 3);
    assert.deepEqual(r[0], { section: 'throughput', db: 'sqlite', label: 'items/s, no-op js column, `runyard up`', value: '8,336 items/s' });
    assert.equal(r[2]?.label, 'GET /v1/runs?name=a | b');
  });

  test('headline numbers, and now ÷ before for the measures both runs took', () => {
    assert.equal(headline('8,336 items/s'), 8336);
    assert.equal(headline('p50 4.76 · p99 11.06 ms'), 4.76);
    assert.ok(Number.isNaN(headline('—')));
    const baseline: Baseline = { rev: 'abc1234', taken_at: '2026-12-04T00:00:00Z', load_before: 1, sections: ['throughput'], sizes: {}, rows: resultRows(md) };
    const now = [
      {
        id: 'throughput.sqlite.items_per_s',
        section: 'throughput',
        db: 'sqlite',
        label: 'items/s, no-op js column, `runyard up`',
        value: 16_672,
        unit: 'items/s',
      },
      { id: 'durable.sqlite.items_per_s', section: 'throughput', db: 'sqlite', label: 'durable items/s', value: 9_000, unit: 'items/s' },
    ];
    const c = compare(baseline, rows(now));
    assert.equal(c.length, 1, 'a measure the baseline did not take has no line');
    assert.equal(c[0]?.before, '8,336 items/s');
    assert.equal(c[0]?.now, '16,672 items/s');
    assert.equal(c[0]?.ratio, 2);
    const section = beforeAfter(baseline, now).join('\n');
    assert.match(section, /commit abc1234/);
    assert.match(section, /\| 8,336 items\/s \| 16,672 items\/s \| 2\.00 × \|/);
  });
});

describe('bench history generator (SQLite)', () => {
  const ctx = new BenchContext({ ...configFromEnv(), cache: false });
  after(() => ctx.close());

  test('runs and items as the engine stores them, readable by the store', async () => {
    const h = await sqliteHistory(ctx, 3_000, 1_000);
    assert.equal(h.runs, 3_001);
    const db = new Database(h.database, { readonly: true });
    try {
      const outOfOrder = db
        .prepare(
          'SELECT count(*) AS n FROM (SELECT created_at, lag(created_at) OVER (ORDER BY id) AS prev FROM runs WHERE target_id <> ?) WHERE created_at < prev',
        )
        .get('col_big') as { n: number };
      assert.equal(outOfOrder.n, 0, 'id order is creation order');
      const mismatched = db
        .prepare(
          `SELECT count(*) AS n FROM runs r WHERE r.items_total <> (SELECT count(*) FROM items i WHERE i.run_id = r.id)
             OR r.items_succeeded <> (SELECT count(*) FROM items i WHERE i.run_id = r.id AND i.status = 'succeeded')
             OR r.items_failed <> (SELECT count(*) FROM items i WHERE i.run_id = r.id AND i.status = 'failed')
             OR r.items_canceled <> (SELECT count(*) FROM items i WHERE i.run_id = r.id AND i.status = 'canceled')`,
        )
        .get() as { n: number };
      assert.equal(mismatched.n, 0, "every run's counts match its items");
      const total = db.prepare('SELECT sum(items_total) AS n FROM runs').get() as { n: number };
      assert.equal(total.n, h.items);
    } finally {
      db.close();
    }
    const store = SqliteStore.open({ path: h.database });
    try {
      const failed = await store.listRuns('wsp_default', { status: ['failed'], name: 'invoice' }, { limit: 10 });
      assert.ok(failed.data.length > 0 && failed.data.every((r) => r.status === 'failed' && /invoice/i.test(r.name)));
      const items = await store.listItems('wsp_default', h.bigRunId, { status: ['failed'] }, { limit: 5 });
      assert.deepEqual(
        items.data.map((i) => i.ordinal),
        [0, 97, 194, 291, 388],
      );
      assert.equal(items.data[0]?.error?.code, 'bench_failure');
    } finally {
      await store.close();
    }
  });
});
