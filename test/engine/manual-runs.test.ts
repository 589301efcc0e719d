/**
 * Manual runs in the engine: prompt, session, per-run env and secrets reach producers, results
 * are redacted before they are stored, the column's saved definition never changes, runs with
 * conflicting overrides stay isolated, and secrets that cannot be opened fail items cleanly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { IdempotencyConflictError, ValidationError } from '../../src/core/errors.js';
import { REDACTED } from '../../src/core/redact.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { SecretBox } from '../../src/engine/secrets.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import type { Store } from '../../src/store/port.js';
import { FAST, sqliteStore, tempDir, waitForRun, writeModule } from '../helpers/fixtures.js';

const TOKEN = 'tok_live_5d1b9c0e7a3f';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const MODULE = `
import { createHash } from 'node:crypto';
const sha = (s) => createHash('sha256').update(s).digest('hex');
export default (input, ctx) => {
  const s = ctx.env.API_TOKEN ?? '';
  if (input.name === 'boom') {
    const e = new Error('call failed with ' + s + ' (' + Buffer.from(s).toString('base64') + ')');
    e.retryable = false;
    throw e;
  }
  return { mode: ctx.env.MODE ?? null, prompt: ctx.env.RUNYARD_PROMPT ?? null, echo: s, b64: Buffer.from(s).toString('base64'),
    url: 'https://x.test/?t=' + encodeURIComponent(s), hash: sha(s), names: Object.keys(ctx.env).sort() };
};
export const slow = async (input, ctx) => {
  const before = ctx.env.WHO;
  await new Promise((r) => setTimeout(r, Number(input.delay)));
  return { before, after: ctx.env.WHO, secret: sha(ctx.env.API_TOKEN ?? '') };
};
`;

function engineOn(store: Store, dir: string, secrets?: SecretBox): Engine {
  return createEngine({ store, producers: createProducerRegistry({ baseDir: dir }), options: FAST, ...(secrets ? { secrets } : {}) });
}

describe('manual runs (engine)', () => {
  const dir = tempDir();
  const box = SecretBox.random();
  let store: Store;
  let engine: Engine;
  let tableId: string;
  const ws = 'wsp_default';

  before(async () => {
    writeModule(dir, 'echo.mjs', MODULE);
    store = await sqliteStore();
    engine = engineOn(store, dir, box);
    const table = await engine.tables.importTable(ws, 'people', 'csv', 'name,delay\nada,30\nboom,5\ncy,10\n');
    tableId = table.id;
    await engine.tables.addColumn(ws, tableId, { name: 'echo', producer: 'js', config: { module: 'echo.mjs', input: { name: '{{name}}' } } });
    await engine.tables.addColumn(ws, tableId, { name: 'slow', producer: 'js', config: { module: 'echo.mjs', export: 'slow', input: { delay: '{{delay}}' } } });
    await engine.startExecutor();
  });
  after(async () => {
    await engine.stopExecutor();
    await store.close();
  });

  test('env, secrets and prompt reach the producer; what it returns is redacted; the column is unchanged', async () => {
    const colBefore = await store.getColumn(ws, tableId, 'echo');
    const { run, created } = await engine.runs.startColumnRun(ws, tableId, 'echo', {
      prompt: 'Summarise each row',
      session_id: 'ses_42',
      trigger: { type: 'manual', actor: 'ada' },
      overrides: { env: { MODE: 'fast' }, secrets: { API_TOKEN: TOKEN } },
    });
    assert.equal(created, true);
    assert.equal(run.prompt, 'Summarise each row');
    assert.equal(run.session_id, 'ses_42');
    assert.deepEqual(run.overrides_env, { MODE: 'fast' });
    assert.deepEqual(run.secret_names, ['API_TOKEN']);
    assert.deepEqual(run.trigger, { type: 'manual', actor: 'ada', source_id: null });
    const sealed = await store.getRunSecrets(ws, run.id);
    assert.ok(sealed && !sealed.includes(TOKEN));
    assert.deepEqual(box.open(sealed), { API_TOKEN: TOKEN });

    const done = await waitForRun(engine, run.id);
    assert.equal(done.status, 'partial');
    assert.ok(done.error && !done.error.message.includes(TOKEN));
    assert.match(done.error.message, /call failed with \[REDACTED\] \(\[REDACTED\]\)/);
    const items = (await store.listItems(ws, run.id, {}, { limit: 10 })).data;
    const ok = items.find((i) => i.status === 'succeeded')?.outputs?.value as Record<string, unknown>;
    assert.equal(ok.mode, 'fast');
    assert.equal(ok.prompt, 'Summarise each row');
    assert.equal(ok.echo, REDACTED);
    assert.equal(ok.b64, REDACTED);
    assert.equal(ok.url, `https://x.test/?t=${REDACTED}`);
    assert.equal(ok.hash, sha(TOKEN), 'the producer saw the real value');
    assert.deepEqual(ok.names, ['API_TOKEN', 'MODE', 'RUNYARD_PROMPT']);
    const failed = items.find((i) => i.status === 'failed');
    assert.equal(failed?.error?.message, `call failed with ${REDACTED} (${REDACTED})`);
    const events = await store.listEvents(ws, run.id, 0, 100);
    assert.ok(!JSON.stringify(events).includes(TOKEN));
    const cell = await store.getCell(ws, tableId, items[0]?.key ?? '', colBefore?.id ?? '');
    assert.ok(cell && !JSON.stringify(cell).includes(TOKEN));

    assert.deepEqual(await store.getColumn(ws, tableId, 'echo'), colBefore, "the column's saved definition did not change");
    assert.equal(process.env.API_TOKEN, undefined);
    assert.equal(process.env.MODE, undefined);
  });

  test('runs with conflicting overrides, interleaved, each see only their own', async () => {
    const starts = await Promise.all(
      ['red', 'blue', 'green'].map((who) =>
        engine.runs.startColumnRun(ws, tableId, 'slow', { overrides: { env: { WHO: who }, secrets: { API_TOKEN: `${TOKEN}-${who}` } } }),
      ),
    );
    for (const [i, who] of ['red', 'blue', 'green'].entries()) {
      const run = starts[i]?.run;
      assert.ok(run);
      assert.equal((await waitForRun(engine, run.id)).status, 'succeeded');
      for (const item of (await store.listItems(ws, run.id, {}, { limit: 10 })).data) {
        assert.deepEqual(item.outputs?.value, { before: who, after: who, secret: sha(`${TOKEN}-${who}`) });
      }
    }
  });

  test('idempotency: same secrets replay, different secrets conflict; nothing stored in clear', async () => {
    const opts = { idempotency_key: 'k-manual-1', overrides: { secrets: { API_TOKEN: TOKEN } } };
    const first = await engine.runs.startColumnRun(ws, tableId, 'slow', opts);
    const again = await engine.runs.startColumnRun(ws, tableId, 'slow', { ...opts, overrides: { secrets: { API_TOKEN: TOKEN } } });
    assert.equal(again.created, false);
    assert.equal(again.run.id, first.run.id);
    await assert.rejects(
      engine.runs.startColumnRun(ws, tableId, 'slow', { ...opts, overrides: { secrets: { API_TOKEN: `${TOKEN}x` } } }),
      IdempotencyConflictError,
    );
    await assert.rejects(
      engine.runs.startColumnRun(ws, tableId, 'slow', { ...opts, overrides: { env: { API: 'x' }, secrets: { API_TOKEN: TOKEN } } }),
      IdempotencyConflictError,
    );
    const held = await store.findRunByIdempotencyKey(ws, 'k-manual-1');
    assert.ok(held?.request_hash && !held.request_hash.includes(TOKEN) && held.request_hash !== sha(TOKEN));
    await waitForRun(engine, first.run.id);
  });

  test('refusals write nothing', async () => {
    const count = async () => (await store.listRuns(ws, {}, { limit: 1000 })).data.length;
    const before = await count();
    const bad: [unknown, string][] = [
      [{ overrides: { env: { NODE_OPTIONS: '--require /tmp/x.js' } } }, 'overrides.env.NODE_OPTIONS'],
      [{ overrides: { secrets: { LD_PRELOAD: '/tmp/x.so' } } }, 'overrides.secrets.LD_PRELOAD'],
      [{ overrides: { secrets: { BIG: 'x'.repeat(8193) } } }, 'overrides.secrets.BIG'],
      [{ prompt: 'a\0b' }, 'prompt'],
      [{ session_id: '' }, 'session_id'],
      [{ profile: 'huge' }, 'profile'],
    ];
    for (const [opts, field] of bad) {
      await assert.rejects(
        engine.runs.startColumnRun(ws, tableId, 'echo', opts as never),
        (err: Error) => err instanceof ValidationError && err.details?.field === field,
      );
    }
    assert.equal(await count(), before);
  });

  test('an engine without a secret key refuses secrets but takes env overrides', async () => {
    const plain = engineOn(store, dir);
    await assert.rejects(
      plain.runs.startColumnRun(ws, tableId, 'echo', { overrides: { secrets: { API_TOKEN: TOKEN } } }),
      (err: Error) => err instanceof ValidationError && err.details?.field === 'overrides.secrets' && !err.message.includes(TOKEN),
    );
    const { run } = await plain.runs.startColumnRun(ws, tableId, 'slow', { overrides: { env: { WHO: 'plain' } } });
    assert.equal((await waitForRun(engine, run.id)).status, 'succeeded');
  });

  test('secrets sealed with another key fail the items (secrets_unavailable), never run without them', async () => {
    const otherBox = SecretBox.random();
    const other = engineOn(store, dir, otherBox);
    // Created through an engine holding another key; executed by `engine`.
    const { run } = await other.runs.startColumnRun(ws, tableId, 'slow', { overrides: { secrets: { API_TOKEN: TOKEN } } });
    const done = await waitForRun(engine, run.id);
    assert.equal(done.status, 'failed');
    const items = (await store.listItems(ws, run.id, {}, { limit: 10 })).data;
    for (const item of items) {
      assert.equal(item.error?.code, 'secrets_unavailable');
      assert.equal(item.error?.retryable, false);
      assert.equal(item.attempt_count, 1);
      assert.match(item.error?.message ?? '', /sealed with another key/);
    }
  });
});
