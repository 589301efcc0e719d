/**
 * The pure parts of ingestion (issue 16): JSON paths, RFC 8288 `Link` parsing, definition
 * validation naming the field, and the ingestion kind's planning (cursor chains, page lanes,
 * the one page past the maximum, loops carried in `recent`).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../src/core/errors.js';
import { atPath, nextLink, parseIngestionDefinition, parsePath, sourcePart, type PageInputs } from '../../src/core/ingestion.js';
import type { ItemRecord, RunRecord } from '../../src/core/model.js';
import { ingestionKind } from '../../src/kinds/index.js';

const def = (over: Record<string, unknown> = {}) =>
  parseIngestionDefinition({
    name: 'src',
    table_id: 'tbl_1',
    request: { url: 'https://api.example.com/items' },
    records_path: 'data',
    key_field: 'id',
    pagination: { type: 'page' },
    page_size: 10,
    ...over,
  });

function fieldOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    return err.details?.field;
  }
  return assert.fail('expected a ValidationError');
}

describe('ingestion core', () => {
  test('JSON paths', () => {
    assert.deepEqual(parsePath('$'), []);
    assert.deepEqual(parsePath(''), []);
    assert.deepEqual(parsePath('data.items'), ['data', 'items']);
    assert.deepEqual(parsePath('$.data[2].rows'), ['data', 2, 'rows']);
    for (const bad of ['a..b', 'a.', '.a', 'a[x]']) assert.equal(parsePath(bad), undefined, bad);
    assert.deepEqual(atPath({ data: [{ rows: [1] }] }, 'data[0].rows'), [1]);
    assert.equal(atPath({ data: null }, 'data.rows'), undefined);
  });

  test('Link rel="next"', () => {
    const base = 'https://api.example.com/items?page=1';
    assert.equal(nextLink('<https://api.example.com/items?page=2>; rel="next", <...?page=9>; rel="last"', base), 'https://api.example.com/items?page=2');
    assert.equal(nextLink('</items?page=3>; rel=next', base), 'https://api.example.com/items?page=3');
    assert.equal(nextLink('<x>; rel="prev"', base), null);
    assert.equal(nextLink(null, base), null);
  });

  test('a bad definition names the field', () => {
    assert.equal(
      fieldOf(() => def({ records_path: 'a..b' })),
      'records_path',
    );
    assert.equal(
      fieldOf(() => def({ pagination: { type: 'cursor' } })),
      'pagination.cursor_path',
    );
    assert.equal(
      fieldOf(() => def({ fan_out: 100 })),
      'fan_out',
    );
    assert.equal(
      fieldOf(() => def({ request: { url: 'https://x', method: 'PUT' } })),
      'request.method',
    );
    assert.equal(
      fieldOf(() => def({ auth: { secret: 'A B', header: 'x' } })),
      'auth.secret',
    );
    assert.equal(
      fieldOf(() => parseIngestionDefinition({}, 'target.source.definition')),
      'target.source.definition.name',
    );
    // A file at a URL is one page of records: no records_path, pagination none.
    assert.equal(
      fieldOf(() => def({ format: 'xml' })),
      'format',
    );
    assert.equal(
      fieldOf(() => def({ format: 'csv', records_path: undefined })),
      'pagination.type',
    );
    assert.equal(
      fieldOf(() => def({ format: 'ndjson', pagination: { type: 'none' } })),
      'records_path',
    );
    assert.equal(
      fieldOf(() => def({ records_path: undefined })),
      'records_path',
    );
    assert.equal(def({ format: 'csv', records_path: undefined, pagination: { type: 'none' } }).format, 'csv');
  });
});

describe('ingestion kind planning', () => {
  const run = (over: Record<string, unknown>) => ({ spec: { config: sourcePart(def(over)) } }) as unknown as RunRecord;
  const item = (key: string, inputs: Partial<PageInputs>) => ({ key, inputs }) as unknown as ItemRecord;
  const ok = (outputs: Record<string, unknown>) => outputs;

  test('page sources start fan_out lanes; a full page appends its lane, a short one ends it; one page past max_pages', () => {
    const r = run({ fan_out: 3, max_pages: 7 });
    const src = sourcePart(def({ fan_out: 3, max_pages: 7 }));
    const start = ingestionKind.replay(r, []);
    assert.deepEqual(
      start.items.map((i) => i.key),
      ['page:1', 'page:2', 'page:3'],
    );
    const next = (n: number, full: boolean) =>
      ingestionKind
        .next(r, { kind: 'succeeded', item: item(`page:${n}`, { source: src, page: n }), outputs: ok({ full, next: null, records: [] }) })
        .append.map((i) => i.key);
    assert.deepEqual(next(1, true), ['page:4']);
    assert.deepEqual(next(2, false), []);
    assert.deepEqual(next(5, true), ['page:8'], 'the lane reaching max_pages + 1 plans it (it fails past_max_pages)');
    assert.deepEqual(next(6, true), [], 'no other lane goes past it');
    const failed = (retryable: boolean) =>
      ingestionKind
        .next(r, { kind: 'failed', item: item('page:2', { source: src, page: 2 }), error: { code: 'x', message: 'x', retryable } })
        .append.map((i) => i.key);
    assert.deepEqual(failed(true), ['page:5'], 'a page that kept failing with a retryable error fails alone: its lane goes on');
    assert.deepEqual(failed(false), []);
  });

  test('cursor sources chain: the next page carries the cursor, the count and the recent cursors', () => {
    const over = { pagination: { type: 'cursor', cursor_path: 'next' } };
    const r = run(over);
    const src = sourcePart(def(over));
    assert.deepEqual(
      ingestionKind.replay(r, []).items.map((i) => i.key),
      ['page:1'],
    );
    const plan = ingestionKind.next(r, {
      kind: 'succeeded',
      item: item('page:3', { source: src, page: 3, cursor: 'c2', url: null, records_before: 20, recent: ['c1'] }),
      outputs: ok({ next: 'c3', records: new Array(10).fill({}), full: true }),
    });
    assert.equal(plan.append.length, 1);
    const p = plan.append[0]!.inputs as unknown as PageInputs;
    assert.deepEqual([plan.append[0]!.key, p.cursor, p.records_before, p.recent], ['page:4', 'c3', 30, ['c1', 'c2']]);
    const end = ingestionKind.next(r, {
      kind: 'succeeded',
      item: item('page:3', { source: src, page: 3, cursor: 'c2', recent: [] }),
      outputs: ok({ next: null, records: [] }),
    });
    assert.deepEqual(end.append, []);
    const failed = ingestionKind.next(r, { kind: 'failed', item: item('page:3', { source: src }), error: { code: 'http_500', message: 'x', retryable: true } });
    assert.deepEqual(failed.append, [], 'a failed cursor page appends nothing: retry-failed continues from it');
  });

  test('a dry run plans the first page only; a smoke test of N pages stops chains and lanes at N and says so', async () => {
    const cursor = { pagination: { type: 'cursor', cursor_path: 'next' } };
    const rc = { ...run(cursor), mode: 'smoke_test' } as RunRecord;
    const src = sourcePart(def(cursor));
    const target = { config: src } as never;
    const io = {} as never;
    const keys = async (over: Record<string, unknown>, opts: Parameters<typeof ingestionKind.start>[2]) =>
      (await ingestionKind.start({ config: sourcePart(def(over)) } as never, io, opts)).items.map((i) => i.key);
    assert.deepEqual(await keys({ fan_out: 4 }, { mode: 'dry_run' }), ['page:1']);
    assert.deepEqual(await keys({ fan_out: 4 }, { mode: 'smoke_test', smoke_test_items: 2 }), ['page:1', 'page:2']);
    assert.deepEqual(await keys({ fan_out: 4 }, { mode: 'live' }), ['page:1', 'page:2', 'page:3', 'page:4']);
    const first = (await ingestionKind.start(target, io, { mode: 'smoke_test', smoke_test_items: 2 })).items[0]!;
    assert.equal((first.inputs as unknown as PageInputs).page_limit, 2);
    const at = (n: number) =>
      ingestionKind.next(rc, {
        kind: 'succeeded',
        item: item(`page:${n}`, { source: src, page: n, cursor: 'c', url: null, records_before: 0, recent: [], page_limit: 2 }),
        outputs: ok({ next: `c${n}`, records: [{}], full: true }),
      });
    assert.deepEqual(
      at(1).append.map((i) => i.key),
      ['page:2'],
    );
    assert.equal((at(1).append[0]!.inputs as unknown as PageInputs).page_limit, 2, 'the limit travels down the chain');
    assert.deepEqual(at(2).append, []);
    assert.deepEqual(at(2).result?.output, { stopped: 'smoke_test_limit', page_limit: 2 });
    assert.match(at(2).result?.summary ?? '', /smoke test/);

    const rp = { ...run({ fan_out: 2 }), mode: 'smoke_test' } as RunRecord;
    const lane = (n: number) =>
      ingestionKind.next(rp, {
        kind: 'succeeded',
        item: item(`page:${n}`, { source: sourcePart(def({ fan_out: 2 })), page: n, page_limit: 3 }),
        outputs: ok({ full: true }),
      });
    assert.deepEqual(
      lane(1).append.map((i) => i.key),
      ['page:3'],
    );
    assert.deepEqual(lane(2).append, [], 'page 4 is past the smoke limit');
    assert.equal((lane(2).result?.output as { stopped: string }).stopped, 'smoke_test_limit');
    assert.deepEqual(
      ingestionKind.replay(rp, [{ inputs: { page_limit: 3 } } as unknown as ItemRecord]).items.map((i) => i.key),
      ['page:1', 'page:2'],
    );
  });
});
