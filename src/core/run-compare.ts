/**
 * Comparing two runs (issue 14), of any kind: pure functions over what the engine loaded. For
 * worker runs: definition version, model, instructions (a line diff), context per source
 * (present or missing, size, hash), tool calls aligned by order and name, output and error. For
 * runs with row items (column runs): counts, error codes and the items whose outcome differs.
 */
import type { ItemRecord, RunRecord } from './model.js';

/** One line of a text diff: kept (` `), only in a (`-`), only in b (`+`). */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

/** A line diff of two texts (longest common subsequence; at most 2,000 lines a side). */
export function lineDiff(a: string, b: string): DiffLine[] {
  const x = a.split('\n').slice(0, 2000);
  const y = b.split('\n').slice(0, 2000);
  const n = x.length;
  const m = y.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      out.push({ op: ' ', text: x[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ op: '-', text: x[i++]! });
    else out.push({ op: '+', text: y[j++]! });
  }
  while (i < n) out.push({ op: '-', text: x[i++]! });
  while (j < m) out.push({ op: '+', text: y[j++]! });
  return out;
}

/** A side of a comparison: what one run was and did. */
export interface RunSide {
  id: string;
  kind: string;
  target_id: string;
  target_version: number;
  status: string;
  duration_ms: number | null;
  tokens: { input: number; output: number };
  credits_used: number;
  error: RunRecord['error'];
}

/** One run's side. */
export function sideOf(run: RunRecord, items: readonly ItemRecord[]): RunSide {
  const tokens = { input: 0, output: 0 };
  for (const it of items) {
    tokens.input += it.usage?.input_tokens ?? 0;
    tokens.output += it.usage?.output_tokens ?? 0;
  }
  return {
    id: run.id,
    kind: run.kind,
    target_id: run.target_id,
    target_version: run.target_version,
    status: run.status,
    duration_ms: run.started_at !== null && run.finished_at !== null ? run.finished_at - run.started_at : null,
    tokens,
    credits_used: run.credits_used,
    error: run.error,
  };
}

/** A pair of values, and whether they are the same. */
export interface Pair<T> {
  a: T;
  b: T;
  same: boolean;
}

export function pair<T>(a: T, b: T): Pair<T> {
  return { a, b, same: JSON.stringify(a) === JSON.stringify(b) };
}

/** Items of row runs compared: counts, error codes, and the keys whose outcome differs (at most 200). */
export function compareItems(a: readonly ItemRecord[], b: readonly ItemRecord[]) {
  const counts = (items: readonly ItemRecord[]) => {
    const c: Record<string, number> = {};
    for (const it of items) c[it.status] = (c[it.status] ?? 0) + 1;
    return c;
  };
  const codes = (items: readonly ItemRecord[]) => {
    const c: Record<string, number> = {};
    for (const it of items) if (it.error) c[it.error.code] = (c[it.error.code] ?? 0) + 1;
    return c;
  };
  const outcome = (it: ItemRecord | undefined) => (it ? { status: it.status, error_code: it.error?.code ?? null } : null);
  const byKey = new Map(b.map((it) => [it.key, it]));
  const keys = [...new Set([...a.map((it) => it.key), ...b.map((it) => it.key)])];
  const aByKey = new Map(a.map((it) => [it.key, it]));
  const differing = keys
    .map((key) => ({ key, a: outcome(aByKey.get(key)), b: outcome(byKey.get(key)) }))
    .filter((d) => JSON.stringify(d.a) !== JSON.stringify(d.b))
    .slice(0, 200);
  return { counts: pair(counts(a), counts(b)), error_codes: pair(codes(a), codes(b)), differing };
}
