/**
 * Flows under kill -9 (issue 13), with real `runyard up` child processes, on SQLite and on
 * PostgreSQL. One flow — a slow tool step, a `for_each` of 8 elements (2 at a time), an `input`
 * step, a last tool step — lives through three kills:
 * 1. while the first tool step is in flight: after the restart it runs again (its lease is
 *    recovered) and the flow goes on;
 * 2. while the `for_each` is half done: after the restart the iterations that had succeeded
 *    never run again, the others do, and the loop joins once;
 * 3. while it waits for input: after the restart the wait is still open and takes its answer.
 * Marker files record every producer call with its process id; no step or iteration that had
 * succeeded before a kill runs again, and each step is one item.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { markerCalls, tempDir, until } from '../helpers/fixtures.js';
import { postgresForFile } from '../helpers/postgres.js';
import { nodeApi as api, spawnRunyard, waitForRunOver, type RunyardProcess } from '../helpers/proc.js';

const postgres = postgresForFile();
type Json = Record<string, unknown>;

async function itemsOf(url: string, runId: string): Promise<Json[]> {
  return (await api(url, `/v1/runs/${runId}/items?limit=1000`)).data as Json[];
}

async function flowCrash(database: string, dir: string): Promise<void> {
  const marker = join(dir, 'calls.log');
  writeFileSync(marker, '');
  writeFileSync(
    join(dir, 'step.mjs'),
    `import { appendFileSync } from 'node:fs';
 export default async (input, ctx) => {
   appendFileSync(${JSON.stringify(marker)}, input.key + ' ' + process.pid + ' ' + Date.now() + '\\n');
   await new Promise((resolve, reject) => {
     const t = setTimeout(resolve, Number(input.ms));
     ctx.signal.addEventListener('abort', () => { clearTimeout(t); reject(new Error('aborted')); });
   });
   return { key: input.key };
 };`,
  );
  const env = { RUNYARD_DATA_DIR: join(dir, 'data'), RUNYARD_JS_DIR: dir };
  const start = () => spawnRunyard(['--database', database], env, 60_000);
  let node: RunyardProcess = await start();
  try {
    const flow = await api(node.url, '/v1/flows', {
      definition: {
        name: 'crash',
        steps: [
          { id: 'slow', type: 'tool', phase: 'triage', producer: 'js', config: { module: 'step.mjs', input: { key: 'slow', ms: 3000 } } },
          {
            id: 'loop',
            type: 'for_each',
            items: '[0, 1, 2, 3, 4, 5, 6, 7]',
            concurrency: 2,
            step: { producer: 'js', config: { module: 'step.mjs', input: { key: 'loop{{index}}', ms: 400 } } },
          },
          { id: 'ask', type: 'input', phase: 'remediation', prompt: 'go on?', decisions: [{ id: 'yes' }] },
          { id: 'tail', type: 'tool', phase: 'summarizing', producer: 'js', config: { module: 'step.mjs', input: { key: 'tail', ms: 10 } } },
        ],
      },
    });
    const run = await api(node.url, `/v1/flows/${String(flow.id)}/runs`, {});
    const runId = String(run.id);
    const succeededBefore = async (): Promise<string[]> =>
      (await itemsOf(node.url, runId)).filter((i) => i.status === 'succeeded').map((i) => String(i.key).replace(/\[(\d+)\]$/, '$1'));

    // 1. kill -9 while `slow` is in flight.
    await until('the slow step to start', 30_000, async () => (markerCalls(marker).some((c) => c.key === 'slow') ? true : undefined));
    await node.kill('SIGKILL');
    node = await start();

    // 2. kill -9 while the loop is half done.
    await until('three iterations done', 90_000, async () => {
      const done = (await itemsOf(node.url, runId)).filter((i) => String(i.key).startsWith('loop[') && i.status === 'succeeded');
      return done.length >= 3 ? true : undefined;
    });
    const done2 = await succeededBefore();
    await node.kill('SIGKILL');
    const killed2 = Date.now();
    node = await start();

    // 3. kill -9 while it waits.
    const wait = await until('the wait', 90_000, async () => ((await api(node.url, `/v1/waits?status=open&run_id=${runId}`)).data as Json[])[0]);
    const done3 = await succeededBefore();
    await node.kill('SIGKILL');
    const killed3 = Date.now();
    node = await start();
    const after = await api(node.url, `/v1/waits/${String(wait.id)}`);
    assert.equal(after.status, 'open', 'the wait survives kill -9');
    assert.equal((await api(node.url, `/v1/runs/${runId}`)).status, 'waiting_for_input');
    const answered = await api(node.url, `/v1/waits/${String(wait.id)}/responses`, { decision: 'yes' });
    assert.equal((answered.wait as Json).status, 'answered');

    const final = await waitForRunOver(node.url, runId, 60_000);
    assert.equal(final.status, 'succeeded', JSON.stringify(final));
    const items = await itemsOf(node.url, runId);
    assert.deepEqual(
      items.map((i) => String(i.key)).sort(),
      ['ask', 'loop[0]', 'loop[1]', 'loop[2]', 'loop[3]', 'loop[4]', 'loop[5]', 'loop[6]', 'loop[7]', 'slow', 'tail'].sort(),
    );
    assert.ok(items.every((i) => i.status === 'succeeded'));

    const calls = markerCalls(marker);
    // A call logged after a kill of a step that had succeeded before it would be a re-run.
    const rerunAfter = (killedAt: number, done: string[]) => calls.filter((c) => c.at > killedAt && done.includes(c.key));
    assert.deepEqual(rerunAfter(killed2, done2), [], 'no step that had succeeded before the second kill ran again');
    assert.deepEqual(rerunAfter(killed3, done3), [], 'no step that had succeeded before the third kill ran again');
    for (const k of ['loop0', 'loop7', 'tail'])
      assert.ok(
        calls.some((c) => c.key === k),
        `${k} ran`,
      );
    assert.equal(calls.filter((c) => c.key === 'tail').length, 1);
    const loopCalls = calls.filter((c) => c.key.startsWith('loop'));
    assert.ok(loopCalls.length - new Set(loopCalls.map((c) => c.key)).size <= 2, 'only iterations in flight at the kill ran twice');
    console.log(
      `# flow-crash: slow ran ${calls.filter((c) => c.key === 'slow').length}x; ${done2.length} steps done before the loop kill; ${loopCalls.length} loop calls`,
    );
  } finally {
    await node.kill('SIGTERM');
  }
}

test('flow on SQLite: kill -9 in a tool step, a half-done for_each and a wait', { timeout: 300_000 }, async () => {
  const dir = tempDir();
  await flowCrash(join(dir, 'runyard.db'), dir);
});

test('flow on PostgreSQL: kill -9 in a tool step, a half-done for_each and a wait', { timeout: 300_000 }, async () => {
  const server = await postgres();
  await flowCrash(await server.createDatabase(), tempDir());
});
