/**
 * An ingestion run under kill -9 (issue 16), with real `runyard up` child processes on SQLite and
 * on PostgreSQL: a 200-page cursor source (a slow provider on 127.0.0.1) is killed mid-chain and
 * the node restarted on the same database. The run then finishes with the cursor chain unbroken
 * (items `page:1…page:200`, each once), every record in the table exactly once by key, and no
 * page's records written twice (200 `item.rows_written` totals: 1000 created, 0 updated,
 * 0 unchanged).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir, until } from '../helpers/fixtures.js';
import { startPagedApi, type PagedApi } from '../helpers/paged-api.js';
import { postgresForFile } from '../helpers/postgres.js';
import { nodeApi as api, spawnRunyard, waitForRunOver, type RunyardProcess } from '../helpers/proc.js';

const PAGES = 200;
const SIZE = 5;
const postgres = postgresForFile();
type Json = Record<string, unknown>;

let provider: PagedApi;
before(async () => {
  provider = await startPagedApi(PAGES * SIZE);
  provider.delayMs = 15;
});
after(async () => provider.close());

async function ingestionCrash(database: string, dir: string): Promise<void> {
  const start = () => spawnRunyard(['--database', database], { RUNYARD_DATA_DIR: join(dir, 'data') }, 60_000);
  let node: RunyardProcess = await start();
  try {
    const table = await api(node.url, '/v1/tables', { name: 'crash out', format: 'csv', data: 'id\n' });
    const source = await api(node.url, '/v1/ingestions', {
      name: 'crash source',
      table_id: table.id,
      request: { url: `${provider.url}/cursor` },
      records_path: 'items',
      key_field: 'id',
      pagination: { type: 'cursor', param: 'cursor', cursor_path: 'next', size_param: 'limit' },
      page_size: SIZE,
    });
    const started = await api(node.url, `/v1/ingestions/${String(source.id)}/runs`, {});
    const runId = String((started.run as Json).id);

    await until('40 pages done', 60_000, async () => {
      const r = await api(node.url, `/v1/runs/${runId}`);
      return Number(r.items_succeeded) >= 40 ? r : undefined;
    });
    await node.kill('SIGKILL');
    node = await start();
    const killedAt = (await api(node.url, `/v1/runs/${runId}`)).items_succeeded;

    const done = await waitForRunOver(node.url, runId, 180_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    const items = (await api(node.url, `/v1/runs/${runId}/items?limit=1000`)).data as Json[];
    assert.deepEqual(
      items.map((i) => i.key),
      Array.from({ length: PAGES }, (_, i) => `page:${i + 1}`),
      'the cursor chain is unbroken: each page once, in order',
    );
    const summary = (await api(node.url, `/v1/ingestions/${String(source.id)}/runs/${runId}`)).summary as Json;
    assert.deepEqual(
      { pages: summary.pages, created: summary.created, updated: summary.updated, unchanged: summary.unchanged },
      { pages: PAGES, created: PAGES * SIZE, updated: 0, unchanged: 0 },
      "no page's records written twice, none lost",
    );
    const rows = (await api(node.url, `/v1/tables/${String(table.id)}/rows?limit=1000`)).data as { data: Json }[];
    assert.equal(rows.length, PAGES * SIZE);
    assert.equal(new Set(rows.map((r) => r.data.id)).size, PAGES * SIZE, 'every record once by key');
    console.log(`# ingestion-crash: killed with ${String(killedAt)} of ${PAGES} pages done`);
  } finally {
    await node.kill('SIGTERM');
  }
}

test('ingestion on SQLite: kill -9 mid-chain, restart, every record once', { timeout: 300_000 }, async () => {
  const dir = tempDir();
  await ingestionCrash(join(dir, 'runyard.db'), dir);
});

test('ingestion on PostgreSQL: kill -9 mid-chain, restart, every record once', { timeout: 300_000 }, async () => {
  const server = await postgres();
  await ingestionCrash(await server.createDatabase(), tempDir());
});
