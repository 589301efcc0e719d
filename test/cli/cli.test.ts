/**
 * The `runyard` client commands end to end: every test spawns the real binary
 * (`node bin/runyard.js …`) against a real server started in-process.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/engine/logger.js';
import { startRunyard, type RunningRunyard } from '../../src/server/start.js';
import type { Cell, Column, Item, Page, Row, Run, RunEvent, Table } from '../../src/sdk/client.js';
import { closedPort, controlChars, root, runCli, type Result, useToken } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'runyard-cli-'));
let server: RunningRunyard;

/** Runs the binary against the test server. */
const cli = (args: string[]): Promise<Result> => runCli(args, { RUNYARD_URL: server.url });

/** Runs the binary with `--json` expecting success, and parses stdout. */
async function json<T>(args: string[]): Promise<T> {
  const r = await cli([...args, '--json']);
  assert.equal(r.code, 0, `runyard ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

before(async () => {
  server = await startRunyard({ port: 0, dataDir: dir, databaseUrl: join(dir, 'r.db'), baseDir: root, logger: silentLogger, engine: { pollMs: 50 } });
  useToken(server.adminToken);
});

after(async () => {
  await server.close(2000);
  rmSync(dir, { recursive: true, force: true });
});

describe('runyard client commands', () => {
  let table: Table;
  let run: Run;

  test('tables import examples/countries.csv: 250 rows, name from the file', async () => {
    table = await json<Table>(['tables', 'import', 'examples/countries.csv']);
    assert.equal(table.name, 'countries');
    assert.equal(table.row_count, 250);
    assert.ok(table.fields.includes('area_km2'));
    const human = await cli(['tables', 'get', table.id]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /row_count\s+│ 250/);
    assert.ok(!human.stdout.includes('\x1b'), 'no escape sequences with NO_COLOR');
  });

  test('columns add --file examples/countries-size-class.column.json', async () => {
    const col = await json<Column>(['columns', 'add', table.id, '--file', 'examples/countries-size-class.column.json']);
    assert.equal(col.name, 'size_class');
    assert.equal(col.producer, 'js');
    assert.equal(col.config.module, 'examples/size-class.mjs');
    const list = await json<{ data: Column[] }>(['columns', 'list', table.id]);
    assert.deepEqual(
      list.data.map((c) => c.id),
      [col.id],
    );
  });

  test('columns run --watch --json: events as NDJSON, final run partial last, exit 1', async () => {
    const r = await cli(['columns', 'run', table.id, 'size_class', '--watch', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    run = lines.at(-1) as Run;
    assert.equal(run.status, 'partial');
    assert.equal(run.items_total, 250);
    assert.equal(run.items_succeeded, 249);
    assert.equal(run.items_failed, 1);
    const events = lines.slice(0, -1) as RunEvent[];
    assert.ok(events.length >= 250, `expected the run's events before the run, got ${events.length}`);
    assert.ok(events.every((e) => e.run_id === run.id && typeof e.seq === 'number'));
    assert.deepEqual(
      events.map((e) => e.seq),
      [...events.map((e) => e.seq)].sort((a, b) => a - b),
    );
    assert.equal(events.filter((e) => e.type === 'item.failed').length, 1);
  });

  test('runs list --json includes the run; the table shows it', async () => {
    const page = await json<Page<Run>>(['runs', 'list', '--kind', 'column', '--status', 'partial']);
    assert.ok(page.data.some((x) => x.id === run.id && x.status === 'partial'));
    const none = await json<Page<Run>>(['runs', 'list', '--status', 'succeeded']);
    assert.equal(none.data.length, 0);
    const human = await cli(['runs', 'list']);
    assert.equal(human.code, 0);
    assert.match(human.stdout, new RegExp(`${run.id} .*partial.*249/1/250`));
  });

  test('runs items RUN --status failed --json: exactly the SJM item, missing_area', async () => {
    const page = await json<Page<Item>>(['runs', 'items', run.id, '--status', 'failed']);
    assert.equal(page.data.length, 1);
    const item = page.data[0];
    assert.equal(item?.error?.code, 'missing_area');
    assert.match(item?.error?.message ?? '', /Svalbard and Jan Mayen/);
    assert.equal(item?.status, 'failed');
  });

  test("cells inspect shows value micro for Aruba's row", async () => {
    const rows = await json<Page<Row>>(['tables', 'rows', table.id, '--limit', '3']);
    assert.equal(rows.data.length, 3);
    assert.ok(rows.next_cursor);
    const aruba = rows.data.find((r) => r.data.name === 'Aruba');
    assert.ok(aruba, 'Aruba is among the first rows');
    const cell = await json<Cell>(['cells', 'inspect', table.id, aruba.id, 'size_class']);
    assert.equal(cell.value, 'micro');
    assert.equal(cell.status, 'succeeded');
    assert.equal(cell.run_id, run.id);
    assert.deepEqual((cell.inputs as { input?: unknown } | null)?.input, { name: 'Aruba', area_km2: '180' });
    const human = await cli(['cells', 'inspect', table.id, aruba.id, 'size_class']);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /value\s+│ micro/);
    assert.match(human.stdout, new RegExp(run.id));
  });

  test('runs watch on a finished run: exit 1 for partial, final run on stdout', async () => {
    const r = await cli(['runs', 'watch', run.id]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /status\s+│ partial/);
    assert.match(r.stderr, /250\/250 items \(249 succeeded, 1 failed\)/);
  });

  test('usage errors exit 2 with a message on stderr', async () => {
    const cases: [string[], RegExp][] = [
      [['bogus'], /unknown command 'bogus'/],
      [['runs', 'list', '--limit', 'abc'], /--limit/],
      [['runs', 'list', '--status', 'nonsense'], /unknown status "nonsense"/],
      [['runs', 'get'], /missing required argument 'run'/],
      [['columns', 'add', table.id, '--name', 'x', '--producer', 'js', '--config', '{not json'], /--config is not valid JSON/],
      [['columns', 'add', table.id, '--name', 'x'], /give --file/],
      [['tables', 'import', join(dir, 'missing.csv')], /cannot read file/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `runyard ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
  });

  test('tables import streams the file: a bad byte is refused naming its offset (exit 1), nothing is created', async () => {
    const file = join(dir, 'latin1.csv');
    writeFileSync(file, Buffer.concat([Buffer.from('city\nOslo\nM'), Buffer.from([0xfc]), Buffer.from('nchen\n')]));
    const r = await cli(['tables', 'import', file]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /import_failed: data: not valid UTF-8 at byte offset 11/);
    const list = await json<{ data: { name: string }[] }>(['tables', 'list']);
    assert.ok(!list.data.some((t) => t.name === 'latin1'));
  });

  test('an unknown run exits 1 with not_found (stderr; --json: the envelope on stdout)', async () => {
    const r = await cli(['runs', 'get', 'run_doesnotexist']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: not_found: /);
    const j = await cli(['runs', 'get', 'run_doesnotexist', '--json']);
    assert.equal(j.code, 1);
    const env = JSON.parse(j.stdout) as { error: { code: string; details: Record<string, unknown> } };
    assert.equal(env.error.code, 'not_found');
    assert.equal(env.error.details.id, 'run_doesnotexist');
  });

  test('an unreachable server exits 1 with unreachable, naming the URL and runyard up', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await cli(['runs', 'list', '--url', url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: unreachable: /);
    assert.ok(r.stderr.includes(url), r.stderr);
    assert.match(r.stderr, /runyard up/);
  });

  test('server strings are stripped of escape sequences in tables, kept in --json', async () => {
    const file = join(dir, 'evil.json');
    writeFileSync(file, JSON.stringify([{ a: 1 }]));
    const name = 'evil\x1b[31mred\x1b]0;title\x07name';
    const t = await json<Table>(['tables', 'import', file, '--name', name]);
    assert.equal(t.name, name);
    const human = await cli(['tables', 'list']);
    assert.equal(human.code, 0);
    assert.deepEqual(controlChars(human.stdout), []);
    assert.match(human.stdout, /evilredname/);
  });
});
