/**
 * Benchmark results and their targets, in one place so the printed table and
 * docs/benchmarks.md agree. A section records {@link Measure}s; {@link TARGETS} (from issue 7)
 * says which must hold; {@link judge} turns the two into a pass / gap verdict per row.
 */

/** One figure of a section. `id` is stable (targets refer to it); `value` is in `unit`. */
export interface Measure {
  /** e.g. `throughput.sqlite.items_per_s`. */
  id: string;
  section: string;
  /** What was measured, for people: `items/s, no-op js column, 1 executor`. */
  label: string;
  /** `sqlite`, `postgres` or `—` (neither, e.g. graphile-worker on PostgreSQL says `postgres`). */
  db: string;
  value: number;
  unit: string;
  /** Sizes, how it was taken, … */
  detail?: string;
}

/** A target: `value` must be `>=` (op `min`) or `<=` (op `max`) `bound`. */
export interface Target {
  id: string;
  op: 'min' | 'max';
  bound: number;
  /** The wording of the target. */
  text: string;
}

/**
 * The targets of issue 7 on this 2-core machine, raised or set by issue 11 where it names them. Ratio ids are derived measures computed by
 * the orchestrator (`ratio.*`). History targets apply to every `history.*.p99` figure, so they
 * are matched by prefix in {@link targetFor}.
 */
export const TARGETS: readonly Target[] = [
  // Issue 11 (the engine core): ≥ 40,000 on the way to issue 7's 75,000.
  { id: 'throughput.sqlite.items_per_s', op: 'min', bound: 40_000, text: 'SQLite ≥ 40,000 items/s (issue 11; the goal stays 75,000)' },
  { id: 'ratio.pg1_vs_graphile1', op: 'min', bound: 1.0, text: 'PG, 1 process: Runyard ≥ 1.0 × graphile-worker' },
  { id: 'ratio.pg2_vs_graphile2', op: 'min', bound: 1.0, text: 'PG, 2 processes: Runyard ≥ 1.0 × graphile-worker' },
  { id: 'ratio.pg2_vs_pg1', op: 'min', bound: 1.3, text: 'PG: 2 executor processes ≥ 1.3 × 1 (issue 11)' },
  { id: 'latency.sqlite.p50', op: 'max', bound: 2, text: 'SQLite create → first item p50 ≤ 2 ms (issue 11)' },
  { id: 'latency.sqlite.p99', op: 'max', bound: 3, text: 'SQLite create → first item p99 ≤ 3 ms' },
  { id: 'latency.postgres.p50', op: 'max', bound: 3, text: 'PG create → first item p50 ≤ 3 ms (issue 11)' },
  { id: 'latency.postgres.p99', op: 'max', bound: 5, text: 'PG create → first item p99 ≤ 5 ms' },
  { id: 'history.*.p99', op: 'max', bound: 50, text: 'history query p99 ≤ 50 ms' },
  { id: 'export.*.peak_rss', op: 'max', bound: 300, text: 'export peak RSS < 300 MB' },
  { id: 'throughput.*.peak_rss', op: 'max', bound: 500, text: 'engine peak RSS < 500 MB' },
];

/** The target a measure id falls under (`*` matches one or more dot-separated parts). */
export function targetFor(id: string): Target | undefined {
  return TARGETS.find((t) => {
    if (!t.id.includes('*')) return t.id === id;
    const [head, tail] = t.id.split('*') as [string, string];
    return id.startsWith(head) && id.endsWith(tail) && id.length > head.length + tail.length;
  });
}

/** `pass`, `gap: …` (how far off, as a ratio), or `` (no target). */
export function judge(m: Measure): { target: string; verdict: string } {
  const t = targetFor(m.id);
  if (!t) return { target: '', verdict: '' };
  const sign = t.op === 'min' ? '≥' : '≤';
  const target = `${sign} ${fmt(t.bound)}`;
  if (!Number.isFinite(m.value)) return { target, verdict: 'gap: not measured' };
  const ok = t.op === 'min' ? m.value >= t.bound : m.value <= t.bound;
  if (ok) return { target, verdict: 'pass' };
  // How far off, in the direction people read: a rate as a fraction of its target, a time or a
  // size as a multiple of its bound.
  if (t.op === 'min') return { target, verdict: `gap: ${(m.value / t.bound).toFixed(2)}× the target` };
  return { target, verdict: `gap: ${(m.value / t.bound).toFixed(1)}× the bound` };
}

/** Numbers as people read them: thousands separators, ≤ 2 decimals below 100. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return String(Math.round(n * 100) / 100);
}

/** p-th percentile (0–100) of samples by nearest rank; NaN for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
