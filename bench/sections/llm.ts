/**
 * Section `llm`: what Runyard adds to one LLM call (leasing, recording the call's usage on its
 * item, the cell, events, the ledger's reserve/capture/release), against the local
 * OpenAI-compatible server (test/helpers/fake-llm.ts) on 127.0.0.1.
 *
 * - direct: `BENCH_LLM_CALLS` calls of the `llm` producer's `execute` one after another (the AI
 *   SDK streaming one completion and its usage chunk; no engine, no database), before and after
 *   the engine's run, averaged.
 * - through Runyard: an in-process engine runs an `llm` column over as many rows with
 *   concurrency 1 (so calls do not overlap), prices set and credits granted (every item reserves,
 *   captures and releases); per call = (run `finished_at` − `created_at`) ÷ calls.
 * The overhead per call is the difference, in ms. Run alone: `npm run build && node
 * dist/bench/index.js --only llm` (SQLite and PostgreSQL).
 */
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { createProducerRegistry, createLlmProducer } from '../../src/producers/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/port.js';
import { startFakeLlm, type FakeLlm } from '../../test/helpers/fake-llm.js';
import type { BenchContext } from '../lib/context.js';
import { join } from 'node:path';

const CALLS = Number(process.env.BENCH_LLM_CALLS ?? 300);
const KEY = 'sk-bench';

/** Mean ms per call of `CALLS` direct producer calls (after 20 warm-up calls). */
async function direct(fake: FakeLlm): Promise<number> {
  const llm = createLlmProducer();
  const ctx = (i: number) => ({
    inputs: { model: 'bench-model', base_url: fake.baseUrl, api_key_env: 'K', user: `Ticket ${i}: the printer jams` },
    idempotencyKey: `b${i}`,
    signal: new AbortController().signal,
    attempt: 1,
    runId: 'run_bench',
    itemId: `itm_${i}`,
    env: { K: KEY },
    timeoutMs: 30_000,
  });
  for (let i = 0; i < 20; i++) await llm.execute(ctx(i));
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) await llm.execute(ctx(i));
  return (performance.now() - t0) / CALLS;
}

/** Mean ms per call of a column run of `CALLS` rows at concurrency 1. */
async function throughEngine(store: Store, fake: FakeLlm): Promise<{ perCall: number; producerMs: number }> {
  const { SecretBox } = await import('../../src/engine/secrets.js');
  const engine: Engine = createEngine({
    store,
    producers: createProducerRegistry(),
    secrets: SecretBox.random(),
    profiles: {
      one: { name: 'one', concurrency: 1, itemTimeoutMs: 30_000, retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000, factor: 2, jitter: 0.5 } },
    },
  });
  await engine.startExecutor();
  try {
    const ws = engine.workspaceId;
    await engine.credits.grant(ws, 1_000_000_000_000, 'bench');
    await engine.prices.set(ws, { 'tokens:bench-model:input': 1000, 'tokens:bench-model:output': 4000 }, 'api');
    const run = async (rows: number) => {
      const csv = `id\n${Array.from({ length: rows }, (_, i) => `t${i}`).join('\n')}\n`;
      const table = await engine.tables.importTable(ws, `llm-${rows}-${Date.now()}`, 'csv', csv);
      await engine.tables.addColumn(ws, table.id, {
        name: 'answer',
        producer: 'llm',
        profile: 'one',
        config: {
          model: 'bench-model',
          base_url: fake.baseUrl,
          api_key_env: 'K',
          user: 'Ticket {{id}}: the printer jams',
          max_output_tokens: 64,
          max_input_tokens: 256,
        },
      });
      const { run: started } = await engine.runs.startColumnRun(ws, table.id, 'answer', { overrides: { secrets: { K: KEY } } });
      for (;;) {
        const r = await engine.runs.getRun(ws, started.id);
        if (r.finished_at !== null) {
          if (r.items_succeeded !== rows) throw new Error(`llm bench: ${r.items_succeeded}/${rows} items succeeded (${r.status})`);
          return r;
        }
        await new Promise((res) => setTimeout(res, 20));
      }
    };
    await run(20); // warm-up
    const r = await run(CALLS);
    const items = await engine.store.listItems(ws, r.id, {}, { limit: 1000 });
    const producerMs = items.data.reduce((s, i) => s + (i.duration_ms ?? 0), 0) / items.data.length;
    return { perCall: ((r.finished_at ?? 0) - r.created_at) / CALLS, producerMs };
  } finally {
    await engine.stopExecutor();
  }
}

/** Records `llm.<db>.*` measures. */
export async function llmOverhead(ctx: BenchContext, db: 'sqlite' | 'postgres'): Promise<void> {
  const fake = await startFakeLlm({ respond: (req) => ({ text: `triage of ${req.user.slice(0, 20)}: hardware`, chunks: 3 }) });
  ctx.defer(fake, (f) => f.close());
  const store: Store =
    db === 'sqlite' ? SqliteStore.open({ path: join(ctx.dir, `llm-${Date.now()}.db`) }) : await (await ctx.postgres()).freshStore({ listen: true });
  if (db === 'sqlite') await store.migrate();
  try {
    // Direct calls before and after the engine's run, averaged: both meet the same machine load.
    const before = await direct(fake);
    const { perCall, producerMs } = await throughEngine(store, fake);
    const base = (before + (await direct(fake))) / 2;
    const detail = `${CALLS} sequential calls (concurrency 1), local OpenAI-compatible server on 127.0.0.1, streamed with usage; prices set`;
    ctx.record({ id: `llm.${db}.direct_ms`, section: 'llm', label: 'one LLM call, direct (AI SDK, no engine)', db, value: base, unit: 'ms', detail });
    ctx.record({ id: `llm.${db}.runyard_ms`, section: 'llm', label: 'one LLM call through a Runyard column run', db, value: perCall, unit: 'ms', detail });
    ctx.record({
      id: `llm.${db}.overhead_ms`,
      section: 'llm',
      label: 'overhead per LLM call (lease, record, cell, events, ledger)',
      db,
      value: perCall - base,
      unit: 'ms',
      detail: `${detail}; the item's own recorded duration averaged ${producerMs.toFixed(2)} ms`,
    });
  } finally {
    await store.close();
  }
}
