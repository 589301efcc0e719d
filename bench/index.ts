/**
 * `npm run bench`: every benchmark of issue 7 in one run, one table printed, and
 * docs/benchmarks.md written (machine, versions, command, results with targets and verdicts).
 *
 *   npm run bench                                   # everything, full sizes (~10 min)
 *   npm run bench -- --only latency                 # one section (docs not written)
 *   npm run bench -- --only throughput,comparator --write
 *   npm run bench -- --skip history,export
 *   BENCH_ROWS=20000 BENCH_HISTORY_RUNS=100000 npm run bench
 *   npm run bench:baseline                          # an earlier commit's figures → bench/baseline.json
 *
 * With bench/baseline.json present, a before/after table follows the results (bench/lib/baseline.ts).
 *
 * Sections: throughput (SQLite and PostgreSQL, with the engine's peak RSS), durable (SQLite
 * throughput with a kill -9 of the node halfway and a restart), comparator
 * (graphile-worker), latency, history, export, import, llm (overhead per LLM call, bench/sections/llm.ts). Sizes come from the environment (see
 * bench/lib/context.ts). Every child process is stopped and the scratch directory removed at
 * the end, also after a failure or Ctrl-C. A failing section is reported and the others run.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { root } from '../test/helpers/cluster.js';
import { BenchContext, configFromEnv } from './lib/context.js';
import type { HistoryDb } from './lib/history-db.js';
import { readBaseline } from './lib/baseline.js';
import { beforeAfter, environment, markdown, printTable } from './lib/report.js';
import type { Measure } from './lib/results.js';
import { comparatorLatency, comparatorThroughput } from './sections/comparator.js';
import { durableSqlite } from './sections/durable.js';
import { exportSection } from './sections/export.js';
import { importSection } from './sections/import.js';
import { ingestionSection } from './sections/ingestion.js';
import { llmOverhead } from './sections/llm.js';
import { historyPostgres, historySqlite } from './sections/history.js';
import { latencyPostgres, latencySqlite } from './sections/latency.js';
import { throughputPostgres, throughputSqlite } from './sections/throughput.js';
import { sqliteHistory } from './lib/history-db.js';

const SECTIONS = ['throughput', 'durable', 'comparator', 'latency', 'history', 'export', 'import', 'ingestion', 'llm'] as const;
type Section = (typeof SECTIONS)[number];

function parseSections(raw: string | undefined, flag: string): Section[] | undefined {
  if (raw === undefined) return undefined;
  const list = raw.split(',').map((s) => s.trim());
  for (const s of list)
    if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`${flag}: unknown section ${JSON.stringify(s)} (one of ${SECTIONS.join(', ')})`);
  return list as Section[];
}

/** Runyard ÷ graphile-worker with the same process count, and 2 executors ÷ 1. */
function ratios(ctx: BenchContext): void {
  const get = (id: string) => ctx.measures.find((m) => m.id === id)?.value;
  const add = (id: string, label: string, a: number | undefined, b: number | undefined, detail: string) => {
    if (a !== undefined && b !== undefined) ctx.record({ id, section: 'comparator', label, db: 'postgres', value: a / b, unit: '×', detail });
  };
  for (const n of ctx.config.processes)
    add(
      `ratio.pg${n}_vs_graphile${n}`,
      `Runyard items/s ÷ graphile-worker jobs/s, ${n} process${n > 1 ? 'es' : ''}`,
      get(`throughput.postgres.p${n}.items_per_s`),
      get(`comparator.graphile.p${n}.jobs_per_s`),
      'same server, same run',
    );
  add(
    'ratio.pg2_vs_pg1',
    'Runyard PostgreSQL items/s, 2 executors ÷ 1',
    get('throughput.postgres.p2.items_per_s'),
    get('throughput.postgres.p1.items_per_s'),
    'same run',
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, skip: { type: 'string' }, write: { type: 'boolean' }, 'no-write': { type: 'boolean' } },
  });
  const only = parseSections(values.only, '--only');
  const skip = parseSections(values.skip, '--skip') ?? [];
  const chosen = SECTIONS.filter((s) => (only ? only.includes(s) : true) && !skip.includes(s));
  const partial = chosen.length < SECTIONS.length;
  const write = values['no-write'] ? false : (values.write ?? !partial);

  const started = new Date();
  const t0 = performance.now();
  const load0 = loadavg()[0]!.toFixed(2);
  const ctx = new BenchContext(configFromEnv());
  const stop = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping every child process`);
    setTimeout(() => process.exit(130), 20_000).unref();
    void ctx.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  console.error(`sections: ${chosen.join(', ')}; sizes: ${JSON.stringify(ctx.config)}`);
  let history: HistoryDb | undefined;
  const steps: [Section, string, () => Promise<unknown>][] = [
    ['throughput', 'throughput (SQLite)', () => throughputSqlite(ctx)],
    ['durable', 'durable throughput (SQLite, kill -9 halfway)', () => durableSqlite(ctx)],
    // Runyard and graphile-worker alternate per process count, so each pair meets the same load.
    ...ctx.config.processes.flatMap((n): [Section, string, () => Promise<unknown>][] => [
      ['throughput', `throughput (PostgreSQL, ${n} executor process${n > 1 ? 'es' : ''})`, () => throughputPostgres(ctx, n)],
      ['comparator', `comparator (graphile-worker, ${n} process${n > 1 ? 'es' : ''})`, () => comparatorThroughput(ctx, n)],
    ]),
    ['comparator', 'comparator (graphile-worker latency)', () => comparatorLatency(ctx)],
    ['latency', 'latency (SQLite)', () => latencySqlite(ctx)],
    ['latency', 'latency (PostgreSQL)', () => latencyPostgres(ctx)],
    ['history', 'history (SQLite)', async () => (history = await historySqlite(ctx))],
    ['history', 'history (PostgreSQL)', () => historyPostgres(ctx)],
    ['export', 'export', async () => exportSection(ctx, history ?? (await sqliteHistory(ctx, ctx.config.historyRuns, ctx.config.bigRunItems)))],
    ['import', 'import (SQLite)', () => importSection(ctx)],
    ['ingestion', 'ingestion (SQLite and PostgreSQL)', () => ingestionSection(ctx)],
    ['llm', 'llm call overhead (SQLite)', () => llmOverhead(ctx, 'sqlite')],
    ['llm', 'llm call overhead (PostgreSQL)', () => llmOverhead(ctx, 'postgres')],
  ];
  try {
    for (const [section, label, run] of steps) {
      if (ctx.stopping) break;
      if (!chosen.includes(section)) continue;
      const t = performance.now();
      console.error(`\n▶ ${label}`);
      try {
        await run();
        console.error(`  done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      } catch (err) {
        console.error(`  ${label} failed:`, err);
        ctx.notes.push(`${label} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      }
    }
    ratios(ctx);
  } finally {
    await ctx.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const load1 = loadavg()[0]!.toFixed(2);
  ctx.notes.push(`1-minute load average ${load0} before the benchmark started, ${load1} at its end (which counts its own processes).`);
  const cores = cpus().length;
  // Before the first child starts, the load is other work's.
  const headline =
    Number(load0) > cores / 2
      ? `This run shared the machine with other work (1-minute load average ${load0} before it started, on ${cores} cores): every figure is lower or slower than on a quiet machine, and the ratios within the run are the figures to read.`
      : undefined;
  const order = (m: Measure) => ['throughput', 'comparator', 'latency', 'history', 'memory'].indexOf(m.section);
  const measures = [...ctx.measures].sort((a, b) => order(a) - order(b));
  console.log(printTable(measures));
  const baseline = readBaseline();
  if (baseline) console.log(beforeAfter(baseline, measures).join('\n'));
  console.log(`${Math.round(seconds)} s in total`);
  if (headline) console.log(headline);
  for (const n of ctx.notes) console.log(`note: ${n}`);
  if (write) {
    const args = process.argv.slice(2);
    const env = Object.entries(process.env)
      .filter(([k]) => k.startsWith('BENCH_'))
      .map(([k, v]) => `${k}=${v ?? ''} `)
      .join('');
    const command = `${env}npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
    const md = markdown({ env: environment(ctx.versions), config: ctx.config, measures, notes: ctx.notes, command, seconds, started, headline, baseline });
    writeFileSync(join(root, 'docs/benchmarks.md'), md);
    console.log('wrote docs/benchmarks.md');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
