/**
 * Run kinds as modules: the registry (names, the `workflow` alias, unknown kinds refused naming
 * `target.type`), the column kind's target parsing, and a kind registered at start-up that runs
 * end to end (plan, execute, rerun) on both databases with no change to shared engine or store
 * code: the seam a new kind plugs into.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RunyardError, ValidationError } from '../../src/core/errors.js';
import type { RunKindModule, TargetRef } from '../../src/core/kind.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { columnKind, createKindRegistry, flowKind } from '../../src/kinds/index.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { describeEachBackend } from '../helpers/backends.js';
import { FAST, tempDir, waitForRun, writeModule } from '../helpers/fixtures.js';

function validationField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    return err.details?.field as string | undefined;
  }
  assert.fail('expected a ValidationError');
}

describe('kind registry', () => {
  test('column and flow are built in; workflow is an alias of flow; unknown kinds name target.type', () => {
    const kinds = createKindRegistry();
    assert.deepEqual(kinds.names(), ['column', 'ingestion', 'flow', 'worker']);
    assert.equal(kinds.get('column'), columnKind);
    assert.equal(kinds.get('workflow'), flowKind);
    assert.equal(kinds.get('workflow').kind, 'flow');
    assert.equal(
      validationField(() => kinds.get('nope')),
      'target.type',
    );
    assert.equal(
      validationField(() => kinds.get('nope', 'kind')),
      'kind',
    );
  });

  test('registering a name twice is a conflict', () => {
    const kinds = createKindRegistry();
    assert.throws(
      () => kinds.register(columnKind),
      (err: unknown) => err instanceof RunyardError && err.code === 'conflict',
    );
  });

  test('the column kind names the offending target field', () => {
    const parse = (raw: TargetRef) => () => columnKind.parseTarget(raw);
    assert.equal(validationField(parse({ type: 'column', column: 'c' })), 'target.table_id');
    assert.equal(validationField(parse({ type: 'column', table_id: 'tbl_1' })), 'target.column');
    assert.equal(validationField(parse({ type: 'column', table_id: 'tbl_1', column: 7 })), 'target.column');
    assert.equal(validationField(parse({ type: 'column', table_id: 'tbl_1', column: 'c', extra: 1 })), 'target.extra');
    assert.deepEqual(columnKind.parseTarget({ type: 'column', table_id: 'tbl_1', column: 'c' }), { table_id: 'tbl_1', column: 'c' });
  });
});

/** A test kind: `{type: 'ingestion', pages: N}` plans pages 1..N, each a js call echoing its page. */
const pagesKind: RunKindModule<{ pages: number }> = {
  kind: 'ingestion',
  outcome: 'items',
  parseTarget(raw) {
    const n = raw.pages;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 50)
      throw new ValidationError('target.pages: expected 0 to 50', { field: 'target.pages' });
    return { pages: n };
  },
  async resolve(ref) {
    return {
      kind: 'ingestion',
      target_id: `src_pages_${ref.pages}`,
      target_version: 1,
      default_name: `${ref.pages} pages`,
      profile: 'small',
      producer: 'js',
      config: { module: 'page.mjs' },
      sink: null,
    };
  },
  async start(target) {
    const n = Number(target.target_id.split('_').at(-1));
    return { items: Array.from({ length: n }, (_, i) => ({ key: `page:${i + 1}`, inputs: { module: 'page.mjs', input: { page: i + 1 } } })) };
  },
  next: () => ({ append: [] }),
  replay: (_run, items) => ({ items: items.map((i) => ({ key: i.key, inputs: i.inputs })) }),
  currentTarget: (run) => ({ type: 'ingestion', pages: Number(run.target_id.split('_').at(-1)) }),
};

/**
 * A chain kind (named `chain`: `flow` is built in now): `{type: 'chain', steps: N}` starts with step 1; each succeeded step appends the
 * next one until N (a failed step ends the chain).
 */
const chainKind: RunKindModule<{ steps: number }> = {
  kind: 'chain',
  aliases: [],
  outcome: 'items',
  parseTarget(raw) {
    const n = raw.steps;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
      throw new ValidationError('target.steps: expected a positive integer', { field: 'target.steps' });
    return { steps: n };
  },
  async resolve(ref) {
    return {
      kind: 'chain',
      target_id: `chain_${ref.steps}`,
      target_version: 1,
      default_name: `chain of ${ref.steps}`,
      profile: 'small',
      producer: 'js',
      config: {},
      sink: null,
    };
  },
  async start() {
    return { items: [{ key: 'step:1', inputs: { module: 'page.mjs', input: { page: 1 } } }] };
  },
  next(run, outcome) {
    const n = Number(outcome.item.key.split(':')[1]);
    const last = Number(run.target_id.split('_').at(-1));
    if (outcome.kind !== 'succeeded' || n >= last) return { append: [] };
    return { append: [{ key: `step:${n + 1}`, inputs: { module: 'page.mjs', input: { page: n + 1 } } }] };
  },
  replay: () => ({ items: [{ key: 'step:1', inputs: { module: 'page.mjs', input: { page: 1 } } }] }),
  currentTarget: (run) => ({ type: 'chain', steps: Number(run.target_id.split('_').at(-1)) }),
};

describeEachBackend('a kind registered at start-up', (backend) => {
  let engine: Engine;
  const ws = 'wsp_default';

  before(async () => {
    const dir = tempDir();
    writeModule(dir, 'page.mjs', 'export default (input) => ({ got: input.page });');
    const kinds = createKindRegistry({ exclude: ['ingestion'] });
    kinds.register(pagesKind);
    kinds.register(chainKind);
    const { store } = await backend.open();
    engine = createEngine({ store, producers: createProducerRegistry({ baseDir: dir }), options: FAST, kinds });
    await engine.startExecutor();
  });

  after(async () => {
    await engine.stopExecutor();
    await engine.store.close();
  });

  test('runs through the engine: planned items execute, the run succeeds, a rerun plans again', { timeout: 60_000 }, async () => {
    const { run } = await engine.runs.startRun(ws, { type: 'ingestion', pages: 3 }, { trigger: { type: 'manual' } });
    assert.equal(run.kind, 'ingestion');
    assert.equal(run.name, '3 pages');
    const done = await waitForRun(engine, run.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.items_succeeded, 3);
    const items = (await engine.store.listItems(ws, run.id, {}, { limit: 10 })).data;
    assert.deepEqual(
      items.map((i) => [i.key, (i.outputs?.value as { got?: number } | undefined)?.got]),
      [
        ['page:1', 1],
        ['page:2', 2],
        ['page:3', 3],
      ],
    );
    for (const pin of ['version', 'current'] as const) {
      const again = await engine.control.rerun(ws, run.id, pin);
      assert.equal(again.run.retry_of, run.id);
      assert.equal(again.run.kind, 'ingestion');
      const rerun = await waitForRun(engine, again.run.id);
      assert.equal(rerun.status, 'succeeded', pin);
      const keys = (await engine.store.listItems(ws, rerun.id, {}, { limit: 10 })).data.map((i) => i.key);
      assert.deepEqual(keys, ['page:1', 'page:2', 'page:3'], pin);
    }
  });

  test('a kind that appends as it advances: each step plans the next in its completion; the run ends after the last', { timeout: 60_000 }, async () => {
    const { run } = await engine.runs.startRun(ws, { type: 'chain', steps: 5 });
    assert.equal(run.kind, 'chain');
    assert.equal(run.items_total, 1);
    const done = await waitForRun(engine, run.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.items_total, 5);
    assert.equal(done.items_succeeded, 5);
    const items = (await engine.store.listItems(ws, run.id, {}, { limit: 10 })).data;
    assert.deepEqual(
      items.map((i) => [i.ordinal, i.key, i.status]),
      [1, 2, 3, 4, 5].map((n) => [n - 1, `step:${n}`, 'succeeded']),
    );
    const events = await engine.store.listEvents(ws, run.id, 0, 1000);
    assert.equal(events.filter((e) => e.type === 'item.appended').length, 4);
    // The run finished once, after the last step: never between a step's end and the next.
    const ends = events.filter((e) => e.type.startsWith('run.') && e.type !== 'run.queued' && e.type !== 'run.started');
    assert.deepEqual(
      ends.map((e) => e.type),
      ['run.succeeded'],
    );
    assert.equal(ends[0]!.seq > events.filter((e) => e.type === 'item.succeeded').at(-1)!.seq, true);
  });

  test('its own fields are checked by the kind; other kinds stay refused', async () => {
    await assert.rejects(
      engine.runs.startRun(ws, { type: 'ingestion', pages: 'many' }),
      (err: unknown) => err instanceof ValidationError && err.details?.field === 'target.pages',
    );
    await assert.rejects(engine.runs.startRun(ws, { type: 'robot' }), (err: unknown) => err instanceof ValidationError && err.details?.field === 'target.type');
  });
});
