/**
 * Query plans of `GET /v1/runs` on SQLite (issue 7): for every filter, each query of a page
 * walks an index in (created_at, id) order — no scan of `runs`, no sort of the history — with
 * and without `ANALYZE` statistics. Name search by trigram candidates reads them by rowid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { NAME_WINDOW, runListQueries } from '../../src/store/sql/runs-repo.js';
import type { SqlContext } from '../../src/store/sql/context.js';
import type { RunFilter } from '../../src/store/port.js';

const WS = 'wsp_default';
const T0 = 1_700_000_000_000;
const DAY = 86_400_000;

const filters: [string, RunFilter][] = [
  ['none', {}],
  ['one status', { status: ['failed'] }],
  ['two statuses', { status: ['failed', 'canceled'] }],
  ['one kind', { kind: ['flow'] }],
  ['two kinds', { kind: ['flow', 'worker'] }],
  ['after', { created_after: T0 + 20 * DAY }],
  ['range', { created_after: T0 + 5 * DAY, created_before: T0 + 8 * DAY }],
  ['status + kind', { status: ['failed'], kind: ['flow'] }],
  ['status + range', { status: ['succeeded'], created_after: T0 + 5 * DAY, created_before: T0 + 8 * DAY }],
  ['kind + after', { kind: ['worker'], created_after: T0 + 20 * DAY }],
  ['name (walk)', { name: 'enrich' }],
  ['status + name (walk)', { status: ['failed'], name: 'enrich' }],
];

function plans(raw: Database.Database, ctx: SqlContext, f: RunFilter, o: Parameters<typeof runListQueries>[3]): string[] {
  return runListQueries(ctx, WS, f, o).map((q) => {
    const c = q.compile();
    return (raw.prepare(`EXPLAIN QUERY PLAN ${c.sql}`).all(...(c.parameters as unknown[])) as { detail: string }[]).map((r) => r.detail).join(' | ');
  });
}

test('every run-list filter reads an index in order on SQLite (no SCAN runs, no sort), with and without ANALYZE', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runyard-plans-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'plans.db');
  const store = SqliteStore.open({ path });
  await store.migrate();
  await store.close();
  const raw = new Database(path);
  t.after(() => raw.close());
  raw.exec(`INSERT INTO runs (id, workspace_id, kind, target_id, target_version, name, status, mode, trigger_type, profile, items_total, tags, spec, created_at, updated_at)
    WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 2999)
    SELECT printf('run_%08d', i), '${WS}', CASE i % 4 WHEN 0 THEN 'column' WHEN 1 THEN 'flow' WHEN 2 THEN 'worker' ELSE 'ingestion' END, 'col_x', 1,
      CASE i % 3 WHEN 0 THEN 'enrich leads' ELSE 'score tickets' END, CASE i % 5 WHEN 0 THEN 'failed' ELSE 'succeeded' END, 'live', 'api', 'standard', 0, '[]', '{}',
      ${T0} + i * ${Math.floor((30 * DAY) / 3000)}, ${T0}
    FROM s`);
  const ctx: SqlContext = {
    db: new Kysely({ dialect: new SqliteDialect({ database: raw }) }) as SqlContext['db'],
    dialect: 'sqlite',
    newId: () => 'unused',
    tx: () => Promise.reject(new Error('read-only')),
  };
  const after = { created_at: T0 + 10 * DAY, id: 'run_00001000' };
  for (const stats of ['without statistics', 'after ANALYZE']) {
    if (stats === 'after ANALYZE') raw.exec('ANALYZE');
    for (const [label, f] of filters) {
      for (const o of [{ limit: 51 }, { limit: 51, after }]) {
        for (const plan of plans(raw, ctx, f, o)) {
          const where = `${label}${'after' in o ? ' (page 2)' : ''} ${stats}: ${plan}`;
          assert.doesNotMatch(plan, /SCAN runs\b/, where);
          assert.doesNotMatch(plan, /TEMP B-TREE FOR ORDER BY/, where);
          assert.match(plan, /SEARCH runs USING (COVERING )?INDEX runs_(newest|status_newest|kind_newest|name_newest)/, where);
        }
      }
    }
    // A name-only search first tests the newest names from the index alone.
    const [windowed] = plans(raw, ctx, { name: 'enrich' }, { limit: 51, window: NAME_WINDOW });
    assert.match(windowed ?? '', /COVERING INDEX runs_name_newest/, `window ${stats}: ${windowed}`);
    // Trigram candidates are read by rowid (a few rows sorted), never by walking the workspace.
    for (const f of [{ name: 'enrich' }, { name: 'enrich', status: ['failed' as const] }, { name: 'enrich', created_after: T0 }]) {
      for (const plan of plans(raw, ctx, f, { limit: 51, rowids: [1, 2, 3] })) {
        assert.match(plan, /SEARCH runs USING INTEGER PRIMARY KEY \(rowid=\?\)/, `candidates ${JSON.stringify(f)} ${stats}: ${plan}`);
        assert.doesNotMatch(plan, /SCAN runs\b|INDEX runs_/, `candidates ${JSON.stringify(f)} ${stats}: ${plan}`);
      }
    }
  }
  // The items of one run by status, in ordinal order: the (run_id, status, ordinal) index.
  const items = raw
    .prepare("EXPLAIN QUERY PLAN SELECT * FROM items WHERE workspace_id = ? AND run_id = ? AND ordinal > ? AND status IN ('failed') ORDER BY ordinal LIMIT 51")
    .all(WS, 'run_1', -1) as { detail: string }[];
  assert.match(items.map((r) => r.detail).join(' | '), /SEARCH items USING INDEX items_status \(run_id=\? AND status=\? AND ordinal>\?\)/);
});
