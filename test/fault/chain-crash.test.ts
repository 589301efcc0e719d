/**
 * The `chain` test kind under kill -9 (issue 11, Build point 6), with real `runyard up` child
 * processes (`RUNYARD_TEST_KINDS=1`), on SQLite and on PostgreSQL. One chain of 14 steps that
 * waits for an answer at step 9 lives through three kills:
 * 1. kill -9 mid-chain (a step in flight, or between a completion and the next step's claim):
 *    after the restart the chain goes on with no gap (steps 0…K exist once each) and no step
 *    that had succeeded before the kill runs again;
 * 2. kill -9 while step 9 waits: after the restart it still waits (nothing re-runs it), and the
 *    run still says `waiting_for_input` with the prompt in its waiting reason;
 * 3. kill -9 as soon as the first of two concurrent answers is acknowledged (the other may be
 *    mid-transaction): after the restart an acknowledged answer is there, exactly one answer
 *    was applied (or none, and the next answer is), a further answer is refused with 409
 *    `item_not_waiting`, and the chain finishes.
 * After each restart the run's counts agree with its items, and at the end the ledger holds at
 * most one capture per item and reserved = captured + released (nothing left outstanding).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { markerCalls, tempDir, until } from '../helpers/fixtures.js';
import { postgresForFile } from '../helpers/postgres.js';
import { nodeApi as api, spawnRunyard, tokenOf, waitForRunOver, type RunyardProcess } from '../helpers/proc.js';

const STEPS = 14;
const WAIT_AT = 9;
const PRICE = 1_000;
const postgres = postgresForFile();

type Json = Record<string, unknown>;
/** The producer calls of the chain's steps, from the marker file. */
function callsOf(marker: string): { step: number; pid: number; at: number }[] {
  return markerCalls(marker).map((c) => ({ step: Number(c.key), pid: c.pid, at: c.at }));
}

/** Polls `fn` until it returns a value (not undefined), or fails naming `what` after `ms`. */
async function itemsOf(url: string, runId: string): Promise<Json[]> {
  return (await api(url, `/v1/runs/${runId}/items?limit=1000`)).data as Json[];
}

/** The run's counts agree with its items (items_total is the sum of the buckets). */
async function assertCounts(url: string, runId: string): Promise<Json> {
  const run = await api(url, `/v1/runs/${runId}`);
  const items = await itemsOf(url, runId);
  const by = (s: string[]) => items.filter((i) => s.includes(String(i.status))).length;
  assert.equal(run.items_total, items.length, 'items_total = items');
  assert.equal(run.items_succeeded, by(['succeeded']));
  assert.equal(run.items_failed, by(['failed']));
  assert.equal(run.items_pending, by(['pending', 'retrying']));
  assert.equal(run.items_running, by(['running']));
  assert.equal(run.items_waiting, by(['waiting_for_input']));
  const keys = items.map((i) => String(i.key));
  assert.deepEqual(
    keys,
    keys.map((_, i) => `step:${i}`),
    'no gap, no step twice: step:0…step:K in order',
  );
  return run;
}

/** POST without reading a failure as an exception: `{status, body}`. */
async function post(url: string, path: string, body: unknown): Promise<{ status: number; body: Json }> {
  const token = tokenOf(url);
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function chainCrash(database: string, dir: string): Promise<void> {
  const marker = join(dir, 'calls.log');
  writeFileSync(marker, '');
  const module = join(dir, 'step.mjs');
  writeFileSync(
    module,
    `import { appendFileSync } from 'node:fs';
 export default async (input, ctx) => {
   appendFileSync(${JSON.stringify(marker)}, input.step + ' ' + process.pid + ' ' + Date.now() + '\\n');
   await new Promise((resolve, reject) => {
     const t = setTimeout(resolve, 60);
     ctx.signal.addEventListener('abort', () => { clearTimeout(t); reject(new Error('aborted')); });
   });
   return { step: Number(input.step) };
 };`,
  );
  const env = {
    RUNYARD_TEST_KINDS: '1',
    RUNYARD_PRICES: JSON.stringify({ js_call: PRICE }),
    RUNYARD_DATA_DIR: join(dir, 'data'),
    RUNYARD_JS_DIR: dir,
  };
  const start = () => spawnRunyard(['--database', database], env, 60_000);
  let node: RunyardProcess = await start();
  try {
    await api(node.url, '/v1/credits/grants', { amount_micro: 10_000_000, reason: 'chain crash test' });
    const target = {
      type: 'chain',
      steps: STEPS,
      wait_at: WAIT_AT,
      producer: 'js',
      config: { module, input: { step: '{{step}}' } },
      subject: { ticket: 'T-1' },
    };
    const run = await api(node.url, '/v1/runs', { target });
    const runId = String(run.id);
    assert.deepEqual(run.subject, { ticket: 'T-1' });

    // 1. kill -9 mid-chain.
    await until('three steps done', 60_000, async () => {
      const r = await api(node.url, `/v1/runs/${runId}`);
      return Number(r.items_succeeded) >= 3 ? r : undefined;
    });
    const firstPid = node.pid;
    await node.kill('SIGKILL');
    const killedAt = Date.now();
    node = await start();
    const waiting = await until('the chain to reach its waiting step', 60_000, async () => {
      const r = await api(node.url, `/v1/runs/${runId}`);
      return r.status === 'waiting_for_input' ? r : undefined;
    });
    assert.equal(waiting.items_waiting, 1);
    let items = await itemsOf(node.url, runId);
    const doneBefore = items.filter((i) => i.status === 'succeeded' && Date.parse(String(i.finished_at)) < killedAt).map((i) => Number(String(i.key).slice(5)));
    assert.ok(doneBefore.length >= 3, 'steps had succeeded before the kill');
    const rerun = callsOf(marker).filter((c) => c.pid !== firstPid && doneBefore.includes(c.step));
    assert.deepEqual(rerun, [], 'no step that had succeeded before the kill ran again');
    await assertCounts(node.url, runId);
    const waitItem = items.find((i) => i.status === 'waiting_for_input');
    assert.equal(waitItem?.key, `step:${WAIT_AT}`);
    assert.match(String((waiting.waiting_reason as Json | null)?.message), new RegExp(`step ${WAIT_AT} of ${STEPS}: answer to go on`));

    // 2. kill -9 while it waits: after the restart it still waits.
    await node.kill('SIGKILL');
    node = await start();
    const restartedPid = node.pid;
    await until('the new node to be listed alive', 30_000, async () => {
      const nodes = (await api(node.url, '/v1/nodes')).data as Json[];
      return nodes.some((n) => n.pid === restartedPid && n.alive === true) ? true : undefined;
    });
    const still = await assertCounts(node.url, runId);
    assert.equal(still.status, 'waiting_for_input');
    assert.equal(callsOf(marker).filter((c) => c.step === WAIT_AT).length, 0, 'the input step never runs a producer call');

    // 3. kill -9 right after two concurrent answers were sent.
    const path = `/v1/runs/${runId}/items/${String(waitItem?.id)}/respond`;
    const answers = [{ answer: { pick: 'a' } }, { answer: { pick: 'b' } }];
    // The kill comes as soon as the first of the two answers is acknowledged: the other one may
    // be mid-transaction. An acknowledged answer must survive the kill.
    const sent = answers.map((a) => post(node.url, path, a).catch(() => undefined));
    const first = await Promise.race(sent);
    await node.kill('SIGKILL');
    await Promise.all(sent);
    node = await start();
    let answered = (await itemsOf(node.url, runId)).find((i) => i.key === `step:${WAIT_AT}`);
    const appliedBeforeKill = answered?.status === 'succeeded';
    if (first?.status === 200) assert.ok(appliedBeforeKill, 'an acknowledged answer survives kill -9');
    if (answered?.status === 'waiting_for_input') {
      // Neither answer was committed before the kill: the next one is applied.
      const again = await post(node.url, path, answers[0]);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      answered = (await itemsOf(node.url, runId)).find((i) => i.key === `step:${WAIT_AT}`);
    }
    assert.equal(answered?.status, 'succeeded');
    assert.ok(
      answers.some((a) => JSON.stringify(a.answer) === JSON.stringify(answered?.outputs)),
      `the outputs are one answer: ${JSON.stringify(answered?.outputs)}`,
    );
    const late = await post(node.url, path, { answer: { pick: 'late' } });
    assert.equal(late.status, 409);
    assert.equal((late.body.error as Json).code, 'item_not_waiting');
    const events = (await api(node.url, `/v1/runs/${runId}/events?limit=1000`)).data as Json[];
    assert.equal(events.filter((e) => e.type === 'item.answered').length, 1, 'exactly one answer applied');

    const final = await waitForRunOver(node.url, runId, 60_000);
    assert.equal(final.status, 'succeeded');
    assert.deepEqual(final.output, { steps: STEPS, last: { value: { step: STEPS - 1 } } });
    const last = await assertCounts(node.url, runId);
    assert.equal(last.items_succeeded, STEPS);
    items = await itemsOf(node.url, runId);
    assert.equal(items.length, STEPS);

    // Every producer step was called; repeats only for steps in flight at a kill (at most one per kill).
    const calls = callsOf(marker);
    const steps = new Set(calls.map((c) => c.step));
    for (let i = 0; i < STEPS; i++) if (i !== WAIT_AT) assert.ok(steps.has(i), `step ${i} ran`);
    assert.ok(calls.length - steps.size <= 3, `repeated calls ${calls.length - steps.size} ≤ kills`);

    // The ledger: at most one capture per item; the run reconciles; nothing stays outstanding.
    const ledger = (await api(node.url, `/v1/credits/ledger?run_id=${runId}&limit=1000`)).data as Json[];
    const sum = (k: string) => ledger.filter((e) => e.kind === k).reduce((s, e) => s + Number(e.amount_micro), 0);
    const captures = ledger.filter((e) => e.kind === 'capture').map((e) => String(e.item_id));
    assert.equal(new Set(captures).size, captures.length, 'no item has two captures');
    assert.equal(sum('reserve'), sum('capture') + sum('release'), 'reserved = captured + released');
    assert.equal(Number(final.credits_reserved_micro), sum('reserve'));
    const balance = await api(node.url, '/v1/credits/balance');
    assert.equal(balance.outstanding_micro, 0, 'nothing stays reserved');
    assert.equal(balance.captured_micro, sum('capture'));
    console.log(
      `# chain-crash: ${doneBefore.length} steps done before the first kill, ${calls.length - steps.size} repeated calls, ` +
        `answer ${appliedBeforeKill ? 'applied before' : 'not applied before'} the third kill`,
    );
  } finally {
    await node.kill('SIGTERM');
  }
}

test('chain kind on SQLite: kill -9 mid-chain, while waiting and during an answer', { timeout: 240_000 }, async () => {
  const dir = tempDir();
  await chainCrash(join(dir, 'runyard.db'), dir);
});

test('chain kind on PostgreSQL: kill -9 mid-chain, while waiting and during an answer', { timeout: 240_000 }, async () => {
  const server = await postgres();
  await chainCrash(await server.createDatabase(), tempDir());
});
