/**
 * A `runyard worker` applies the same js directory as `runyard up` (`RUNYARD_JS_DIR`): a module
 * the API node accepted (it lies under the API node's js directory) but that lies outside the
 * worker's fails its item with `module_outside_js_dir` instead of being imported. Real
 * processes: one `up --no-executor` and one `worker` on one SQLite file.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/fixtures.js';
import { nodeApi as api, type RunyardProcess, spawnRunyard, waitForRunOver } from '../helpers/proc.js';
import { spawnWorker, type WorkerProcess } from '../helpers/cluster.js';

describe('the js directory on a worker node', { timeout: 120_000 }, () => {
  let up: RunyardProcess | undefined;
  let worker: WorkerProcess | undefined;
  after(async () => {
    await worker?.kill('SIGKILL');
    await up?.kill('SIGKILL');
  });

  test('a module outside the worker’s js directory fails its item; nothing is imported', async () => {
    const dir = tempDir('runyard-worker-jsdir-');
    const inner = join(dir, 'inner');
    mkdirSync(inner);
    const marker = join(dir, 'imported');
    const module = join(dir, 'mod.mjs');
    writeFileSync(module, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\nexport default (input) => input.n;\n`);
    const db = join(dir, 'r.db');
    const env = { RUNYARD_DATA_DIR: join(dir, 'data') };
    up = await spawnRunyard(['--database', db, '--no-executor'], { ...env, RUNYARD_JS_DIR: dir }, 60_000);
    worker = await spawnWorker(db, [], { ...env, RUNYARD_JS_DIR: inner }, 60_000);

    const table = await api(up.url, '/v1/tables', { name: 'nums', format: 'csv', data: 'n\n1\n2\n' });
    await api(up.url, `/v1/tables/${String(table.id)}/columns`, { name: 'echo', producer: 'js', config: { module, input: { n: '{{n}}' } } });
    const run = await api(up.url, `/v1/tables/${String(table.id)}/columns/echo/runs`, {});
    const over = await waitForRunOver(up.url, String(run.id), 90_000);
    assert.equal(over.status, 'failed');
    const items = (await api(up.url, `/v1/runs/${String(run.id)}/items`)) as { data: { status: string; error: { code: string } | null }[] };
    assert.equal(items.data.length, 2);
    for (const item of items.data) {
      assert.equal(item.status, 'failed');
      assert.equal(item.error?.code, 'module_outside_js_dir');
    }
    assert.equal(existsSync(marker), false, 'the module was never imported');
  });
});
