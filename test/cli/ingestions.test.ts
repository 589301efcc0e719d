/**
 * `runyard ingestions create|version|list|run|runs|retry-failed` (issue 16), spawned as the real
 * binary against a real `runyard up` (SQLite) and a paginated API on 127.0.0.1: a cursor source
 * with one page that keeps failing runs `partial`, `retry-failed` re-fetches that page and the
 * chain goes on; `--json` output carries the run and its summary; the auth secret is passed by
 * `--secret-env` only; a bad definition exits 1 naming the field.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, until } from '../helpers/fixtures.js';
import { startPagedApi, type PagedApi } from '../helpers/paged-api.js';
import { nodeApi as api, spawnRunyard, type RunyardProcess } from '../helpers/proc.js';
import { runCli, useToken } from './helpers.js';

type Json = Record<string, unknown>;

describe('runyard ingestions', () => {
  let ry: RunyardProcess;
  let provider: PagedApi;
  let url: string[];
  const dir = tempDir();

  before(async () => {
    provider = await startPagedApi(100);
    provider.auth = 'cli-secret-value';
    ry = await spawnRunyard(['--database', join(dir, 'runyard.db')], { RUNYARD_DATA_DIR: join(dir, 'data') }, 60_000);
    useToken(ry.token);
    url = ['--url', ry.url];
  });
  after(async () => {
    await ry.kill('SIGTERM');
    await provider.close();
  });

  test('create, run with --secret-env, runs, retry-failed, version; --json everywhere', { timeout: 120_000 }, async () => {
    const table = await api(ry.url, '/v1/tables', { name: 'cli ingest', format: 'csv', data: 'id\n' });
    const def = {
      name: 'cli source',
      table_id: table.id,
      request: { url: `${provider.url}/cursor` },
      auth: { secret: 'PROVIDER_TOKEN', header: 'authorization', prefix: 'Bearer ' },
      records_path: 'items',
      key_field: 'id',
      pagination: { type: 'cursor', cursor_path: 'next', size_param: 'limit' },
      page_size: 10,
    };
    const file = join(dir, 'source.json');
    writeFileSync(file, JSON.stringify(def));
    const created = await runCli(['ingestions', 'create', file, '--json', ...url]);
    assert.equal(created.code, 0, created.stderr);
    const id = (JSON.parse(created.stdout) as Json).id as string;

    provider.failing.add(4);
    const refused = await runCli(['ingestions', 'run', id, '--secret-env', 'PROVIDER_TOKEN=x', ...url]);
    assert.equal(refused.code, 2, 'a secret value in argv is a usage error');
    const ran = await runCli(['ingestions', 'run', id, '--secret-env', 'PROVIDER_TOKEN', '--wait', '--json', ...url], { PROVIDER_TOKEN: 'cli-secret-value' });
    assert.equal(ran.code, 0, ran.stderr);
    const first = JSON.parse(ran.stdout) as { run: Json; summary: Json };
    assert.equal(first.run.status, 'partial');
    assert.equal(first.summary.pages, 3);
    assert.equal(first.summary.pages_failed, 1);
    assert.ok(!ran.stdout.includes('cli-secret-value'));
    const runId = first.run.id as string;

    provider.heal();
    const retried = await runCli(['ingestions', 'retry-failed', id, runId, '--json', ...url]);
    assert.equal(retried.code, 0, retried.stderr);
    assert.equal((JSON.parse(retried.stdout) as Json).retried, 1);
    const runs = await until('the retried run to succeed', 60_000, async () => {
      const r = await runCli(['ingestions', 'runs', id, '--json', ...url]);
      const page = JSON.parse(r.stdout) as { data: { run: Json; summary: Json }[] };
      return page.data[0]?.run.status === 'succeeded' ? page : undefined;
    });
    assert.deepEqual({ pages: runs.data[0]!.summary.pages, created: runs.data[0]!.summary.created }, { pages: 10, created: 100 });
    const readable = await runCli(['ingestions', 'runs', id, ...url]);
    assert.equal(readable.code, 0, readable.stderr);
    assert.match(readable.stdout, new RegExp(`${runId}.*succeeded`));

    writeFileSync(file, JSON.stringify({ ...def, name: 'cli source v2' }));
    const v2 = await runCli(['ingestions', 'version', id, file, '--json', ...url]);
    assert.equal(v2.code, 0, v2.stderr);
    assert.equal((JSON.parse(v2.stdout) as Json).version, 2);
    const got = await runCli(['ingestions', 'get', id, '--source-version', '1', '--json', ...url]);
    assert.equal((JSON.parse(got.stdout) as Json).name, 'cli source');
    const list = await runCli(['ingestions', 'list', ...url]);
    assert.match(list.stdout, /cli source v2/);

    writeFileSync(file, JSON.stringify({ ...def, records_path: 'a..b' }));
    const bad = await runCli(['ingestions', 'create', file, ...url]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /records_path/);
  });
});
