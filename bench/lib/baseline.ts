/**
 * The before/after table: the figures `npm run bench:baseline` took of an earlier commit with
 * that commit's own benchmark (bench/baseline.json, written by scripts/bench-baseline.js) next
 * to this run's figures of the same measure (matched by section, database and label).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../../test/helpers/cluster.js';
import type { Row } from './report.js';

/** bench/baseline.json. */
export interface Baseline {
  /** The commit measured (short sha). */
  rev: string;
  /** ISO time the baseline run started. */
  taken_at: string;
  /** 1-minute load average before it started. */
  load_before: number;
  sections: string[];
  /** BENCH_* variables it ran with. */
  sizes: Record<string, string>;
  rows: { section: string; db: string; label: string; value: string }[];
}

/** One line of the before/after table; `ratio` is now ÷ before of the headline number (p50 for percentiles). */
export interface Comparison {
  section: string;
  db: string;
  label: string;
  before: string;
  now: string;
  ratio: number;
}

/** The baseline in bench/baseline.json, or undefined when there is none (or it cannot be read). */
export function readBaseline(path = join(root, 'bench/baseline.json')): Baseline | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const b = JSON.parse(readFileSync(path, 'utf8')) as Baseline;
    return Array.isArray(b.rows) ? b : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Results table of a docs/benchmarks.md as rows (how scripts/bench-baseline.js reads an
 * earlier commit's figures).
 * @returns `[{section, db, label, value}]`, `value` as printed (`8,336 items/s`, `p50 4.76 · p99 11.06 ms`)
 */
export function resultRows(markdown: string): Baseline['rows'] {
  const out: Baseline['rows'] = [];
  let inResults = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('## ')) inResults = line.trim() === '## Results';
    if (!inResults || !line.startsWith('| ') || line.startsWith('| section') || line.startsWith('| ---')) continue;
    const cells = line
      .slice(2, -2)
      .split(/(?<!\\) \| /)
      .map((c) => c.replaceAll('\\|', '|').trim());
    if (cells.length >= 4) out.push({ section: cells[0]!, db: cells[1]!, label: cells[2]!, value: cells[3]! });
  }
  return out;
}

/** The headline number of a printed value: `8,336 items/s` → 8336, `p50 4.76 · p99 11 ms` → 4.76. */
export function headline(value: string): number {
  const m = /^(?:p\d\d )?(-?[\d,]+(?:\.\d+)?)/.exec(value.trim());
  return m ? Number(m[1]!.replaceAll(',', '')) : NaN;
}

/** This run's rows that the baseline also measured, with both values and now ÷ before. */
export function compare(baseline: Baseline, now: readonly Row[]): Comparison[] {
  const before = new Map(baseline.rows.map((r) => [`${r.section}\n${r.db}\n${r.label}`, r.value]));
  const out: Comparison[] = [];
  for (const r of now) {
    const b = before.get(`${r.section}\n${r.db}\n${r.label}`);
    if (b === undefined) continue;
    out.push({ section: r.section, db: r.db, label: r.label, before: b, now: r.value, ratio: headline(r.value) / headline(b) });
  }
  return out;
}
