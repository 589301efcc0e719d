/** `runyard prices get|set` end to end: the real binary against a real server started in-process. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/engine/logger.js';
import { startRunyard, type RunningRunyard } from '../../src/server/start.js';
import type { PriceVersion } from '../../src/sdk/client.js';
import { root, runCli, type Result, useToken } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'runyard-cli-prices-'));
let server: RunningRunyard;

const cli = (args: string[]): Promise<Result> => runCli(args, { RUNYARD_URL: server.url });
async function json(args: string[]): Promise<PriceVersion> {
  const r = await cli([...args, '--json']);
  assert.equal(r.code, 0, `runyard ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as PriceVersion;
}

before(async () => {
  server = await startRunyard({ port: 0, dataDir: dir, databaseUrl: join(dir, 'r.db'), baseDir: root, logger: silentLogger });
  useToken(server.adminToken);
});
after(async () => {
  await server.close(2000);
  rmSync(dir, { recursive: true, force: true });
});

test('prices get before any are set: free', async () => {
  assert.deepEqual((await json(['prices', 'get'])).version, null);
  const human = await cli(['prices', 'get']);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /No prices set: every run is free/);
});

test('prices set KEY=MICRO… makes versions; --merge keeps other keys; equal prices change nothing', async () => {
  const v1 = await json(['prices', 'set', 'js_call=1000', 'command_second=50']);
  assert.deepEqual([v1.version, v1.source, v1.prices, v1.changed], [1, 'api', { command_second: 50, js_call: 1000 }, true]);
  const v2 = await json(['prices', 'set', 'js_call=2000', '--merge']);
  assert.deepEqual([v2.version, v2.prices], [2, { command_second: 50, js_call: 2000 }]);
  const same = await json(['prices', 'set', 'command_second=50', 'js_call=2000']);
  assert.deepEqual([same.version, same.changed], [2, false]);
  const file = join(dir, 'prices.json');
  writeFileSync(file, JSON.stringify({ http_call: 7 }));
  const v3 = await json(['prices', 'set', '--file', file]);
  assert.deepEqual([v3.version, v3.prices], [3, { http_call: 7 }], 'without --merge the table is replaced');
  assert.deepEqual((await json(['prices', 'get', '1'])).prices, { command_second: 50, js_call: 1000 });
  const human = await cli(['prices', 'get']);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /version\s+│ 3/);
  assert.match(human.stdout, /http_call\s+│ 7\s+│ 0\.000007/);
  assert.equal((await server.engine.prices.get(server.engine.workspaceId))?.version, 3);
});

test('bad prices: the server names the key (exit 1); malformed arguments are usage errors (exit 2)', async () => {
  const bad = await cli(['prices', 'set', 'pizza=1']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /prices\.pizza: unknown price key/);
  for (const args of [
    ['prices', 'set'],
    ['prices', 'set', 'js_call'],
    ['prices', 'set', 'js_call=1.5'],
    ['prices', 'get', 'x'],
    ['prices', 'set', 'js_call=1', '--file', 'p.json'],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  const missing = await cli(['prices', 'get', '99']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /price version "99" was not found/);
  assert.equal((await json(['prices', 'get'])).version, 3, 'nothing was written');
});
