/**
 * Seed 004's verbs (src/cli/aliases.ts), spawned as the real binary against a real `runyard up`:
 * `table-runs list|get|items|provider-summary|pause|resume|cancel|retry-failed` act on column runs
 * exactly as `runs …` does (same JSON, same exit codes, `list` shows column runs only), and
 * `table-ingestions create-tool-page|retry-failed` run an ingestion source and re-fetch its failed
 * page (`retry-failed` with the run id alone); `--help` of an alias is its target's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { harness, type Harness } from '../control/harness.js';
import { until } from '../helpers/fixtures.js';
import { startPagedApi, type PagedApi } from '../helpers/paged-api.js';
import { runCli, useToken } from './helpers.js';

type Json = Record<string, unknown>;

describe('runyard table-runs … and table-ingestions … (seed 004 aliases)', () => {
  let h: Harness;
  let provider: PagedApi;
  let url: string[];
  before(async () => {
    h = await harness();
    provider = await startPagedApi(50);
    useToken(h.ry.token);
    url = ['--url', h.ry.url];
  });
  after(async () => {
    await h.close();
    await provider.close();
  });

  async function json(args: string[]): Promise<Json> {
    const r = await runCli([...args, '--json', ...url]);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Json;
  }

  test('table-ingestions create-tool-page runs a source; retry-failed <run> re-fetches its failed page', { timeout: 120_000 }, async () => {
    const table = await h.call('POST', '/v1/tables', { name: 'alias ingest', format: 'csv', data: 'id\n' });
    const def = {
      name: 'alias source',
      table_id: table.json.id,
      request: { url: `${provider.url}/cursor` },
      records_path: 'items',
      key_field: 'id',
      pagination: { type: 'cursor', cursor_path: 'next', size_param: 'limit' },
      page_size: 10,
    };
    const file = join(h.dir, 'alias-source.json');
    writeFileSync(file, JSON.stringify(def));
    const source = await json(['ingestions', 'create', file]);
    provider.failing.add(3);
    const ran = (await json(['table-ingestions', 'create-tool-page', source.id as string, '--wait'])) as { run: Json; summary: Json };
    assert.equal(ran.run.kind, 'ingestion');
    assert.equal(ran.run.status, 'partial');
    assert.equal(ran.summary.pages_failed, 1);

    provider.heal();
    const retried = await json(['table-ingestions', 'retry-failed', ran.run.id as string]);
    assert.equal(retried.retried, 1, 'the source is found from the run');
    const done = await until('the retried ingestion to succeed', 60_000, async () => {
      const r = (await json(['ingestions', 'runs', source.id as string])) as { data: { run: Json; summary: Json }[] };
      return r.data[0]?.run.status === 'succeeded' ? r.data[0] : undefined;
    });
    assert.equal(done.summary.created, 50);

    const help = await runCli(['table-ingestions', 'create-tool-page', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: runyard ingestions run \[options\] <source>/);
    assert.match((await runCli(['table-ingestions', '--help'])).stdout, /create-tool-page .*ingestions run/s);
  });

  test('table-runs list|get|items|provider-summary|pause|resume|cancel|retry-failed act on column runs like runs …', { timeout: 120_000 }, async () => {
    const tableId = await h.table('alias', [...Array.from({ length: 10 }, (_, n) => ({ n, kind: 'ok', ms: 50 })), { n: 99, kind: 'perm' }]);
    const gate = join(h.dir, 'gate');
    writeFileSync(gate, '');
    const id = (await json(['columns', 'run', tableId, 'rec'])).id as string;

    assert.equal((await json(['table-runs', 'pause', id])).status, 'paused');
    assert.equal((await json(['table-runs', 'resume', id])).status, 'running');
    rmSync(gate);
    assert.equal((await h.waitTerminal(id)).status, 'partial');

    const got = await json(['table-runs', 'get', id]);
    const direct = await json(['runs', 'get', id]);
    assert.deepEqual({ id: got.id, kind: got.kind, status: got.status }, { id, kind: 'column', status: 'partial' });
    assert.deepEqual(got, direct, 'the same JSON as runs get');
    const readable = await runCli(['table-runs', 'get', id, ...url]);
    assert.equal(readable.stdout, (await runCli(['runs', 'get', id, ...url])).stdout);

    const failed = (await json(['table-runs', 'items', id, '--status', 'failed'])) as { data: Json[] };
    assert.equal(failed.data.length, 1);
    const summary = (await json(['table-runs', 'provider-summary', id])) as { data: { provider: string }[] };
    assert.equal(summary.data[0]?.provider, 'js');

    const list = (await json(['table-runs', 'list'])) as { data: Json[] };
    assert.ok(list.data.some((r) => r.id === id));
    assert.ok(list.data.length > 0 && list.data.every((r) => r.kind === 'column'), 'column runs only (an ingestion run exists)');
    const all = (await json(['runs', 'list'])) as { data: Json[] };
    assert.ok(all.data.some((r) => r.kind === 'ingestion'));
    const ingestionOnly = (await json(['table-runs', 'list', '--kind', 'ingestion'])) as { data: Json[] };
    assert.ok(
      ingestionOnly.data.every((r) => r.kind === 'ingestion'),
      'an explicit --kind wins',
    );

    assert.equal((await json(['table-runs', 'retry-failed', id])).retried, 1);
    await h.waitTerminal(id);
    writeFileSync(gate, '');
    const second = (await json(['columns', 'run', tableId, 'rec'])).id as string;
    assert.equal((await json(['table-runs', 'cancel', second])).status, 'canceled');
    rmSync(gate);

    const refused = await runCli(['table-runs', 'pause', second, ...url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /illegal_transition: .*canceled/);
    const usage = await runCli(['table-runs', 'items', id, '--status', 'nonsense', ...url]);
    assert.equal(usage.code, 2, 'a usage error of the target exits 2');
    const unknown = await runCli(['table-runs', 'explode', id, ...url]);
    assert.equal(unknown.code, 2);
  });
});
