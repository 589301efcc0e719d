/**
 * The incident-triage example end to end (examples/flows, README "Flows"): the example service
 * (a real process on 127.0.0.1) is checked by the flow through the real `runyard` binary against a
 * real `runyard up`, on SQLite and on PostgreSQL, with the README's six commands: `flows create`,
 * `flows run`, `waits list`, `waits respond` (a person approves through the CLI), `runs get`.
 * - degraded service: health and disk are checked for real (`df`), the decide step picks
 *   `restart_service` with its rationale, the run waits for input in phase `remediation`, a bad
 *   answer names the field and leaves the wait open, the approval restarts the service once, the
 *   check after it sees `ok` and the summary says so;
 * - the same service again (now healthy): triage jumps to the summary, no wait, no restart;
 * - a second degraded service whose restart is rejected: no restart, the summary names who
 *   rejected it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir, until } from '../helpers/fixtures.js';
import { postgresForFile } from '../helpers/postgres.js';
import { spawnRunyard } from '../helpers/proc.js';
import { startExampleServer, type ZonesExample } from '../helpers/zones-example.js';
import { root, runCli, useToken } from './helpers.js';

type Json = Record<string, unknown>;
const postgres = postgresForFile();
const FLOW = join(root, 'examples/flows/incident-triage.flow.yaml');

/** The disk use of `/` as `df -P` reports it, percent. */
function diskPct(): number {
  const line = execFileSync('df', ['-P', '/'], { encoding: 'utf8' }).trim().split('\n')[1]!;
  return Number(/(\d+)%/.exec(line)![1]);
}

async function stats(service: ZonesExample): Promise<Json> {
  return (await (await fetch(`${service.url}/stats`)).json()) as Json;
}

async function example(database: string, dir: string): Promise<void> {
  const ry = await spawnRunyard(['--database', database], { RUNYARD_DATA_DIR: join(dir, 'data') }, 60_000);
  const services: ZonesExample[] = [];
  const service = async (args: string[] = []) => {
    const s = await startExampleServer('examples/flows/service.mjs', args);
    services.push(s);
    return s;
  };
  try {
    useToken(ry.token);
    const url = ['--url', ry.url];
    const cli = async (args: string[]): Promise<Json> => {
      const r = await runCli([...args, '--json', ...url]);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
      return JSON.parse(r.stdout) as Json;
    };
    const waitFor = (runId: string) => until(`the wait of ${runId}`, 60_000, async () => ((await cli(['waits', 'list', '--run', runId])).data as Json[])[0]);
    const finished = (runId: string) =>
      until(`${runId} to finish`, 60_000, async () => {
        const run = await cli(['runs', 'get', runId]);
        return ['succeeded', 'partial', 'failed', 'canceled'].includes(String(run.status)) ? run : undefined;
      });
    const keys = async (runId: string) => ((await cli(['runs', 'items', runId, '--limit', '100'])).data as Json[]).map((i) => String(i.key));

    // 1. flows create (the README's file, unchanged).
    const flow = await cli(['flows', 'create', FLOW]);
    const flowId = String(flow.id);
    const degraded = await service();

    // 2. flows run: health and disk checked, restart decided, then the run waits for a person.
    const run = await cli(['flows', 'run', flowId, '--inputs', JSON.stringify({ service_url: degraded.url })]);
    const runId = String(run.id);
    // 3. waits list
    const wait = await waitFor(runId);
    assert.equal(wait.title, 'Restart checkout?');
    assert.equal(wait.phase, 'remediation');
    assert.match(String(wait.prompt), /\*\*checkout\*\* reports `degraded`/);
    const waiting = await cli(['runs', 'get', runId]);
    assert.equal(waiting.status, 'waiting_for_input');
    assert.equal(waiting.phase, 'remediation');
    const items = (await cli(['runs', 'items', runId])).data as Json[];
    const pick = items.find((i) => i.key === 'pick')!;
    assert.deepEqual(pick.outputs, { option: 'restart_service', rationale: 'the service reports degraded', decided_by: 'rule', next: 'approve' });
    const disk = Number(((waiting.output as Json).vars as Json).disk_pct);
    assert.ok(Math.abs(disk - diskPct()) <= 2, `df through the flow said ${disk}%, df here ${diskPct()}%`);
    assert.equal((await stats(degraded)).restarts, 0, 'nothing restarted before the approval');

    // 4. waits respond: a bad answer names the field and changes nothing; then the approval.
    const bad = await runCli(['waits', 'respond', String(wait.id), '--decision', 'approve', '--values', '{"ticket": "x"}', ...url]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr + bad.stdout, /values\.ticket/);
    assert.equal((await cli(['waits', 'get', String(wait.id)])).status, 'open');
    const answered = await cli(['waits', 'respond', String(wait.id), '--decision', 'approve', '--values', '{"ticket": "OPS-42"}']);
    assert.equal((answered.wait as Json).status, 'answered');

    // 5. runs get: succeeded, with the summary.
    const done = await finished(runId);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const by = String((await cli(['waits', 'get', String(wait.id)])).responded_by);
    assert.equal(done.result_summary, `checkout: health degraded, disk ${disk}% used; restarted after approval by ${by} (OPS-42); health now ok`);
    assert.deepEqual((done.output as Json).result, {
      health: 'degraded',
      disk_pct: disk,
      outcome: `restarted after approval by ${by} (OPS-42); health now ok`,
    });
    assert.deepEqual(await keys(runId), ['health', 'disk', 'triage', 'pick', 'approve', 'restart', 'verify', 'summary']);
    const s = await stats(degraded);
    assert.equal(s.restarts, 1, 'restarted exactly once');
    assert.equal(s.health, 'ok');
    assert.equal(s.health_checks, 2, 'checked before and after');

    // The same service again, healthy now: triage jumps to the summary (no wait, no restart).
    const again = await cli(['flows', 'run', flowId, '--inputs', JSON.stringify({ service_url: degraded.url, disk_threshold_pct: 100 })]);
    const calm = await finished(String(again.id));
    assert.equal(calm.status, 'succeeded');
    assert.equal(calm.result_summary, `checkout: health ok, disk ${disk}% used; no remediation`);
    assert.deepEqual(await keys(String(again.id)), ['health', 'disk', 'triage', 'summary']);
    assert.equal((await stats(degraded)).restarts, 1);

    // Another degraded service; the person rejects: nothing is restarted.
    const other = await service();
    const third = await cli(['flows', 'run', flowId, '--inputs', JSON.stringify({ service: 'billing', service_url: other.url })]);
    const w3 = await waitFor(String(third.id));
    await cli(['waits', 'respond', String(w3.id), '--decision', 'reject', '--values', '{"ticket": "OPS-43"}']);
    const rejected = await finished(String(third.id));
    assert.equal(rejected.status, 'succeeded');
    assert.equal(rejected.result_summary, `billing: health degraded, disk ${disk}% used; restart rejected by ${by} (OPS-43)`);
    assert.deepEqual(await keys(String(third.id)), ['health', 'disk', 'triage', 'pick', 'approve', 'summary']);
    assert.deepEqual(await stats(other), { health: 'degraded', restarts: 0, health_checks: 1 });
  } finally {
    for (const s of services) await s.stop();
    await ry.kill('SIGTERM');
  }
}

test('examples/flows incident triage through the CLI on SQLite', { timeout: 180_000 }, async () => {
  const dir = tempDir();
  await example(join(dir, 'runyard.db'), dir);
});

test('examples/flows incident triage through the CLI on PostgreSQL', { timeout: 180_000 }, async () => {
  const server = await postgres();
  await example(await server.createDatabase(), tempDir());
});
