/** The run-control CLI commands, spawned as the real binary against a real `runyard up`. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { harness, type Harness } from '../control/harness.js';
import { runCli, useToken } from './helpers.js';

describe('runyard runs cancel|pause|resume|retry-failed|rerun, nodes, observability', () => {
  let h: Harness;
  let url: string[];
  before(async () => {
    h = await harness();
    useToken(h.ry.token);
    url = ['--url', h.ry.url];
  });
  after(async () => h.close());

  test('control a run from the command line with --json', { timeout: 60_000 }, async () => {
    const tableId = await h.table('cli', [...Array.from({ length: 30 }, (_, n) => ({ n, kind: 'ok', ms: 300 })), { n: 99, kind: 'perm' }]);
    // Held in flight until resumed: a CLI process can take seconds to start on a busy machine.
    const gate = join(h.dir, 'gate');
    writeFileSync(gate, '');
    const started = await runCli(['columns', 'run', tableId, 'rec', '--json', ...url]);
    assert.equal(started.code, 0, started.stderr);
    const id = String((JSON.parse(started.stdout) as { id: string }).id);

    const paused = await runCli(['runs', 'pause', id, '--json', ...url]);
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal((JSON.parse(paused.stdout) as { status: string }).status, 'paused');
    const readable = await runCli(['runs', 'get', id, ...url]);
    assert.match(readable.stdout, /waiting\s+│\s+paused: paused by a person/);
    const resumed = await runCli(['runs', 'resume', id, '--json', ...url]);
    assert.equal((JSON.parse(resumed.stdout) as { status: string }).status, 'running');
    rmSync(gate);
    const done = await h.waitTerminal(id);
    assert.equal(done.status, 'partial');

    const retried = await runCli(['runs', 'retry-failed', id, '--json', ...url]);
    assert.equal(retried.code, 0, retried.stderr);
    assert.equal((JSON.parse(retried.stdout) as { retried: number }).retried, 1);
    await h.waitTerminal(id);

    // The rerun is held in flight too, so that the cancel below meets it running.
    writeFileSync(gate, '');
    const rerun = await runCli(['runs', 'rerun', id, '--json', ...url]);
    assert.equal(rerun.code, 0, rerun.stderr);
    const second = JSON.parse(rerun.stdout) as { id: string; retry_of: string };
    assert.equal(second.retry_of, id);
    const canceled = await runCli(['runs', 'cancel', second.id, '--json', ...url]);
    assert.equal(canceled.code, 0, canceled.stderr);
    assert.equal((JSON.parse(canceled.stdout) as { status: string }).status, 'canceled');
    rmSync(gate);

    const refused = await runCli(['runs', 'pause', second.id, ...url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /illegal_transition: .*canceled/);

    const events = await runCli(['observability', 'events', '--run', id, '--json', '--limit', '1000', ...url]);
    assert.equal(events.code, 0, events.stderr);
    const types = events.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { type: string }).type);
    for (const t of ['run.queued', 'run.paused', 'run.resumed', 'run.partial', 'run.retry_failed']) assert.ok(types.includes(t), t);

    const followed = await runCli(['observability', 'events', '--run', second.id, '--follow', '--json', ...url]);
    assert.equal(followed.code, 0, 'a run stream ends with its run');
    assert.match(followed.stdout, /"end"/);

    const nodes = await runCli(['nodes', 'list', '--json', ...url]);
    const list = JSON.parse(nodes.stdout) as { data: { alive: boolean; pid: number }[] };
    assert.ok(list.data.some((n) => n.alive && n.pid === h.ry.pid));

    const dry = await runCli(['columns', 'run', tableId, 'rec', '--mode', 'dry_run', '--json', ...url]);
    assert.equal((JSON.parse(dry.stdout) as { mode: string }).mode, 'dry_run');
    const usage = await runCli(['columns', 'run', tableId, 'rec', '--mode', 'pretend', ...url]);
    assert.equal(usage.code, 2);
  });

  test('credits from the command line: grant, balance, ledger, usage, provider summary', { timeout: 120_000 }, async () => {
    const grant = await runCli(['credits', 'grant', '--amount', '12.5', '--reason', 'top-up', '--json', ...url]);
    assert.equal(grant.code, 0, grant.stderr);
    const balance = JSON.parse((await runCli(['credits', 'balance', '--json', ...url])).stdout) as { granted_micro: number };
    assert.equal(balance.granted_micro, 12_500_000);
    const readable = await runCli(['credits', 'balance', ...url]);
    assert.match(readable.stdout, /12\.5/);
    const ledger = JSON.parse((await runCli(['credits', 'ledger', '--kind', 'grant', '--json', ...url])).stdout) as { data: { reason: string }[] };
    assert.equal(ledger.data.at(-1)?.reason, 'top-up');
    for (const bad of ['-1', '0', '1.1234567', 'ten']) {
      const r = await runCli(['credits', 'grant', '--amount', bad, ...url]);
      assert.equal(r.code, 2, `--amount ${bad}`);
    }
    const usage = JSON.parse((await runCli(['usage', '--window', '1h', '--json', ...url])).stdout) as { window: string };
    assert.equal(usage.window, '1h');
    assert.equal((await runCli(['usage', '--window', '2h', ...url])).code, 2);
    const runs = JSON.parse((await runCli(['runs', 'list', '--json', ...url])).stdout) as { data: { id: string }[] };
    const summary = JSON.parse((await runCli(['runs', 'provider-summary', String(runs.data.at(-1)?.id), '--json', ...url])).stdout) as {
      data: { provider: string }[];
    };
    assert.equal(summary.data[0]?.provider, 'js');
  });
});
