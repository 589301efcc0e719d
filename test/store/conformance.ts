/**
 * The store contract suite (STYLE.md §6): written once against the {@link Store} port and run
 * against every adapter. An adapter's test file calls
 * `storeConformance('sqlite', () => openMigratedStore())`; `open` must return a fresh, migrated,
 * empty store each time (every test opens its own and closes it).
 *
 * Times are explicit (`T0 + …`); nothing sleeps. After every engine operation the run's counts
 * are checked against the items themselves ({@link assertCounts}).
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countField, type CountField } from '../../src/core/counts.js';
import { RunyardError, type ItemError } from '../../src/core/errors.js';
import type { ItemView, PlannedItem } from '../../src/core/kind.js';
import type { ColumnRecord, ItemRecord, RunKind, RunMode, RunRecord, RunSpec, TableRecord, TriggerType } from '../../src/core/model.js';
import type { RunStatus } from '../../src/core/status.js';
import type { ClaimedItem, Completion, NewRun, NewTable, NodeRecord, OperationRecord, RunFilter, Store } from '../../src/store/port.js';
import { DEFAULT_MAX_LEASE_LOSSES } from '../../src/core/lease-recovery.js';

// ---- inputs -----------------------------------------------------------------------------------

export const WS = 'wsp_default';
export const OTHER_WS = 'wsp_other';
export const T0 = 1_700_000_000_000;
export const LEASE_MS = 30_000;
const NODE = 'nod_test';

/** A node row heartbeated at `heartbeatAt`. */
function nodeRow(id: string, heartbeatAt: number): NodeRecord {
  return {
    id,
    hostname: 'test-host',
    pid: 1,
    pid_namespace: null,
    roles: ['executor'],
    capacity: 8,
    started_at: T0,
    heartbeat_at: heartbeatAt,
    stopped_at: null,
  };
}

/** Sortable, unique ids: a per-process tag keeps reruns against a long-lived database apart. */
const TAG = Date.now().toString(36);
let counter = 0;
export function testId(prefix: string): string {
  counter += 1;
  return `${prefix}_${TAG}${String(counter).padStart(8, '0')}`;
}

/** A run spec with small, explicit defaults. */
export function runSpec(over: Partial<RunSpec> = {}): RunSpec {
  return {
    producer: 'js',
    config: {},
    concurrency: 10,
    item_timeout_ms: 60_000,
    max_attempts: 3,
    retry_base_delay_ms: 1000,
    retry_max_delay_ms: 60_000,
    ...over,
  };
}

export interface RunInput {
  id?: string;
  name?: string;
  kind?: RunKind;
  mode?: RunMode;
  trigger?: TriggerType;
  target_id?: string;
  /** Item keys (row ids for column runs); default: `items` generated keys. */
  keys?: string[];
  /** How many pending items (when `keys` is not given). @default 3 */
  items?: number;
  /** How many extra skipped items to append. @default 0 */
  skipped?: number;
  spec?: Partial<RunSpec>;
  idempotency_key?: string | null;
  request_hash?: string | null;
  credit_cap?: number | null;
  item_cost_bound?: number;
  price_version?: number;
}

/** A {@link NewRun} for `createRun`. */
export function newRun(ws: string, o: RunInput = {}): NewRun {
  const keys = o.keys ?? Array.from({ length: o.items ?? 3 }, (_, i) => `key_${i}`);
  const spec = runSpec(o.spec);
  const items: NewRun['items'] = keys.map((key) => ({ id: testId('itm'), key, inputs: { key }, status: 'pending' }));
  for (let i = 0; i < (o.skipped ?? 0); i++) items.push({ id: testId('itm'), key: `skip_${i}`, inputs: null, status: 'skipped' });
  return {
    run: {
      id: o.id ?? testId('run'),
      workspace_id: ws,
      kind: o.kind ?? 'column',
      target_id: o.target_id ?? 'col_target',
      target_version: 1,
      name: o.name ?? 'test run',
      status: 'queued',
      phase: null,
      mode: o.mode ?? 'live',
      trigger: { type: o.trigger ?? 'manual', source_id: null, actor: 'tester' },
      profile: 'standard',
      prompt: null,
      session_id: null,
      items_total: items.length,
      credits_reserved: 0,
      credits_used: 0,
      result_summary: null,
      error: null,
      retry_of: null,
      idempotency_key: o.idempotency_key ?? null,
      tags: ['t'],
      spec,
      overrides_env: null,
      credit_cap: o.credit_cap ?? null,
      item_cost_bound: o.item_cost_bound ?? 0,
      price_version: o.price_version ?? null,
      created_at: T0,
      started_at: null,
      finished_at: null,
    },
    items,
    request_hash: o.request_hash ?? null,
    sealed_secrets: null,
  };
}

/** A {@link NewTable} with `n` rows `{ name, n }`. */
export function newTable(n: number, over: Partial<NewTable> = {}): NewTable {
  return {
    id: testId('tbl'),
    name: 'people',
    fields: ['name', 'n'],
    rows: Array.from({ length: n }, (_, i) => ({ id: testId('row'), data: { name: `p${i}`, n: i } })),
    ...over,
  };
}

export function newColumn(table: TableRecord, name = 'out'): ColumnRecord {
  return {
    id: testId('col'),
    workspace_id: WS,
    table_id: table.id,
    name,
    producer: 'js',
    config: { module: 'x.mjs' },
    profile: 'standard',
    version: 1,
    created_at: T0,
    updated_at: T0,
  };
}

function succeeded(c: ClaimedItem, value: unknown = { ok: c.item.key }): Completion {
  return {
    kind: 'succeeded',
    item_id: c.item.id,
    lease_token: c.lease_token,
    value,
    outputs: { value },
    usage: null,
    provider: 'test',
    credits_used: 5,
    duration_ms: 12,
  };
}
/** {@link succeeded} with the items its run's kind planned. */
function appending(c: ClaimedItem, append: PlannedItem[], token = c.lease_token): Completion {
  return { ...(succeeded(c) as Extract<Completion, { kind: 'succeeded' }>), lease_token: token, append };
}
function failed(c: ClaimedItem, code = 'bad_row', message = `row ${c.item.key} is bad`): Completion {
  return { kind: 'failed', item_id: c.item.id, lease_token: c.lease_token, error: { code, message, retryable: false }, duration_ms: 7 };
}
function retrying(c: ClaimedItem, next: number): Completion {
  const error: ItemError = { code: 'flaky', message: 'try again', retryable: true };
  return { kind: 'retrying', item_id: c.item.id, lease_token: c.lease_token, error, next_attempt_at: next, duration_ms: 3 };
}
function released(c: ClaimedItem): Completion {
  return { kind: 'released', item_id: c.item.id, lease_token: c.lease_token };
}

// ---- checks -----------------------------------------------------------------------------------

/** Every item of a run, read through `listItems` pages (so pagination is exercised too). */
export async function allItems(store: Store, ws: string, runId: string, pageSize = 4): Promise<ItemRecord[]> {
  const out: ItemRecord[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.listItems(ws, runId, {}, cursor === undefined ? { limit: pageSize } : { limit: pageSize, cursor });
    out.push(...page.data);
    if (page.next_cursor === null) return out;
    cursor = page.next_cursor;
  }
}

const BUCKETS: readonly CountField[] = [
  'items_succeeded',
  'items_failed',
  'items_pending',
  'items_running',
  'items_waiting',
  'items_skipped',
  'items_canceled',
];

/**
 * Asserts `items_total = succeeded + failed + pending + running + skipped + canceled` and that
 * every bucket equals the number of items actually in it. Returns the fresh run.
 */
export async function assertCounts(store: Store, ws: string, runId: string): Promise<RunRecord> {
  const run = await store.getRun(ws, runId);
  assert.ok(run, `run ${runId} exists`);
  const items = await allItems(store, ws, runId);
  const actual = Object.fromEntries(BUCKETS.map((b) => [b, 0])) as Record<CountField, number>;
  for (const it of items) actual[countField(it.status)] += 1;
  assert.equal(run.items_total, items.length, 'items_total = number of items');
  assert.equal(
    run.items_total,
    BUCKETS.reduce((s, b) => s + run[b], 0),
    'items_total = succeeded + failed + pending + running + waiting + skipped + canceled',
  );
  for (const b of BUCKETS) assert.equal(run[b], actual[b], `${b} of ${run.id} (items: ${items.map((i) => i.status).join(',')})`);
  assert.deepEqual(
    items.map((i) => i.ordinal),
    items.map((_, i) => i),
    'ordinals are 0..n-1 in order',
  );
  return run;
}

async function rejectsWithCode(p: Promise<unknown>, code: string, field?: string): Promise<RunyardError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RunyardError, `expected RunyardError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (field !== undefined) assert.equal(err.details?.['field'], field);
    return err;
  }
  assert.fail(`expected rejection with ${code}`);
}

async function eventTypes(store: Store, ws: string, runId: string): Promise<string[]> {
  return (await store.listEvents(ws, runId, 0, 10_000)).map((e) => e.type);
}

async function pagesOfRuns(store: Store, ws: string, filter: RunFilter, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.listRuns(ws, filter, cursor === undefined ? { limit } : { limit, cursor });
    pages.push(page.data.map((r) => r.id));
    if (page.next_cursor === null) return pages;
    cursor = page.next_cursor;
  }
}

async function listIds(store: Store, filter: RunFilter, ws = WS): Promise<string[]> {
  return (await store.listRuns(ws, filter, { limit: 100 })).data.map((r) => r.id);
}

function byId(claims: ClaimedItem[]): Map<string, ClaimedItem> {
  return new Map(claims.map((c) => [c.item.id, c]));
}

// ---- the suite --------------------------------------------------------------------------------

export function storeConformance(name: string, open: () => Promise<Store>): void {
  describe(`store conformance: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    /** Claims with LEASE_MS; the result sorted by run id, then ordinal (the port leaves the order open). */
    async function claim(now: number, limit: number): Promise<ClaimedItem[]> {
      const claims = await store.claimItems(NODE, now, LEASE_MS, limit);
      return claims.sort((a, b) => (a.run.id === b.run.id ? a.item.ordinal - b.item.ordinal : a.run.id < b.run.id ? -1 : 1));
    }

    /** Creates and starts a run; returns it (running) with its items. */
    async function startedRun(o: RunInput = {}, ws = WS): Promise<{ run: RunRecord; items: ItemRecord[] }> {
      const { run } = await store.createRun(ws, newRun(ws, o), T0);
      const started = await store.startQueuedRuns(NODE, T0, 100);
      assert.ok(started.some((r) => r.id === run.id));
      return { run: await assertCounts(store, ws, run.id), items: await allItems(store, ws, run.id) };
    }

    /** A table with `n` rows, a column, and a started column run writing into it. */
    async function startedColumnRun(n: number, spec: Partial<RunSpec> = {}) {
      const table = await store.createTable(WS, newTable(n), T0);
      const column = await store.createColumn(WS, newColumn(table));
      const rows = await store.allRows(WS, table.id);
      const { run, items } = await startedRun({ keys: rows.map((r) => r.id), spec: { table_id: table.id, column_id: column.id, ...spec } });
      return { table, column, rows, run, items };
    }

    describe('tables', () => {
      test('createTable writes the table and its rows; listRows pages cover every row once, in order', async () => {
        const input = newTable(23);
        const t = await store.createTable(WS, input, T0);
        assert.deepEqual(t, { id: input.id, workspace_id: WS, name: 'people', fields: ['name', 'n'], row_count: 23, created_at: T0, label_column: null });
        assert.deepEqual(await store.getTable(WS, t.id), t);
        assert.deepEqual(
          (await store.listTables(WS)).map((x) => x.id),
          [t.id],
        );
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        for (;;) {
          const page = await store.listRows(WS, t.id, cursor === undefined ? { limit: 5 } : { limit: 5, cursor });
          assert.ok(page.data.length <= 5);
          seen.push(...page.data.map((r) => r.id));
          pages += 1;
          if (page.next_cursor === null) break;
          cursor = page.next_cursor;
        }
        assert.equal(pages, 5);
        assert.deepEqual(
          seen,
          input.rows.map((r) => r.id),
        );
        const all = await store.allRows(WS, t.id);
        assert.deepEqual(
          all.map((r) => r.ordinal),
          [...Array(23).keys()],
        );
        assert.deepEqual(all[4]?.data, { name: 'p4', n: 4 });
        assert.deepEqual(await store.getRow(WS, t.id, input.rows[7]?.id ?? ''), {
          id: input.rows[7]?.id,
          table_id: t.id,
          ordinal: 7,
          data: { name: 'p7', n: 7 },
        });
        // A page size that divides the row count exactly still ends with a null cursor.
        const exact = await store.listRows(WS, t.id, { limit: 23 });
        assert.equal(exact.data.length, 23);
        assert.equal(exact.next_cursor, null);
      });

      test('rowLabels: the first non-empty text field, or the chosen label column, in one batch; setTableLabelColumn stores the choice', async () => {
        const long = 'x'.repeat(100);
        const input = newTable(0, {
          fields: ['n', 'blank', 'title', 'code'],
          rows: [
            { id: testId('row'), data: { n: 1, blank: '  ', title: 'Login fails', code: 'T-1' } },
            { id: testId('row'), data: { n: 2, blank: '', title: long, code: '' } },
            { id: testId('row'), data: { n: 3 } },
          ],
        });
        const t = await store.createTable(WS, input, T0);
        const ids = input.rows.map((r) => r.id);
        const first = await store.rowLabels(WS, t.id, [...ids, 'row_missing']);
        assert.deepEqual(
          [...first.entries()].sort(),
          [
            [ids[0], 'Login fails'],
            [ids[1], `${'x'.repeat(79)}…`],
            [ids[2], null],
          ].sort(),
        );
        const chosen = await store.setTableLabelColumn(WS, t.id, 'code');
        assert.equal(chosen?.label_column, 'code');
        assert.equal((await store.getTable(WS, t.id))?.label_column, 'code');
        const byCode = await store.rowLabels(WS, t.id, ids);
        assert.equal(byCode.get(ids[0]!), 'T-1');
        assert.equal(byCode.get(ids[1]!), `${'x'.repeat(79)}…`, 'a blank label field falls back to the first text field');
        assert.equal((await store.setTableLabelColumn(WS, t.id, null))?.label_column, null);
        assert.equal(await store.setTableLabelColumn(WS, 'tbl_missing', 'code'), undefined);
        assert.equal((await store.rowLabels(WS, 'tbl_missing', ids)).size, 0);
      });

      test('createTable is atomic: a duplicate row id (even past the first insert chunk) leaves nothing behind', async () => {
        const input = newTable(620);
        const dup = input.rows[3];
        assert.ok(dup);
        input.rows[600] = { id: dup.id, data: { name: 'dup' } };
        await assert.rejects(store.createTable(WS, input, T0));
        assert.equal(await store.getTable(WS, input.id), undefined);
        assert.deepEqual(await store.listTables(WS), []);
        assert.deepEqual(await store.allRows(WS, input.id), []);
        assert.equal(await store.getRow(WS, input.id, dup.id), undefined);
        // The failed write released everything: the same table can be created afterwards.
        input.rows[600] = { id: testId('row'), data: { name: 'fixed' } };
        const t = await store.createTable(WS, input, T0);
        assert.equal((await store.allRows(WS, t.id)).length, 620);
      });

      test('listRows with an invalid cursor → validation_failed naming cursor', async () => {
        const t = await store.createTable(WS, newTable(2), T0);
        await rejectsWithCode(store.listRows(WS, t.id, { limit: 1, cursor: 'not a cursor!' }), 'validation_failed', 'cursor');
        await rejectsWithCode(store.listRows(WS, t.id, { limit: 1, cursor: Buffer.from('"text"').toString('base64url') }), 'validation_failed', 'cursor');
      });

      test('createColumn: readable by id and by name; a taken name → conflict', async () => {
        const t = await store.createTable(WS, newTable(1), T0);
        const col = await store.createColumn(WS, newColumn(t, 'summary'));
        assert.deepEqual(await store.getColumn(WS, t.id, col.id), col);
        assert.deepEqual(await store.getColumn(WS, t.id, 'summary'), col);
        await rejectsWithCode(store.createColumn(WS, newColumn(t, 'summary')), 'conflict', 'name');
        assert.deepEqual(
          (await store.listColumns(WS, t.id)).map((c) => c.id),
          [col.id],
        );
        // The same name in another table is fine.
        const t2 = await store.createTable(WS, newTable(1), T0);
        await store.createColumn(WS, newColumn(t2, 'summary'));
        assert.equal((await store.listColumns(WS, t2.id)).length, 1);
      });
    });

    describe('runs', () => {
      test('createRun writes the run, its items and run.queued; items_pending = total', async () => {
        const input = newRun(WS, { items: 5, skipped: 2, spec: { max_attempts: 4 } });
        const { run, created } = await store.createRun(WS, input, T0 + 5);
        assert.equal(created, true);
        assert.equal(run.id, input.run.id);
        assert.equal(run.status, 'queued');
        assert.equal(run.created_at, T0 + 5);
        assert.equal(run.items_total, 7);
        assert.equal(run.items_pending, 5);
        assert.equal(run.items_skipped, 2);
        assert.deepEqual(run.spec, input.run.spec);
        assert.deepEqual(run.trigger, input.run.trigger);
        assert.deepEqual(await store.getRun(WS, run.id), run);
        await assertCounts(store, WS, run.id);
        const items = await allItems(store, WS, run.id);
        assert.deepEqual(
          items.map((i) => [i.id, i.key, i.status, i.attempt_count, i.max_attempts]),
          input.items.map((i) => [i.id, i.key, i.status, 0, 4]),
        );
        assert.deepEqual(items[0]?.inputs, { key: 'key_0' });
        assert.deepEqual(await store.getItem(WS, items[1]?.id ?? ''), items[1]);
        const events = await store.listEvents(WS, run.id, 0, 100);
        assert.deepEqual(
          events.map((e) => e.type),
          ['run.queued'],
        );
        assert.equal(events[0]?.created_at, T0 + 5);
        assert.equal(events[0]?.item_id, null);
        const skippedOnly = await store.listItems(WS, run.id, { status: ['skipped'] }, { limit: 10 });
        assert.deepEqual(
          skippedOnly.data.map((i) => i.ordinal),
          [5, 6],
        );
      });

      test('idempotency: same key and hash → the first run, created:false; another hash → idempotency_conflict; other workspace independent', async () => {
        const first = await store.createRun(WS, newRun(WS, { idempotency_key: 'k1', request_hash: 'h1', name: 'first' }), T0);
        assert.equal(first.created, true);
        const replay = await store.createRun(WS, newRun(WS, { idempotency_key: 'k1', request_hash: 'h1', name: 'second' }), T0 + 1);
        assert.equal(replay.created, false);
        assert.deepEqual(replay.run, first.run);
        await rejectsWithCode(store.createRun(WS, newRun(WS, { idempotency_key: 'k1', request_hash: 'h2' }), T0 + 2), 'idempotency_conflict');
        assert.deepEqual(await listIds(store, {}), [first.run.id], 'neither the replay nor the conflict wrote a run');
        const found = await store.findRunByIdempotencyKey(WS, 'k1');
        assert.equal(found?.run.id, first.run.id);
        assert.equal(found?.request_hash, 'h1');

        const other = await store.createRun(OTHER_WS, newRun(OTHER_WS, { idempotency_key: 'k1', request_hash: 'h2' }), T0 + 3);
        assert.equal(other.created, true);
        assert.notEqual(other.run.id, first.run.id);
        assert.equal((await store.findRunByIdempotencyKey(OTHER_WS, 'k1'))?.run.id, other.run.id);
        assert.equal((await store.findRunByIdempotencyKey(WS, 'k1'))?.run.id, first.run.id);
        assert.equal(await store.findRunByIdempotencyKey(WS, 'k2'), undefined);
      });

      test('per-run overrides: env round-trips; sealed secrets stored as given, names shown, read back only in their workspace', async () => {
        const sealed = JSON.stringify({ names: ['API_TOKEN', 'B'], kid: 'k', box: 'b3BhcXVl' });
        const input = newRun(WS);
        input.run.overrides_env = { MODE: 'fast', EMPTY: '' };
        input.sealed_secrets = sealed;
        const { run } = await store.createRun(WS, input, T0);
        assert.deepEqual(run.overrides_env, { MODE: 'fast', EMPTY: '' });
        assert.deepEqual(run.secret_names, ['API_TOKEN', 'B']);
        assert.deepEqual((await store.getRun(WS, run.id))?.secret_names, ['API_TOKEN', 'B']);
        assert.equal(await store.getRunSecrets(WS, run.id), sealed);
        assert.equal(await store.getRunSecrets(OTHER_WS, run.id), null);
        assert.equal(await store.getRunSecrets(WS, 'run_missing'), null);
        const plain = (await store.createRun(WS, newRun(WS), T0)).run;
        assert.equal(plain.overrides_env, null);
        assert.deepEqual(plain.secret_names, []);
        assert.equal(await store.getRunSecrets(WS, plain.id), null);
      });

      test('listRuns: newest first; keyset pages cover every run once, stable under inserts', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 11; i++) ids.push((await store.createRun(WS, newRun(WS, { items: 0 }), T0 + i)).run.id);
        const newestFirst = [...ids].reverse();
        assert.deepEqual(await listIds(store, {}), newestFirst);
        const pages = await pagesOfRuns(store, WS, {}, 3);
        assert.deepEqual(
          pages.map((p) => p.length),
          [3, 3, 3, 2],
        );
        assert.deepEqual(pages.flat(), newestFirst);
        const exact = await pagesOfRuns(store, WS, {}, 11);
        assert.deepEqual(exact, [newestFirst], 'a page size equal to the count ends with a null cursor');

        // A run created between pages appears on no later page and shifts nothing.
        const p1 = await store.listRuns(WS, {}, { limit: 4 });
        await store.createRun(WS, newRun(WS, { items: 0 }), T0 + 100);
        assert.ok(p1.next_cursor);
        const rest: string[] = [];
        let cursor: string | null = p1.next_cursor;
        while (cursor !== null) {
          const page = await store.listRuns(WS, {}, { limit: 4, cursor });
          rest.push(...page.data.map((r) => r.id));
          cursor = page.next_cursor;
        }
        assert.deepEqual([...p1.data.map((r) => r.id), ...rest], newestFirst);
      });

      test('listRuns filters: status, kind, mode, trigger, target, time range, name (literal wildcards, case-insensitive)', async () => {
        const mk = async (o: RunInput, at: number) => (await store.createRun(WS, newRun(WS, o), at)).run.id;
        const r1 = await mk({ name: 'Enrich 100% of leads', kind: 'column', items: 0 }, T0);
        const r2 = await mk({ name: 'Enrich 100 leads', kind: 'flow', items: 1 }, T0 + 1000);
        const r3 = await mk({ name: 'snake_case job', kind: 'worker', mode: 'dry_run' }, T0 + 2000);
        const r4 = await mk({ name: 'snakeXcase job', kind: 'column', target_id: 'col_other' }, T0 + 3000);
        const r5 = await mk({ name: 'UPPER Name', kind: 'ingestion', trigger: 'schedule' }, T0 + 4000);
        const r6 = await mk({ name: 'path\\to\\thing', kind: 'flow' }, T0 + 5000);
        // Start the two oldest: r1 (no items) finishes succeeded, r2 runs.
        const started = await store.startQueuedRuns(NODE, T0 + 6000, 2);
        assert.deepEqual(
          started.map((r) => [r.id, r.status]),
          [
            [r1, 'succeeded'],
            [r2, 'running'],
          ],
        );

        assert.deepEqual(await listIds(store, { status: ['running'] }), [r2]);
        assert.deepEqual(await listIds(store, { status: ['queued', 'succeeded'] }), [r6, r5, r4, r3, r1]);
        assert.deepEqual(await listIds(store, { kind: ['column'] }), [r4, r1]);
        assert.deepEqual(await listIds(store, { kind: ['flow', 'worker'] }), [r6, r3, r2]);
        assert.deepEqual(await listIds(store, { mode: ['dry_run'] }), [r3]);
        assert.deepEqual(await listIds(store, { trigger: ['schedule'] }), [r5]);
        assert.deepEqual(await listIds(store, { target_id: 'col_other' }), [r4]);
        assert.deepEqual(await listIds(store, { created_after: T0 + 1000, created_before: T0 + 3000 }), [r3, r2], 'after is inclusive, before exclusive');
        assert.deepEqual(await listIds(store, { created_after: T0 + 4000 }), [r6, r5]);
        assert.deepEqual(await listIds(store, { created_before: T0 + 1 }), [r1]);

        assert.deepEqual(await listIds(store, { name: '100%' }), [r1], '% is literal');
        assert.deepEqual(await listIds(store, { name: '_case' }), [r3], '_ is literal');
        assert.deepEqual(await listIds(store, { name: '\\to' }), [r6], 'backslash is literal');
        assert.deepEqual(await listIds(store, { name: 'upper name' }), [r5], 'case-insensitive');
        assert.deepEqual(await listIds(store, { name: 'ENRICH' }), [r2, r1]);
        assert.deepEqual(await listIds(store, { name: '' }), [r6, r5, r4, r3, r2, r1], 'an empty name filters nothing');
        assert.deepEqual(await listIds(store, { name: 'nothing like it' }), []);
        assert.deepEqual(await listIds(store, { kind: ['column'], name: 'JOB' }), [r4], 'filters combine with AND');

        const filteredPages = await pagesOfRuns(store, WS, { status: ['queued', 'succeeded'] }, 2);
        assert.deepEqual(filteredPages.flat(), [r6, r5, r4, r3, r1]);
      });

      test('listRuns keyset: runs created in the same ms page by id; filtered pages (several statuses, several kinds) have no duplicate and no gap while runs are inserted', async () => {
        const kinds = ['column', 'flow', 'worker'] as const;
        const made: { id: string; kind: RunKind; at: number }[] = [];
        // Three runs per millisecond: the cursor must split ties by id.
        for (let i = 0; i < 24; i++) {
          const kind = kinds[i % 3]!;
          const at = T0 + Math.floor(i / 3);
          made.push({ id: (await store.createRun(WS, newRun(WS, { kind, items: i % 4 === 0 ? 0 : 1 }), at)).run.id, kind, at });
        }
        // Runs with no items finish at start: statuses then mix succeeded and running.
        await store.startQueuedRuns(NODE, T0 + 50, 100);
        await store.createRun(WS, newRun(WS, { kind: 'flow', items: 1 }), T0 + 60);
        const newest = (xs: typeof made) => xs.sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1)).map((r) => r.id);
        const snapshot = async (f: RunFilter) => (await store.listRuns(WS, f, { limit: 1000 })).data.map((r) => r.id);
        const filters: RunFilter[] = [
          {},
          { kind: ['column', 'flow'] },
          { status: ['running', 'succeeded'] },
          { status: ['succeeded', 'running'], kind: ['worker'] },
        ];
        assert.deepEqual(await snapshot({ kind: ['column', 'worker'] }), newest(made.filter((r) => r.kind !== 'flow')));
        for (const f of filters) {
          const before = await snapshot(f);
          const seen: string[] = [];
          let cursor: string | undefined;
          let inserted = 0;
          for (;;) {
            const page = await store.listRuns(WS, f, cursor === undefined ? { limit: 4 } : { limit: 4, cursor });
            seen.push(...page.data.map((r) => r.id));
            // A new run between pages (newer than all, and one in an already-listed millisecond)
            // shows on no later page and shifts nothing.
            await store.createRun(WS, newRun(WS, { kind: 'column', items: 0 }), inserted++ % 2 === 0 ? T0 + 1000 + inserted : T0 + 7);
            if (page.next_cursor === null) break;
            cursor = page.next_cursor;
          }
          assert.equal(new Set(seen).size, seen.length, `no duplicates: ${JSON.stringify(f)}`);
          assert.deepEqual(
            seen.filter((id) => before.includes(id)),
            before,
            `no gaps: ${JSON.stringify(f)}`,
          );
        }
      });

      test('listRuns name search: ≥ 3 characters (trigram index on SQLite) and shorter terms agree with a substring match; wildcards literal; case-insensitive', async () => {
        const names = ['Nightly 50%_sync', 'nightly 50% sync', 'NIGHTLY_50 sync', 'a"quoted" run', 'ab', 'Ünïcode Δ run', 'x_y', 'x%y', 'plain'];
        const ids = new Map<string, string>();
        for (const [i, n] of names.entries()) ids.set(n, (await store.createRun(WS, newRun(WS, { name: n, items: 0 }), T0 + i)).run.id);
        const expect = (term: string) =>
          names
            .filter((n) => n.toLowerCase().includes(term.toLowerCase()))
            .reverse()
            .map((n) => ids.get(n));
        for (const term of ['50%_', '50%', '%_', 'NIGHTLY', 'ly 5', '"quoted"', 'a"q', 'ab', 'b', '_', '%', 'x_y', 'x%', 'run', 'zzz', 'Δ run']) {
          assert.deepEqual(await listIds(store, { name: term }), expect(term), term);
        }
        // The name index follows deletes.
        await store.startQueuedRuns(NODE, T0 + 100, 100);
        await store.deleteRun(WS, ids.get('plain')!);
        assert.deepEqual(await listIds(store, { name: 'plain' }), []);
        assert.deepEqual(await listIds(store, { name: 'nightly', status: ['succeeded'] }), expect('nightly'));
      });

      test('listRuns / listItems with an invalid cursor → validation_failed naming cursor', async () => {
        const { run } = await store.createRun(WS, newRun(WS, { items: 3 }), T0);
        await rejectsWithCode(store.listRuns(WS, {}, { limit: 1, cursor: '%%%garbage' }), 'validation_failed', 'cursor');
        const itemsPage = await store.listItems(WS, run.id, {}, { limit: 1 });
        assert.ok(itemsPage.next_cursor);
        // A cursor of the other kind (an item ordinal) is not a run cursor, and vice versa.
        await rejectsWithCode(store.listRuns(WS, {}, { limit: 1, cursor: itemsPage.next_cursor }), 'validation_failed', 'cursor');
        await rejectsWithCode(
          store.listItems(WS, run.id, {}, { limit: 1, cursor: Buffer.from('"run_x"').toString('base64url') }),
          'validation_failed',
          'cursor',
        );
      });

      test('workspace isolation: another workspace sees none of a run, its items or its events', async () => {
        const { run } = await store.createRun(OTHER_WS, newRun(OTHER_WS, { items: 2, idempotency_key: 'iso' }), T0);
        const items = await allItems(store, OTHER_WS, run.id);
        assert.equal(items.length, 2);
        assert.equal(await store.getRun(WS, run.id), undefined);
        assert.deepEqual(await listIds(store, {}, WS), []);
        assert.deepEqual(await listIds(store, {}, OTHER_WS), [run.id]);
        assert.deepEqual((await store.listItems(WS, run.id, {}, { limit: 10 })).data, []);
        assert.equal(await store.getItem(WS, items[0]?.id ?? ''), undefined);
        assert.deepEqual(await store.listEvents(WS, run.id, 0, 10), []);
        assert.equal(await store.findRunByIdempotencyKey(WS, 'iso'), undefined);
        assert.equal((await store.getRun(OTHER_WS, run.id))?.id, run.id);
      });
    });

    describe('engine operations', () => {
      test('startQueuedRuns: oldest first up to limit → running + run.started; a run with 0 items finishes succeeded', async () => {
        const a = (await store.createRun(WS, newRun(WS, { items: 2 }), T0)).run;
        const empty = (await store.createRun(WS, newRun(WS, { items: 0 }), T0)).run;
        const skippedOnly = (await store.createRun(WS, newRun(WS, { items: 0, skipped: 2 }), T0)).run;
        const later = (await store.createRun(WS, newRun(WS, { items: 1 }), T0)).run;
        assert.deepEqual(await claim(T0 + 1, 10), [], 'queued runs have nothing claimable');

        const started = await store.startQueuedRuns(NODE, T0 + 10, 3);
        assert.deepEqual(
          started.map((r) => [r.id, r.status]),
          [
            [a.id, 'running'],
            [empty.id, 'succeeded'],
            [skippedOnly.id, 'succeeded'],
          ],
        );
        assert.equal(started[0]?.started_at, T0 + 10);
        assert.equal((await store.getRun(WS, later.id))?.status, 'queued', 'limit respected');
        assert.deepEqual(await eventTypes(store, WS, a.id), ['run.queued', 'run.started']);

        const done = await assertCounts(store, WS, empty.id);
        assert.equal(done.status, 'succeeded');
        assert.equal(done.finished_at, T0 + 10);
        assert.equal(done.error, null);
        const events = await store.listEvents(WS, empty.id, 0, 10);
        assert.deepEqual(
          events.map((e) => e.type),
          ['run.queued', 'run.started', 'run.succeeded'],
        );
        assert.equal(events[2]?.data['no_items'], true);
        assert.equal((await assertCounts(store, WS, skippedOnly.id)).status, 'succeeded');
        assert.equal((await store.listEvents(WS, skippedOnly.id, 0, 10)).at(-1)?.data['no_items'], false);

        // listEvents after a seq returns only the later ones.
        const seq = events[0]?.seq ?? 0;
        assert.deepEqual(
          (await store.listEvents(WS, empty.id, seq, 10)).map((e) => e.type),
          ['run.started', 'run.succeeded'],
        );
        assert.deepEqual(
          (await store.startQueuedRuns(NODE, T0 + 20, 10)).map((r) => r.id),
          [later.id],
        );
        assert.deepEqual(await store.startQueuedRuns(NODE, T0 + 30, 10), []);
      });

      test('claimItems: honours spec.concurrency and limit, in ordinal order; attempt_count + 1, lease, item.started', async () => {
        const { run, items } = await startedRun({ items: 6, spec: { concurrency: 2 } });
        const now = T0 + 100;
        const first = await claim(now, 10);
        assert.deepEqual(
          first.map((c) => c.item.id),
          items.slice(0, 2).map((i) => i.id),
          'concurrency 2',
        );
        for (const c of first) {
          assert.equal(c.item.status, 'running');
          assert.equal(c.item.attempt_count, 1);
          assert.equal(c.item.started_at, now);
          assert.equal(c.lease_expires_at, now + LEASE_MS);
          assert.ok(c.lease_token.length > 0);
          assert.equal(c.run.id, run.id);
        }
        let counted = await assertCounts(store, WS, run.id);
        assert.equal(counted.items_running, 2);
        assert.deepEqual(await claim(now + 1, 10), [], 'run at its concurrency');
        assert.deepEqual(await claim(now + 1, 0), []);
        assert.equal((await eventTypes(store, WS, run.id)).filter((t) => t === 'item.started').length, 2);

        const other = await startedRun({ items: 5, spec: { concurrency: 10 } });
        const limited = await claim(now + 2, 3);
        assert.equal(limited.length, 3, 'limit 3');
        assert.ok(limited.every((c) => c.run.id === other.run.id));
        await assertCounts(store, WS, other.run.id);

        await store.completeItems(
          first.map((c) => succeeded(c)),
          now + 3,
        );
        const next = await claim(now + 4, 10);
        assert.deepEqual(
          next.filter((c) => c.run.id === run.id).map((c) => c.item.ordinal),
          [2, 3],
        );
        assert.deepEqual(
          next.filter((c) => c.run.id === other.run.id).map((c) => c.item.ordinal),
          [3, 4],
        );
        counted = await assertCounts(store, WS, run.id);
        assert.equal(counted.items_succeeded, 2);
        await assertCounts(store, WS, other.run.id);
      });

      test('completeItems with the right token: succeeded, cell written with provenance, event appended', async () => {
        const { table, column, rows, run } = await startedColumnRun(3);
        const claims = await claim(T0 + 10, 10);
        assert.equal(claims.length, 3);
        const c0 = claims[0];
        assert.ok(c0);
        const res = await store.completeItems([succeeded(c0, { answer: 42 })], T0 + 20);
        assert.deepEqual(res, { accepted: [c0.item.id], lease_lost: [], finished_runs: [] });
        const item = await store.getItem(WS, c0.item.id);
        assert.equal(item?.status, 'succeeded');
        assert.deepEqual(item?.outputs, { value: { answer: 42 } });
        assert.equal(item?.provider, 'test');
        assert.equal(item?.credits_used, 5);
        assert.equal(item?.finished_at, T0 + 20);
        assert.equal(item?.duration_ms, 12);
        assert.equal(item?.error, null);
        const cell = await store.getCell(WS, table.id, rows[0]?.id ?? '', column.id);
        assert.deepEqual(cell, {
          table_id: table.id,
          row_id: rows[0]?.id,
          column_id: column.id,
          status: 'succeeded',
          value: { answer: 42 },
          error: null,
          run_id: run.id,
          item_id: c0.item.id,
          attempt: 1,
          updated_at: T0 + 20,
        });
        assert.equal(await store.getCell(WS, table.id, rows[1]?.id ?? '', column.id), undefined, 'no cell before its item completes');
        const events = await store.listEvents(WS, run.id, 0, 100);
        const ev = events.find((e) => e.type === 'item.succeeded');
        assert.equal(ev?.item_id, c0.item.id);
        assert.equal(ev?.created_at, T0 + 20);
        await assertCounts(store, WS, run.id);
      });

      test('an accepted completion appends its planned items in its transaction; the run goes on; known keys are skipped', async () => {
        const { run } = await startedRun({ items: 1 });
        const [c0] = await claim(T0 + 10, 10);
        assert.ok(c0);
        const append = [
          { key: 'step:2', inputs: { n: 2 }, producer: 'http' },
          { key: 'step:3', inputs: { n: 3 } },
          { key: c0.item.key, inputs: { n: 1 } },
        ];
        const res = await store.completeItems([appending(c0, append)], T0 + 20);
        assert.deepEqual(res, { accepted: [c0.item.id], lease_lost: [], finished_runs: [] }, 'the appended items keep the run going');
        const after = await assertCounts(store, WS, run.id);
        assert.equal(after.status, 'running');
        assert.equal(after.items_total, 3);
        const items = await allItems(store, WS, run.id);
        assert.deepEqual(
          items.map((i) => [i.ordinal, i.key, i.status, i.producer, i.inputs]),
          [
            [0, c0.item.key, 'succeeded', null, { key: c0.item.key }],
            [1, 'step:2', 'pending', 'http', { n: 2 }],
            [2, 'step:3', 'pending', null, { n: 3 }],
          ],
        );
        const ev = (await store.listEvents(WS, run.id, 0, 100)).find((e) => e.type === 'item.appended');
        assert.equal(ev?.item_id, c0.item.id);
        assert.equal(ev?.data.count, 2);
        // The appended items are claimable at once, and their outcomes finish the run.
        const next = await claim(T0 + 30, 10);
        assert.deepEqual(
          next.map((c) => c.item.key),
          ['step:2', 'step:3'],
        );
        assert.equal(next[0]?.item.producer, 'http');
        const done = await store.completeItems(
          next.map((c) => succeeded(c)),
          T0 + 40,
        );
        assert.equal(done.finished_runs[0]?.status, 'succeeded');
        await assertCounts(store, WS, run.id);
      });

      test('a stale completion appends nothing (the append is fenced by its lease token)', async () => {
        const { run } = await startedRun({ items: 1 });
        const [c0] = await claim(T0 + 10, 10);
        assert.ok(c0);
        const res = await store.completeItems([appending(c0, [{ key: 'step:2', inputs: null }], 'lse_stale')], T0 + 20);
        assert.deepEqual(res.lease_lost, [c0.item.id]);
        const after = await assertCounts(store, WS, run.id);
        assert.equal(after.items_total, 1);
        assert.equal((await store.listEvents(WS, run.id, 0, 100)).filter((e) => e.type === 'item.appended').length, 0);
      });

      test('appended items reserve their bounds within the budget; items the reservation does not cover wait', async () => {
        await store.postCredit(WS, 'grant', 1_000, null, 'grant-append', T0);
        const { run } = await startedRun({ items: 1, item_cost_bound: 100, credit_cap: 250 });
        assert.equal((await store.getRun(WS, run.id))?.credits_reserved, 100);
        const [c0] = await claim(T0 + 10, 10);
        assert.ok(c0);
        const append = ['a', 'b', 'c'].map((k) => ({ key: `step:${k}`, inputs: null }));
        await store.completeItems([appending(c0, append)], T0 + 20);
        const after = await assertCounts(store, WS, run.id);
        assert.equal(after.credits_reserved, 250, 'the budget caps the reservation');
        // 250 reserved, 5 captured, 95 released: the 150 outstanding cover one item of bound 100.
        const next = await claim(T0 + 30, 10);
        assert.equal(next.length, 1, 'only what the outstanding reservation covers is claimed');
        const balance = await store.getBalance(WS);
        assert.ok(balance.available >= 0);
        assert.deepEqual(await store.replayLedger(WS), balance, 'the ledger agrees with the account');
      });

      test('completeItems with a stale token: reported in lease_lost, nothing changes', async () => {
        const { table, column, rows, run } = await startedColumnRun(2);
        const [c0] = await claim(T0 + 10, 10);
        assert.ok(c0);
        const itemBefore = await store.getItem(WS, c0.item.id);
        const runBefore = await store.getRun(WS, run.id);
        const eventsBefore = await eventTypes(store, WS, run.id);
        for (const bad of [
          succeeded({ ...c0, lease_token: 'lse_stale' }),
          failed({ ...c0, lease_token: 'lse_stale' }),
          released({ ...c0, lease_token: 'lse_stale' }),
        ]) {
          const res = await store.completeItems([bad], T0 + 20);
          assert.deepEqual(res, { accepted: [], lease_lost: [c0.item.id], finished_runs: [] });
        }
        assert.deepEqual(await store.getItem(WS, c0.item.id), itemBefore);
        assert.deepEqual(await store.getRun(WS, run.id), runBefore);
        assert.deepEqual(await eventTypes(store, WS, run.id), eventsBefore);
        assert.equal(await store.getCell(WS, table.id, rows[0]?.id ?? '', column.id), undefined);
        // An item that is not running at all (completed already) is lost too.
        await store.completeItems([succeeded(c0)], T0 + 30);
        const again = await store.completeItems([failed(c0)], T0 + 40);
        assert.deepEqual(again.lease_lost, [c0.item.id]);
        assert.equal((await store.getItem(WS, c0.item.id))?.status, 'succeeded');
        await assertCounts(store, WS, run.id);
      });

      test('a batch mixing valid and stale tokens writes only the valid ones', async () => {
        const { table, column, rows, run } = await startedColumnRun(4);
        const claims = await claim(T0 + 10, 10);
        const [a, b, c, d] = claims;
        assert.ok(a && b && c && d);
        const res = await store.completeItems(
          [succeeded(a), succeeded({ ...b, lease_token: 'lse_stale' }), failed(c), failed({ ...d, lease_token: 'lse_stale' })],
          T0 + 20,
        );
        assert.deepEqual(res.accepted, [a.item.id, c.item.id]);
        assert.deepEqual(res.lease_lost, [b.item.id, d.item.id]);
        assert.deepEqual(res.finished_runs, []);
        const statuses = (await allItems(store, WS, run.id)).map((i) => i.status);
        assert.deepEqual(statuses, ['succeeded', 'running', 'failed', 'running']);
        const cells = await Promise.all(rows.map((r) => store.getCell(WS, table.id, r.id, column.id)));
        assert.deepEqual(
          cells.map((x) => x?.status),
          ['succeeded', undefined, 'failed', undefined],
        );
        assert.equal(cells[2]?.error?.code, 'bad_row');
        const types = await eventTypes(store, WS, run.id);
        assert.equal(types.filter((t) => t.startsWith('item.') && t !== 'item.started').length, 2);
        const counted = await assertCounts(store, WS, run.id);
        assert.equal(counted.items_running, 2);
      });

      test('the same item twice in one batch: one completion is written, the other is lease_lost; counts hold', async () => {
        const { run } = await startedRun({ items: 2 });
        const [a, b] = await claim(T0 + 10, 10);
        assert.ok(a && b);
        const res = await store.completeItems([succeeded(a), succeeded(a)], T0 + 20);
        assert.deepEqual(res.accepted, [a.item.id]);
        assert.deepEqual(res.lease_lost, [a.item.id]);
        assert.deepEqual(res.finished_runs, []);
        assert.equal((await eventTypes(store, WS, run.id)).filter((t) => t === 'item.succeeded').length, 1);
        const counted = await assertCounts(store, WS, run.id);
        assert.equal(counted.status, 'running', 'b is still running');
      });

      const scenarios: { name: string; plan: ('ok' | 'fail')[]; status: RunStatus }[] = [
        { name: 'all succeed → succeeded', plan: ['ok', 'ok', 'ok'], status: 'succeeded' },
        { name: 'mixed → partial', plan: ['ok', 'fail', 'ok', 'fail'], status: 'partial' },
        { name: 'all fail → failed', plan: ['fail', 'fail'], status: 'failed' },
      ];
      for (const scenario of scenarios) {
        test(`the last completion finishes the run: ${scenario.name}`, async () => {
          const { run } = await startedRun({ items: scenario.plan.length });
          const claims = await claim(T0 + 10, 10);
          assert.equal(claims.length, scenario.plan.length);
          const completions = claims.map((c, i) => (scenario.plan[i] === 'ok' ? succeeded(c) : failed(c, 'bad_row', `bad item ${i}`)));
          // Complete in reverse order, one write each: only the last write finishes the run.
          const reversed = [...completions].reverse();
          for (const [n, completion] of reversed.entries()) {
            const res = await store.completeItems([completion], T0 + 20 + n);
            const last = n === reversed.length - 1;
            assert.equal(res.finished_runs.length, last ? 1 : 0);
            if (!last) assert.equal((await assertCounts(store, WS, run.id)).status, 'running');
            else assert.equal(res.finished_runs[0]?.status, scenario.status);
          }
          const done = await assertCounts(store, WS, run.id);
          assert.equal(done.status, scenario.status);
          assert.equal(done.finished_at, T0 + 20 + reversed.length - 1);
          const types = await eventTypes(store, WS, run.id);
          assert.equal(types.at(-1), `run.${scenario.status}`);
          const firstFailed = scenario.plan.indexOf('fail');
          if (firstFailed < 0) assert.equal(done.error, null);
          else {
            assert.equal(done.error?.item_id, claims[firstFailed]?.item.id, 'the error box names the first failed item (by ordinal)');
            assert.equal(done.error?.code, 'bad_row');
            assert.match(done.error?.message ?? '', new RegExp(`bad item ${firstFailed}`));
          }
        });
      }

      test('a run finishes partial when its last items complete in one batch', async () => {
        const { run } = await startedRun({ items: 3 });
        const claims = await claim(T0 + 10, 10);
        const res = await store.completeItems(
          claims.map((c, i) => (i === 1 ? failed(c) : succeeded(c))),
          T0 + 20,
        );
        assert.deepEqual(
          res.finished_runs.map((r) => [r.id, r.status]),
          [[run.id, 'partial']],
        );
        assert.equal((await assertCounts(store, WS, run.id)).error?.item_id, claims[1]?.item.id);
      });

      test('retrying items are not claimed before next_attempt_at; the next claim counts a new attempt', async () => {
        const { run } = await startedRun({ items: 1 });
        const [c] = await claim(T0 + 10, 10);
        assert.ok(c);
        const res = await store.completeItems([retrying(c, T0 + 5000)], T0 + 20);
        assert.deepEqual(res.accepted, [c.item.id]);
        const item = await store.getItem(WS, c.item.id);
        assert.equal(item?.status, 'retrying');
        assert.equal(item?.next_attempt_at, T0 + 5000);
        assert.equal(item?.error?.code, 'flaky');
        const counted = await assertCounts(store, WS, run.id);
        assert.equal(counted.items_pending, 1, 'a retrying item counts as pending');
        assert.equal(counted.status, 'running');
        assert.deepEqual(await claim(T0 + 4999, 10), []);
        const [again] = await claim(T0 + 5000, 10);
        assert.equal(again?.item.id, c.item.id);
        assert.equal(again?.item.attempt_count, 2);
        assert.notEqual(again?.lease_token, c.lease_token);
        await assertCounts(store, WS, run.id);
        // The first attempt's token no longer writes.
        assert.deepEqual((await store.completeItems([succeeded(c)], T0 + 5001)).lease_lost, [c.item.id]);
      });

      test("'released' returns the item to pending without using an attempt", async () => {
        const { run } = await startedRun({ items: 2, spec: { max_attempts: 1 } });
        const [c] = await claim(T0 + 10, 1);
        assert.ok(c);
        assert.equal(c.item.attempt_count, 1);
        const res = await store.completeItems([released(c)], T0 + 20);
        assert.deepEqual(res.accepted, [c.item.id]);
        const item = await store.getItem(WS, c.item.id);
        assert.equal(item?.status, 'pending');
        assert.equal(item?.attempt_count, 0);
        assert.ok((await eventTypes(store, WS, run.id)).includes('item.released'));
        await assertCounts(store, WS, run.id);
        const [again] = await claim(T0 + 30, 1);
        assert.equal(again?.item.id, c.item.id, 'a released item comes before the backlog');
        assert.equal(again?.item.attempt_count, 1);
        assert.deepEqual((await store.completeItems([succeeded(c)], T0 + 31)).lease_lost, [c.item.id], 'the released lease is gone');
        await assertCounts(store, WS, run.id);
      });

      test('heartbeatItems extends leases and reports lost ones', async () => {
        const { run } = await startedRun({ items: 2 });
        const claims = await claim(T0, 10);
        const [a, b] = claims;
        assert.ok(a && b);
        const lost = await store.heartbeatItems(
          [
            { item_id: a.item.id, lease_token: a.lease_token },
            { item_id: b.item.id, lease_token: 'lse_stale' },
          ],
          T0 + 20_000,
          LEASE_MS,
        );
        assert.deepEqual(lost, [b.item.id]);
        assert.deepEqual(await store.heartbeatItems([], T0, LEASE_MS), []);
        // At T0 + LEASE_MS + 1 only b's lease has expired; a's runs to T0 + 20 000 + LEASE_MS.
        assert.equal(await store.recoverExpiredLeases(T0 + LEASE_MS + 1, 100), 1);
        assert.equal((await store.getItem(WS, a.item.id))?.status, 'running');
        assert.equal((await store.getItem(WS, b.item.id))?.status, 'pending');
        assert.equal(await store.recoverExpiredLeases(T0 + 20_000 + LEASE_MS, 100), 0, 'a lease expiring exactly now is still held');
        assert.deepEqual(
          await store.heartbeatItems([{ item_id: b.item.id, lease_token: b.lease_token }], T0 + 40_000, LEASE_MS),
          [b.item.id],
          'a recovered lease is lost',
        );
        assert.deepEqual((await store.completeItems([succeeded(a)], T0 + 45_000)).accepted, [a.item.id]);
        await assertCounts(store, WS, run.id);
      });

      test('recoverExpiredLeases: expired items go back to pending ahead of the backlog; the old token is rejected', async () => {
        const { run, items } = await startedRun({ items: 6, spec: { concurrency: 2 } });
        const first = byId(await claim(T0, 10));
        const i0 = first.get(items[0]?.id ?? '');
        const i1 = first.get(items[1]?.id ?? '');
        assert.ok(i0 && i1);
        await store.completeItems([succeeded(i0)], T0 + 1);
        const [i2] = await claim(T0 + 2, 10);
        assert.equal(i2?.item.ordinal, 2);
        assert.ok(i2);
        // i1 keeps heartbeating; i2's node dies.
        assert.deepEqual(await store.heartbeatItems([{ item_id: i1.item.id, lease_token: i1.lease_token }], T0 + 20_000, LEASE_MS), []);
        assert.equal(await store.recoverExpiredLeases(T0 + 2 + LEASE_MS, 100), 0);
        assert.equal(await store.recoverExpiredLeases(T0 + 3 + LEASE_MS, 100), 1);
        const recovered = await store.getItem(WS, i2.item.id);
        assert.equal(recovered?.status, 'pending');
        assert.equal(recovered?.attempt_count, 1, 'a crashed attempt still counts');
        assert.equal(recovered?.next_attempt_at, 0);
        const events = await store.listEvents(WS, run.id, 0, 100);
        assert.equal(events.filter((e) => e.type === 'item.lease_expired' && e.item_id === i2.item.id).length, 1);
        await assertCounts(store, WS, run.id);

        assert.deepEqual((await store.completeItems([succeeded(i2)], T0 + LEASE_MS + 4)).lease_lost, [i2.item.id], 'the old token is rejected');
        await store.completeItems([succeeded(i1)], T0 + LEASE_MS + 5);
        const [next] = await claim(T0 + LEASE_MS + 6, 1);
        assert.equal(next?.item.id, i2.item.id, 'the recovered item (ordinal 2) comes before the backlog (ordinals 3..5)');
        assert.equal(next?.item.attempt_count, 2);
        await assertCounts(store, WS, run.id);
      });

      test('a recovered item comes before due retries and the pending backlog', async () => {
        const { run, items } = await startedRun({ items: 3, spec: { concurrency: 1 } });
        const [i0] = await claim(T0 + 10, 10);
        assert.equal(i0?.item.id, items[0]?.id);
        assert.ok(i0);
        await store.completeItems([retrying(i0, T0 + 100)], T0 + 11);
        const [i1] = await claim(T0 + 20, 10);
        assert.equal(i1?.item.id, items[1]?.id, 'item 0 is not due yet');
        assert.ok(i1);
        assert.equal(await store.recoverExpiredLeases(T0 + 21 + LEASE_MS, 100), 1);
        await assertCounts(store, WS, run.id);
        // Now item 0 is a due retry, item 2 is backlog and item 1 is recovered: item 1 goes first.
        const [next] = await claim(T0 + 22 + LEASE_MS, 10);
        assert.equal(next?.item.id, i1.item.id);
        assert.equal(next?.item.attempt_count, 2);
        await assertCounts(store, WS, run.id);
      });

      test('recoverExpiredLeases with attempts exhausted: failed worker_crashed, cell written, run finishes', async () => {
        const { table, column, rows, run } = await startedColumnRun(2, { max_attempts: 1 });
        const claims = await claim(T0, 10);
        const [a, b] = claims;
        assert.ok(a && b);
        await store.completeItems([succeeded(a)], T0 + 10);
        assert.equal(await store.recoverExpiredLeases(T0 + LEASE_MS + 1, 100), 1);
        const item = await store.getItem(WS, b.item.id);
        assert.equal(item?.status, 'failed');
        assert.equal(item?.error?.code, 'worker_crashed');
        assert.equal(item?.error?.retryable, false);
        const cell = await store.getCell(WS, table.id, rows[1]?.id ?? '', column.id);
        assert.equal(cell?.status, 'failed');
        assert.equal(cell?.error?.code, 'worker_crashed');
        assert.equal(cell?.item_id, b.item.id);
        const done = await assertCounts(store, WS, run.id);
        assert.equal(done.status, 'partial');
        assert.equal(done.error?.item_id, b.item.id);
        assert.equal(done.error?.code, 'worker_crashed');
        const types = await eventTypes(store, WS, run.id);
        assert.ok(types.includes('item.lease_expired') && types.includes('item.failed'));
        assert.equal(types.at(-1), 'run.partial');
        assert.deepEqual((await store.completeItems([succeeded(b)], T0 + LEASE_MS + 2)).lease_lost, [b.item.id]);
        assert.equal(await store.recoverExpiredLeases(T0 + 10 * LEASE_MS, 100), 0);
      });

      test('a lease lost by a live node gives its attempt back and counts a loss; past the limit the item fails lease_lost_limit', async () => {
        const { table, column, rows, run } = await startedColumnRun(1, { max_attempts: 1 });
        const sweeper = { node_id: 'nod_sweeper', held: new Map<string, string>(), lease_ms: LEASE_MS };
        let t = T0;
        for (let loss = 1; loss <= DEFAULT_MAX_LEASE_LOSSES + 1; loss++) {
          const [c] = await claim(t, 1);
          assert.ok(c, `claimed again after ${loss - 1} losses`);
          assert.equal(c.item.attempt_count, 1, 'the same attempt runs again');
          // The owner is alive: its row was refreshed after the lease ran out.
          await store.upsertNode(nodeRow(NODE, t + LEASE_MS));
          assert.equal(await store.recoverExpiredLeases(t + LEASE_MS + 1, 100, sweeper), 1);
          const item = await store.getItem(WS, c.item.id);
          assert.equal(item?.attempt_count, 0, 'the attempt was given back');
          assert.equal(item?.lease_lost_count, loss);
          if (loss <= DEFAULT_MAX_LEASE_LOSSES) assert.equal(item?.status, 'pending');
          else {
            assert.equal(item?.status, 'failed');
            assert.equal(item?.error?.code, 'lease_lost_limit');
            assert.equal((await store.getCell(WS, table.id, rows[0]?.id ?? '', column.id))?.error?.code, 'lease_lost_limit');
          }
          await assertCounts(store, WS, run.id);
          t += 2 * LEASE_MS;
        }
        const expired = (await store.listEvents(WS, run.id, 0, 200)).filter((e) => e.type === 'item.lease_expired');
        assert.equal(expired.length, DEFAULT_MAX_LEASE_LOSSES + 1);
        assert.ok(expired.every((e) => e.data.attempt_spent === false));
        assert.equal((await assertCounts(store, WS, run.id)).status, 'failed');
        await store.retryFailedItems(WS, run.id, t);
        assert.equal((await store.getItem(WS, expired[0]!.item_id!))?.lease_lost_count, 0, 'retrying failed items starts a fresh budget of losses');
      });

      test("a node's own sweep extends the leases it holds and those of a claim of its own still under way; an older unheld one is recovered", async () => {
        await startedRun({ items: 3 });
        // The claims took longer than a lease: their leases were committed already expired.
        const [held] = await store.claimItems(NODE, T0, LEASE_MS, 1);
        const [old] = await store.claimItems(NODE, T0 + 1, LEASE_MS, 1);
        const [fresh] = await store.claimItems(NODE, T0 + 2, LEASE_MS, 1);
        assert.ok(held && old && fresh);
        await store.upsertNode(nodeRow(NODE, T0));
        const at = T0 + LEASE_MS + 10;
        const sweep = { node_id: NODE, held: new Map([[held.item.id, held.lease_token]]), lease_ms: LEASE_MS, claiming_since: T0 + 2 };
        assert.equal(await store.recoverExpiredLeases(at, 100, sweep), 1, 'only the lease of no claim under way is recovered');
        assert.equal((await store.getItem(WS, held.item.id))?.status, 'running');
        assert.equal((await store.getItem(WS, fresh.item.id))?.status, 'running', 'the claim under way keeps its lease');
        assert.equal((await store.getItem(WS, old.item.id))?.status, 'pending');
        // Extended: a later sweep with the claim settled (held now) recovers nothing.
        const later = { node_id: NODE, held: new Map([held, fresh].map((c) => [c.item.id, c.lease_token])), lease_ms: LEASE_MS };
        assert.equal(await store.recoverExpiredLeases(at + LEASE_MS - 1, 100, later), 0);
        assert.equal((await store.completeItems([succeeded(fresh)], at + 1)).lease_lost.length, 0, 'the claim under way still holds its lease');
      });

      test("an item the sweep fails is planned after by its run's kind, in the sweep's transaction (the run goes on instead of stopping short)", async () => {
        const { run } = await startedRun({ items: 1, spec: { max_attempts: 1 } });
        const [c] = await store.claimItems('nod_stopped', T0, LEASE_MS, 1);
        assert.ok(c);
        await store.upsertNode({ ...nodeRow('nod_stopped', T0), stopped_at: T0 + 1 });
        const seen: string[] = [];
        const sweep = {
          node_id: 'nod_sweeper',
          held: new Map<string, string>(),
          lease_ms: LEASE_MS,
          planAfterFailure: (r: RunRecord, o: { item: ItemRecord; error: ItemError }, items: readonly ItemView[]) => {
            seen.push(`${r.id}:${o.item.key}:${o.error.code}:${items.length}`);
            return { append: [{ key: 'after-crash', inputs: { n: 1 } }], result: { summary: 'went on after a crash' } };
          },
        };
        assert.equal(await store.recoverExpiredLeases(T0 + LEASE_MS + 1, 100, sweep), 1);
        assert.deepEqual(seen, [`${run.id}:${c.item.key}:worker_crashed:1`]);
        const after = await assertCounts(store, WS, run.id);
        assert.equal(after.status, 'running', 'the planned item keeps the run going');
        assert.equal(after.result_summary, 'went on after a crash');
        const [next] = await store.claimItems(NODE, T0 + LEASE_MS + 2, LEASE_MS, 1);
        assert.equal(next?.item.key, 'after-crash');
      });

      test('a lease whose owner stopped, or last heartbeated a lease length ago, is a crash: the attempt is spent', async () => {
        const { run } = await startedRun({ items: 2, spec: { max_attempts: 1 } });
        const [a] = await store.claimItems(NODE, T0, LEASE_MS, 1);
        const [b] = await store.claimItems('nod_stopped', T0, LEASE_MS, 1);
        assert.ok(a && b);
        await store.upsertNode(nodeRow(NODE, T0));
        await store.upsertNode({ ...nodeRow('nod_stopped', T0 + 2 * LEASE_MS), stopped_at: T0 + LEASE_MS });
        assert.equal(await store.recoverExpiredLeases(T0 + LEASE_MS + 1, 100, { node_id: 'nod_sweeper', held: new Map(), lease_ms: LEASE_MS }), 2);
        for (const c of [a, b]) {
          const item = await store.getItem(WS, c.item.id);
          assert.equal(item?.error?.code, 'worker_crashed');
          assert.equal(item?.attempt_count, 1);
          assert.equal(item?.lease_lost_count, 0);
        }
        await assertCounts(store, WS, run.id);
      });

      test("a sweep extends the sweeping node's own held leases instead of recovering them", async () => {
        const { run } = await startedRun({ items: 2 });
        const [a, b] = await store.claimItems(NODE, T0, LEASE_MS, 2);
        assert.ok(a && b);
        const now = T0 + LEASE_MS + 1;
        // a is held (executing); b is not (its lease is a leftover): b is recovered, a kept.
        const held = new Map([[a.item.id, a.lease_token]]);
        assert.equal(await store.recoverExpiredLeases(now, 100, { node_id: NODE, held, lease_ms: LEASE_MS }), 1);
        assert.equal((await store.getItem(WS, a.item.id))?.status, 'running');
        assert.equal((await store.getItem(WS, b.item.id))?.status, 'pending');
        assert.equal(await store.recoverExpiredLeases(now + LEASE_MS - 1, 100), 0, 'extended to now + lease');
        // Another node's sweep with the same held map takes it: only the owner's own sweep spares it.
        assert.equal(await store.recoverExpiredLeases(now + LEASE_MS + 1, 100, { node_id: 'nod_sweeper', held, lease_ms: LEASE_MS }), 1);
        assert.deepEqual((await store.completeItems([succeeded(a)], now + LEASE_MS + 2)).lease_lost, [a.item.id]);
        await assertCounts(store, WS, run.id);
      });

      test("expireNodeLeases hands a dead node's items to the next sweep, and only that node's", async () => {
        const { run } = await startedRun({ items: 4 });
        const mine = await store.claimItems(NODE, T0, LEASE_MS, 2);
        const theirs = await store.claimItems('nod_other', T0, LEASE_MS, 2);
        assert.equal(mine.length + theirs.length, 4);
        assert.equal(await store.expireNodeLeases(NODE, T0 + 5), 2);
        assert.equal(await store.recoverExpiredLeases(T0 + 5, 100), 2, 'recovered long before the lease would have run out');
        const items = (await store.listItems(WS, run.id, {}, { limit: 10 })).data;
        for (const c of mine) assert.equal(items.find((i) => i.id === c.item.id)?.status, 'pending');
        for (const c of theirs) assert.equal(items.find((i) => i.id === c.item.id)?.status, 'running');
        assert.deepEqual(
          (
            await store.completeItems(
              mine.map((c) => succeeded(c)),
              T0 + 6,
            )
          ).lease_lost.sort(),
          mine.map((c) => c.item.id).sort(),
        );
        await assertCounts(store, WS, run.id);
      });

      test('recoverExpiredLeases honours its limit and a later sweep takes the rest', async () => {
        const { run } = await startedRun({ items: 5 });
        assert.equal((await claim(T0, 10)).length, 5);
        assert.equal(await store.recoverExpiredLeases(T0 + LEASE_MS + 1, 2), 2);
        await assertCounts(store, WS, run.id);
        assert.equal(await store.recoverExpiredLeases(T0 + LEASE_MS + 1, 100), 3);
        const counted = await assertCounts(store, WS, run.id);
        assert.equal(counted.items_pending, 5);
      });

      test('a recovered item of a newer run is claimed before the backlog of an older run', async () => {
        const older = await startedRun({ items: 10, spec: { concurrency: 2 } });
        const newer = await startedRun({ items: 1 });
        const claims = await claim(T0, 10);
        assert.equal(claims.length, 3);
        const olderClaims = claims.filter((c) => c.run.id === older.run.id);
        await store.heartbeatItems(
          olderClaims.map((c) => ({ item_id: c.item.id, lease_token: c.lease_token })),
          T0 + 20_000,
          LEASE_MS,
        );
        assert.equal(await store.recoverExpiredLeases(T0 + LEASE_MS + 1, 100), 1);
        await store.completeItems(
          olderClaims.map((c) => succeeded(c)),
          T0 + LEASE_MS + 2,
        );
        const [next] = await claim(T0 + LEASE_MS + 3, 1);
        assert.equal(next?.run.id, newer.run.id);
      });

      test('runs beyond the 64 oldest running runs are claimed while the older ones wait on backoff', async () => {
        const runs: string[] = [];
        for (let i = 0; i < 65; i++) runs.push((await store.createRun(WS, newRun(WS, { items: 1, spec: { concurrency: 1 } }), T0)).run.id);
        assert.equal((await store.startQueuedRuns(NODE, T0, 100)).length, 65);
        const first = await claim(T0, 64);
        assert.equal(first.length, 64);
        await store.completeItems(
          first.map((c) => retrying(c, T0 + 60_000)),
          T0 + 1,
        );
        const next = await claim(T0 + 2, 10);
        assert.deepEqual(
          next.map((c) => c.run.id),
          [runs[64]],
        );
      });
    });

    describe('delete, retention, export readers, operations', () => {
      /** A run driven to its end at `at`: `ok` items succeed, `bad` fail. Returns it finished. */
      async function finishedRun(o: RunInput & { ok?: number; bad?: number }, at: number, ws = WS): Promise<RunRecord> {
        const ok = o.ok ?? 2;
        const bad = o.bad ?? 0;
        const { run } = await store.createRun(ws, newRun(ws, { ...o, items: ok + bad }), at - 3);
        await store.startQueuedRuns(NODE, at - 2, 100);
        const mine = (await claim(at - 1, 1000)).filter((c) => c.run.id === run.id);
        assert.equal(mine.length, ok + bad);
        await store.completeItems(
          mine.map((c, i) => (i < ok ? succeeded(c) : failed(c))),
          at,
        );
        const done = await assertCounts(store, ws, run.id);
        assert.equal(done.finished_at, at);
        return done;
      }

      test('deleteRun: a finished run goes with its items and events; cells keep their values; other runs stay', async () => {
        const { table, rows, run, items } = await startedColumnRun(3);
        const claims = await claim(T0 + 1, 10);
        await store.completeItems(
          claims.map((c) => succeeded(c, `v${c.item.ordinal}`)),
          T0 + 2,
        );
        const keep = await finishedRun({}, T0 + 10);
        assert.equal((await store.getRun(WS, run.id))?.status, 'succeeded');
        await store.deleteRun(WS, run.id);
        assert.equal(await store.getRun(WS, run.id), undefined);
        assert.deepEqual((await store.listItems(WS, run.id, {}, { limit: 10 })).data, []);
        assert.equal(await store.getItem(WS, items[0]?.id ?? ''), undefined);
        assert.deepEqual(await store.listEvents(WS, run.id, 0, 100), []);
        const column = (await store.listColumns(WS, table.id))[0];
        const cell = await store.getCell(WS, table.id, rows[1]?.id ?? '', column?.id ?? '');
        assert.equal(cell?.value, 'v1', 'the cell keeps its value');
        assert.deepEqual(await listIds(store, {}), [keep.id]);
        assert.equal((await allItems(store, WS, keep.id)).length, 2);
        assert.ok((await store.listEvents(WS, keep.id, 0, 100)).length > 0);
        await rejectsWithCode(store.deleteRun(WS, run.id), 'not_found');
      });

      test('deleteRun: a queued or running run → conflict naming its status; another workspace → not_found', async () => {
        const { run: running } = await startedRun({ items: 2 });
        const { run: queued } = await store.createRun(WS, newRun(WS), T0);
        const err = await rejectsWithCode(store.deleteRun(WS, running.id), 'conflict');
        assert.equal(err.details?.['status'], 'running');
        assert.match(err.message, /running/);
        assert.equal((await rejectsWithCode(store.deleteRun(WS, queued.id), 'conflict')).details?.['status'], 'queued');
        assert.equal((await allItems(store, WS, running.id)).length, 2, 'nothing was deleted');
        const other = await finishedRun({}, T0 + 5, OTHER_WS);
        await rejectsWithCode(store.deleteRun(WS, other.id), 'not_found');
        assert.equal((await store.getRun(OTHER_WS, other.id))?.id, other.id);
        await rejectsWithCode(store.deleteRun(WS, 'run_missing'), 'not_found');
      });

      test('countRuns agrees with listRuns for each filter and is workspace-scoped', async () => {
        const a = await finishedRun({ name: 'Nightly 100% sync', bad: 1 }, T0 + 10);
        const b = await finishedRun({ name: 'nightly other', kind: 'flow' }, T0 + 20);
        const { run: c } = await startedRun({ name: 'adhoc', trigger: 'api' });
        await finishedRun({ name: 'Nightly 100% sync' }, T0 + 30, OTHER_WS);
        const filters: RunFilter[] = [
          {},
          { status: ['partial'] },
          { status: ['succeeded', 'running'] },
          { kind: ['flow'] },
          { trigger: ['api'] },
          { name: '100%' },
          { name: 'NIGHTLY' },
          { created_after: T0 + 10, created_before: T0 + 20 },
          { status: ['canceled'] },
        ];
        for (const f of filters) assert.equal(await store.countRuns(WS, f), (await listIds(store, f)).length, JSON.stringify(f));
        assert.equal(await store.countRuns(WS, {}), 3);
        assert.equal(await store.countRuns(WS, { name: '100%' }), 1);
        assert.equal(await store.countRuns(OTHER_WS, {}), 1);
        assert.deepEqual([a.status, b.status, c.status], ['partial', 'succeeded', 'running']);
      });

      test('deleteRuns: only terminal matches, at most limit per call, ids returned; others untouched', async () => {
        const done: string[] = [];
        for (let i = 0; i < 5; i++) done.push((await finishedRun({ name: `old ${i}` }, T0 + 10 + i)).id);
        const other = await finishedRun({ name: 'other' }, T0 + 20);
        const otherWs = await finishedRun({ name: 'old ws' }, T0 + 21, OTHER_WS);
        const { run: active } = await startedRun({ name: 'old but running' });
        const first = await store.deleteRuns(WS, { name: 'old' }, 3);
        assert.equal(first.length, 3);
        assert.ok(first.every((id) => done.includes(id)));
        const second = await store.deleteRuns(WS, { name: 'old' }, 3);
        assert.equal(second.length, 2);
        assert.deepEqual([...first, ...second].sort(), [...done].sort());
        assert.deepEqual(await store.deleteRuns(WS, { name: 'old' }, 3), []);
        assert.deepEqual((await listIds(store, {})).sort(), [active.id, other.id].sort());
        assert.equal(await store.getRun(OTHER_WS, otherWs.id).then((r) => r?.id), otherWs.id);
        for (const id of done) {
          assert.deepEqual((await store.listItems(WS, id, {}, { limit: 5 })).data, []);
          assert.deepEqual(await store.listEvents(WS, id, 0, 5), []);
        }
        assert.deepEqual(await store.deleteRuns(WS, { status: ['running'] }, 10), [], 'a running run is never deleted');
      });

      test('purgeTerminalRuns: finished before the cutoff, unpinned, any workspace; limit honoured', async () => {
        const old1 = await finishedRun({}, T0 + 100);
        const old2 = await finishedRun({ bad: 2, ok: 0 }, T0 + 200);
        const oldOther = await finishedRun({}, T0 + 300, OTHER_WS);
        const pinned = await finishedRun({}, T0 + 400);
        const fresh = await finishedRun({}, T0 + 10_000);
        assert.equal((await store.setPinned(WS, pinned.id, true, T0 + 500)).pinned, true);
        const { run: active } = await startedRun({});
        assert.equal(await store.purgeTerminalRuns(T0 + 5_000, 2), 2);
        assert.equal(await store.purgeTerminalRuns(T0 + 5_000, 2), 1);
        assert.equal(await store.purgeTerminalRuns(T0 + 5_000, 2), 0);
        for (const [ws, r] of [
          [WS, old1],
          [WS, old2],
          [OTHER_WS, oldOther],
        ] as const) {
          assert.equal(await store.getRun(ws, r.id), undefined, `${r.id} purged`);
          assert.deepEqual((await store.listItems(ws, r.id, {}, { limit: 5 })).data, []);
        }
        assert.deepEqual((await listIds(store, {})).sort(), [active.id, fresh.id, pinned.id].sort());
        assert.equal(await store.purgeTerminalRuns(T0 + 10_000, 10), 0, 'the cutoff is exclusive');
        assert.equal(await store.purgeTerminalRuns(T0 + 10_001, 10), 1);
        await store.setPinned(WS, pinned.id, false, T0 + 20_000);
        assert.equal(await store.purgeTerminalRuns(T0 + 20_000, 10), 1, 'an unpinned run is purged again');
        assert.deepEqual(await listIds(store, {}), [active.id]);
      });

      test('setPinned: persists, touches updated_at; another workspace → not_found', async () => {
        const run = await finishedRun({}, T0 + 10);
        assert.equal(run.pinned, false);
        const pinned = await store.setPinned(WS, run.id, true, T0 + 99);
        assert.equal(pinned.pinned, true);
        assert.equal(pinned.updated_at, T0 + 99);
        assert.equal((await store.getRun(WS, run.id))?.pinned, true);
        assert.equal((await store.setPinned(WS, run.id, false, T0 + 100)).pinned, false);
        await rejectsWithCode(store.setPinned(OTHER_WS, run.id, true, T0 + 101), 'not_found');
        assert.equal((await store.getRun(WS, run.id))?.pinned, false);
      });

      test('streamItems: every item once, in ordinal order, in pages of the batch size; scoped to the workspace', async () => {
        const { run } = await store.createRun(WS, newRun(WS, { items: 10, skipped: 1 }), T0);
        const pages: ItemRecord[][] = [];
        for await (const page of store.streamItems(WS, run.id, 4)) pages.push(page);
        assert.deepEqual(
          pages.map((p) => p.length),
          [4, 4, 3],
        );
        assert.deepEqual(pages.flat(), await allItems(store, WS, run.id));
        const exact: ItemRecord[][] = [];
        for await (const page of store.streamItems(WS, run.id, 11)) exact.push(page);
        assert.deepEqual(
          exact.map((p) => p.length),
          [11],
        );
        for await (const _ of store.streamItems(OTHER_WS, run.id, 4)) assert.fail('another workspace sees no items');
        const { run: empty } = await store.createRun(WS, newRun(WS, { items: 0 }), T0);
        for await (const _ of store.streamItems(WS, empty.id, 4)) assert.fail('an empty run yields no page');
      });

      test('streamRuns: the filtered runs newest first, in pages; scoped to the workspace', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) ids.push((await store.createRun(WS, newRun(WS, { items: 0, name: i % 2 ? 'odd' : 'even' }), T0 + i)).run.id);
        await store.createRun(OTHER_WS, newRun(OTHER_WS, { items: 0, name: 'odd' }), T0);
        const pages: RunRecord[][] = [];
        for await (const page of store.streamRuns(WS, { name: 'odd' }, 2)) pages.push(page);
        assert.deepEqual(
          pages.map((p) => p.length),
          [2, 1],
        );
        assert.deepEqual(
          pages.flat().map((r) => r.id),
          await listIds(store, { name: 'odd' }),
        );
        const all: string[] = [];
        for await (const page of store.streamRuns(WS, {}, 3)) all.push(...page.map((r) => r.id));
        assert.deepEqual(all, [...ids].reverse());
      });

      test('operations: create, get, list newest first in pages, progress, finish, stale sweep; scoped to the workspace', async () => {
        const op = (id: string, ws = WS, at = T0): OperationRecord => ({
          id,
          workspace_id: ws,
          action: 'delete',
          filter: { status: ['succeeded'], name: 'x%' },
          status: 'running',
          total: 0,
          succeeded: 0,
          failed: 0,
          error: null,
          created_at: at,
          updated_at: at,
          finished_at: null,
        });
        const ids = [testId('op'), testId('op'), testId('op')];
        for (const id of ids) assert.deepEqual(await store.createOperation(op(id)), op(id));
        const foreign = await store.createOperation(op(testId('op'), OTHER_WS));
        assert.deepEqual(await store.getOperation(WS, ids[0] ?? ''), op(ids[0] ?? ''));
        assert.equal(await store.getOperation(WS, foreign.id), undefined);
        const p1 = await store.listOperations(WS, { limit: 2 });
        assert.deepEqual(
          p1.data.map((o) => o.id),
          [ids[2], ids[1]],
        );
        assert.ok(p1.next_cursor);
        const p2 = await store.listOperations(WS, { limit: 2, cursor: p1.next_cursor });
        assert.deepEqual(
          p2.data.map((o) => o.id),
          [ids[0]],
        );
        assert.equal(p2.next_cursor, null);
        await rejectsWithCode(store.listOperations(WS, { limit: 2, cursor: 'nope!' }), 'validation_failed', 'cursor');

        const id = ids[0] ?? '';
        const progressed = await store.updateOperationProgress(WS, id, { total: 10, succeeded: 4, failed: 1 }, T0 + 5);
        assert.deepEqual(
          [progressed?.total, progressed?.succeeded, progressed?.failed, progressed?.status, progressed?.updated_at, progressed?.finished_at],
          [10, 4, 1, 'running', T0 + 5, null],
        );
        assert.equal(await store.updateOperationProgress(OTHER_WS, id, { succeeded: 9 }, T0 + 6), undefined);
        const done = await store.updateOperationProgress(WS, id, { succeeded: 9, status: 'succeeded', error: 'run x refused' }, T0 + 7);
        assert.deepEqual([done?.status, done?.succeeded, done?.finished_at, done?.error], ['succeeded', 9, T0 + 7, 'run x refused']);
        assert.equal(await store.updateOperationProgress(WS, id, { failed: 5 }, T0 + 8), undefined, 'a finished operation no longer changes');
        assert.equal((await store.getOperation(WS, id))?.failed, 1);

        await store.updateOperationProgress(WS, ids[1] ?? '', { succeeded: 1 }, T0 + 1000);
        assert.equal(await store.failStaleOperations(T0 + 500, T0 + 2000), 2, 'ids[2] and the other workspace’s');
        const stale = await store.getOperation(WS, ids[2] ?? '');
        assert.deepEqual([stale?.status, stale?.finished_at], ['failed', T0 + 2000]);
        assert.match(stale?.error ?? '', /interrupted/);
        assert.equal((await store.getOperation(WS, ids[1] ?? ''))?.status, 'running');
        assert.equal((await store.getOperation(WS, id))?.status, 'succeeded', 'finished operations are not touched');
      });
    });

    describe('cells written by two runs at once', () => {
      test('one completeItems call completing one row of a column in two runs: the later completion wins', async () => {
        const table = await store.createTable(WS, newTable(2), T0);
        const column = await store.createColumn(WS, newColumn(table));
        const rows = await store.allRows(WS, table.id);
        const spec = { table_id: table.id, column_id: column.id };
        const first = await startedRun({ keys: rows.map((r) => r.id), spec });
        const second = await startedRun({ keys: rows.map((r) => r.id), spec });
        const claims = await claim(T0 + 1, 10);
        assert.equal(claims.length, 4);
        const ordered = [...claims.filter((c) => c.run.id === first.run.id), ...claims.filter((c) => c.run.id === second.run.id)];
        const res = await store.completeItems(
          ordered.map((c) => succeeded(c, { run: c.run.id })),
          T0 + 2,
        );
        assert.equal(res.accepted.length, 4);
        for (const row of rows) {
          const cell = await store.getCell(WS, table.id, row.id, column.id);
          assert.deepEqual([cell?.run_id, cell?.value], [second.run.id, { run: second.run.id }]);
        }
      });
    });

    describe('prices and settings', () => {
      test('putPrices appends versions; equal prices (any key order) write nothing; versions never change', async () => {
        assert.equal(await store.currentPrices(WS), undefined, 'no prices set: none');
        const v1 = await store.putPrices(WS, { js_call: 10, command_second: 2 }, 'env', T0);
        assert.deepEqual(v1, { created: true, version: { version: 1, prices: { command_second: 2, js_call: 10 }, source: 'env', created_at: T0 } });
        const same = await store.putPrices(WS, { command_second: 2, js_call: 10 }, 'api', T0 + 1);
        assert.equal(same.created, false);
        assert.equal(same.version.version, 1);
        assert.equal(same.version.source, 'env', 'the current version is returned untouched');
        const v2 = await store.putPrices(WS, { js_call: 20 }, 'api', T0 + 2);
        assert.deepEqual(v2.version, { version: 2, prices: { js_call: 20 }, source: 'api', created_at: T0 + 2 });
        assert.deepEqual((await store.currentPrices(WS))?.version, 2);
        assert.deepEqual((await store.getPriceVersion(WS, 1))?.prices, { command_second: 2, js_call: 10 });
        assert.equal(await store.getPriceVersion(WS, 3), undefined);
        const empty = await store.putPrices(WS, {}, 'api', T0 + 3);
        assert.deepEqual([empty.created, empty.version.version, empty.version.prices], [true, 3, {}], 'an empty table is a version too');
        await assert.rejects(store.putPrices(OTHER_WS, { js_call: 1 }, 'api', T0), (err: Error) => err instanceof RunyardError && err.code === 'not_found');
        assert.equal(await store.getPriceVersion(OTHER_WS, 1), undefined, 'versions are per workspace');
      });

      test('concurrent putPrices never share a version number', async () => {
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.putPrices(WS, { js_call: i + 1 }, 'api', T0 + i)));
        assert.deepEqual(
          results.map((r) => r.version.version).sort((a, b) => a - b),
          [1, 2, 3, 4, 5, 6, 7, 8],
        );
        assert.equal((await store.currentPrices(WS))?.version, 8);
      });

      test('a run stores its price version', async () => {
        const { run } = await store.createRun(WS, newRun(WS, { price_version: 7, item_cost_bound: 5 }), T0);
        assert.equal(run.price_version, 7);
        assert.equal((await store.getRun(WS, run.id))?.price_version, 7);
        const { run: free } = await store.createRun(WS, newRun(WS), T0);
        assert.equal((await store.getRun(WS, free.id))?.price_version, null);
      });

      test('claimSecretKeyFingerprint: the first claim records; later ones read it back', async () => {
        const first = await Promise.all(['aa', 'bb', 'cc'].map((fp, i) => store.claimSecretKeyFingerprint(fp, T0 + i)));
        assert.equal(first.filter((r) => r.created).length, 1, 'exactly one claim recorded');
        const winner = first.find((r) => r.created);
        assert.ok(first.every((r) => r.fingerprint === winner?.fingerprint && r.recorded_at === winner.recorded_at));
        const later = await store.claimSecretKeyFingerprint('dd', T0 + 10);
        assert.deepEqual(later, { fingerprint: winner?.fingerprint, recorded_at: winner?.recorded_at, created: false });
      });
    });
  });
}
