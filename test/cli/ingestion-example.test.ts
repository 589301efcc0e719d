/**
 * The ingestion example end to end (examples/ingestion, README "Ingesting an API"): the example
 * server (a real process on 127.0.0.1 serving the 312 zones of the tz database's zone1970.tab)
 * is ingested through the real `runyard` binary against a real `runyard up` (SQLite), with the
 * README's commands: `tables import` of the header-only CSV, `ingestions create --table`, `run
 * --wait`. Both pagination styles end with the 312 zones in the table exactly once by key; a
 * second run leaves them unchanged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/fixtures.js';
import { spawnRunyard, type RunyardProcess } from '../helpers/proc.js';
import { startZonesExample, type ZonesExample } from '../helpers/zones-example.js';
import { root, runCli, useToken } from './helpers.js';

type Json = Record<string, unknown>;
const ZONES = readFileSync(join(root, 'examples/ingestion/data/zone1970.tab'), 'utf8')
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => l.split('\t')[2]!);

/** The example's source file with the README's port 4600 replaced by the test server's. */
function sourceFile(dir: string, name: string, serverUrl: string): string {
  const text = readFileSync(join(root, 'examples/ingestion', name), 'utf8').replace('http://127.0.0.1:4600', serverUrl);
  assert.ok(text.includes(serverUrl), `${name} names http://127.0.0.1:4600`);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function cliJson(args: string[]): Promise<Json> {
  const r = await runCli([...args, '--json']);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Json;
}

describe('examples/ingestion through the CLI', () => {
  let ry: RunyardProcess;
  let zones: ZonesExample;
  let url: string[];
  const dir = tempDir();

  before(async () => {
    zones = await startZonesExample();
    ry = await spawnRunyard(['--database', join(dir, 'runyard.db')], { RUNYARD_DATA_DIR: join(dir, 'data') }, 60_000);
    useToken(ry.token);
    url = ['--url', ry.url];
  });
  after(async () => {
    await ry.kill('SIGTERM');
    await zones.stop();
  });

  for (const [file, pagesFetched] of [
    // 312 zones at 50 a page: 7 pages, the cursor chain ends on next_cursor null.
    ['zones-cursor.source.json', 7],
    // fan_out 3: pages 1-7 hold records; full pages 5 and 6 each plan one page past the end (8, 9).
    ['zones-pages.source.json', 9],
  ] as const) {
    test(`${file}: tables import, ingestions create --table, run --wait: 312 zones once by key; a rerun changes nothing`, { timeout: 120_000 }, async () => {
      const table = await cliJson(['tables', 'import', join(root, 'examples/ingestion/zones.csv'), '--name', file, ...url]);
      assert.equal(table.row_count, 0);
      const source = await cliJson(['ingestions', 'create', sourceFile(dir, file, zones.url), '--table', table.id as string, ...url]);
      assert.equal(source.table_id, table.id);

      const first = (await cliJson(['ingestions', 'run', source.id as string, '--wait', ...url])) as { run: Json; summary: Json };
      assert.equal(first.run.status, 'succeeded');
      assert.equal(first.summary.pages, pagesFetched);
      assert.equal(first.summary.pages_failed, 0);
      assert.equal(first.summary.created, ZONES.length);
      assert.equal(first.summary.no_key, 0);

      const rows = (await cliJson(['tables', 'rows', table.id as string, '--limit', '1000', ...url])) as { data: { data: Json }[] };
      assert.equal(rows.data.length, ZONES.length);
      assert.deepEqual(rows.data.map((r) => r.data.zone).sort(), [...ZONES].sort(), 'every zone exactly once');
      const andorra = rows.data.find((r) => r.data.zone === 'Europe/Andorra')!.data;
      assert.deepEqual(
        { codes: andorra.country_codes, coordinates: andorra.coordinates, lat: andorra.latitude, lng: andorra.longitude },
        { codes: 'AD', coordinates: '+4230+00131', lat: 42.5, lng: 1.5167 },
      );

      const again = (await cliJson(['ingestions', 'run', source.id as string, '--wait', ...url])) as { run: Json; summary: Json };
      assert.equal(again.run.status, 'succeeded');
      assert.deepEqual(
        { created: again.summary.created, updated: again.summary.updated, unchanged: again.summary.unchanged },
        { created: 0, updated: 0, unchanged: 312 },
      );
    });
  }

  test(
    'run --dry-run prints the first page it would write and writes nothing; --smoke-test 2 stops after 2 pages and says so',
    { timeout: 120_000 },
    async () => {
      const table = await cliJson(['tables', 'import', join(root, 'examples/ingestion/zones.csv'), '--name', 'modes', ...url]);
      const source = await cliJson(['ingestions', 'create', sourceFile(dir, 'zones-cursor.source.json', zones.url), '--table', table.id as string, ...url]);
      const id = source.id as string;

      const dry = (await cliJson(['ingestions', 'run', id, '--dry-run', ...url])) as { run: Json; summary: Json; preview: Json };
      assert.equal(dry.run.mode, 'dry_run');
      assert.equal(dry.run.status, 'succeeded', '--dry-run waits for its page');
      assert.deepEqual(dry.preview.counts, { created: 50, updated: 0, unchanged: 0, no_key: 0 });
      assert.equal((dry.preview.records as Json[])[0]!.key, ZONES[0]);
      const human = await runCli(['ingestions', 'run', id, '--dry-run', ...url]);
      assert.equal(human.code, 0, human.stderr);
      assert.ok(human.stdout.includes('create 50, update 0, leave 0 unchanged; 0 without key'), 'what the page would do');
      assert.ok(human.stdout.includes('nothing written'));
      assert.ok(human.stdout.includes(ZONES[0]!), 'the records are listed');
      assert.equal(((await cliJson(['tables', 'get', table.id as string, ...url])) as Json).row_count, 0, 'a dry run writes nothing');

      const smoke = (await cliJson(['ingestions', 'run', id, '--smoke-test', '2', '--wait', ...url])) as { run: Json; summary: Json };
      assert.equal(smoke.run.status, 'succeeded');
      assert.deepEqual([smoke.summary.pages, smoke.summary.created, smoke.summary.stopped], [2, 100, 'smoke_test_limit']);
      const providers = smoke.summary.providers as Json[];
      assert.equal(providers[0]!.calls, 2);
      const shown = await runCli(['ingestions', 'runs', id, ...url]);
      assert.equal(shown.code, 0, shown.stderr);
      const again = await runCli(['ingestions', 'run', id, '--smoke-test', '1', '--wait', ...url]);
      assert.equal(again.code, 0, again.stderr);
      assert.ok(again.stdout.includes("stopped after 1 page: the smoke test's limit"), again.stdout.slice(0, 2000));
      assert.match(again.stdout, /provider.*calls.*failures.*p50.*p95.*credits/s);
      assert.ok(again.stdout.includes(new URL(zones.url).host), 'the provider is the API host');

      const both = await runCli(['ingestions', 'run', id, '--dry-run', '--smoke-test', '2', ...url]);
      assert.notEqual(both.code, 0);
      assert.match(both.stderr, /--dry-run and --smoke-test/);
    },
  );
});
