/**
 * Credits seen from outside a run: balances, grants and adjustments, the ledger listing and
 * its replay, usage windows and per-run provider summaries.
 */
import { sql } from 'kysely';
import { replay, type Balance, type LedgerKind } from '../../core/credits.js';
import { NotFoundError, RunyardError } from '../../core/errors.js';
import type { Usage } from '../../core/producer.js';
import type { LedgerEntry, Page, ProviderStats, UsageReport } from '../port.js';
import { cursorAfter, fromJson, keysetPage, type SqlContext } from './context.js';
import { postEntries, readBalance } from './ledger.js';

export async function getBalance(ctx: SqlContext, ws: string): Promise<Balance> {
  return readBalance(ctx, ctx.db, ws);
}

async function workspaceExists(ctx: SqlContext, ws: string): Promise<boolean> {
  return (await ctx.db.selectFrom('workspaces').select('id').where('id', '=', ws).executeTakeFirst()) !== undefined;
}

/**
 * Posts a grant or an adjustment. A repeated idempotency key changes nothing and returns the
 * balance. A negative adjustment may not take `available` below zero.
 * @throws NotFoundError for an unknown workspace; RunyardError `insufficient_credits`
 */
export async function postCredit(
  ctx: SqlContext,
  ws: string,
  kind: Extract<LedgerKind, 'grant' | 'adjust'>,
  amount: number,
  reason: string | null,
  key: string,
  now: number,
): Promise<{ balance: Balance; created: boolean }> {
  if (!(await workspaceExists(ctx, ws))) throw new NotFoundError('workspace', ws);
  return ctx.tx(async (db) => {
    if (amount < 0) {
      const b = await readBalance(ctx, db, ws);
      if (b.available + amount < 0) {
        throw new RunyardError(
          'insufficient_credits',
          `amount_micro: an adjustment of ${amount} µ would take the available balance (${b.available} µ) below zero`,
          {
            field: 'amount_micro',
            available_micro: b.available,
          },
        );
      }
    }
    const inserted = await postEntries(ctx, db, [{ workspace_id: ws, kind, amount, run_id: null, item_id: null, idempotency_key: key, reason }], now);
    return { balance: await readBalance(ctx, db, ws), created: inserted.length === 1 };
  });
}

export async function listLedger(
  ctx: SqlContext,
  ws: string,
  f: { run_id?: string; kind?: LedgerKind[] },
  opts: { limit: number; cursor?: string },
): Promise<Page<LedgerEntry>> {
  const after = cursorAfter<number>(opts.cursor, 'number') ?? 0;
  let q = ctx.db.selectFrom('ledger_entries').selectAll().where('workspace_id', '=', ws).where('seq', '>', after);
  if (f.run_id !== undefined) q = q.where('run_id', '=', f.run_id);
  if (f.kind?.length) q = q.where('kind', 'in', f.kind);
  const rows = await q
    .orderBy('seq')
    .limit(opts.limit + 1)
    .execute();
  const entry = (r: (typeof rows)[number]): LedgerEntry => ({
    seq: Number(r.seq),
    id: r.id,
    kind: r.kind as LedgerKind,
    amount: Number(r.amount),
    run_id: r.run_id,
    item_id: r.item_id,
    idempotency_key: r.idempotency_key,
    reason: r.reason,
    created_at: Number(r.created_at),
  });
  return keysetPage(rows, opts.limit, entry, (e) => e.seq);
}

/** The balance recomputed from every ledger entry of the workspace (the truth the cache must match). */
export async function replayLedger(ctx: SqlContext, ws: string): Promise<Balance> {
  const moves: { kind: LedgerKind; amount: number }[] = [];
  for (let after = 0; ;) {
    const rows = await ctx.db
      .selectFrom('ledger_entries')
      .select(['seq', 'kind', 'amount'])
      .where('workspace_id', '=', ws)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(10_000)
      .execute();
    for (const r of rows) moves.push({ kind: r.kind as LedgerKind, amount: Number(r.amount) });
    if (rows.length < 10_000) break;
    after = Number(rows.at(-1)?.seq);
  }
  return replay(moves);
}

/**
 * Usage since `since` (ms): runs created, items finished, tokens and µ captured, by target, by
 * provider and by model (`items.usage.model`; items without one are left out of `by_model`).
 * Items are read in pages, so memory stays bounded by the number of groups.
 */
export async function usageSince(ctx: SqlContext, ws: string, since: number): Promise<UsageReport> {
  const report: UsageReport = { runs: 0, items: 0, input_tokens: 0, output_tokens: 0, credits_used: 0, by_target: {}, by_provider: {}, by_model: {} };
  const runs = await ctx.db
    .selectFrom('runs')
    .select(['target_id', (eb) => eb.fn.countAll().as('n')])
    .where('workspace_id', '=', ws)
    .where('created_at', '>=', since)
    .groupBy('target_id')
    .execute();
  for (const r of runs) {
    report.runs += Number(r.n);
    report.by_target[r.target_id] = { runs: Number(r.n), items: 0, credits_used: 0 };
  }
  for (let after = ''; ;) {
    const rows = await ctx.db
      .selectFrom('items')
      .innerJoin('runs', 'runs.id', 'items.run_id')
      .select(['items.id', 'items.provider', 'items.usage', 'items.credits_used', 'runs.target_id'])
      .where('items.workspace_id', '=', ws)
      .where('items.finished_at', '>=', since)
      .where('items.id', '>', after)
      .where(sql<boolean>`items.status IN ('succeeded', 'failed')`)
      .orderBy('items.id')
      .limit(5000)
      .execute();
    for (const r of rows) {
      const usage = fromJson<Usage>(r.usage);
      const used = Number(r.credits_used);
      report.items += 1;
      report.credits_used += used;
      report.input_tokens += usage?.input_tokens ?? 0;
      report.output_tokens += usage?.output_tokens ?? 0;
      const t = (report.by_target[r.target_id] ??= { runs: 0, items: 0, credits_used: 0 });
      t.items += 1;
      t.credits_used += used;
      const groups = [(report.by_provider[r.provider ?? 'unknown'] ??= { items: 0, input_tokens: 0, output_tokens: 0, credits_used: 0 })];
      if (typeof usage?.model === 'string' && usage.model !== '') {
        groups.push((report.by_model[usage.model] ??= { items: 0, input_tokens: 0, output_tokens: 0, credits_used: 0 }));
      }
      for (const g of groups) {
        g.items += 1;
        g.input_tokens += usage?.input_tokens ?? 0;
        g.output_tokens += usage?.output_tokens ?? 0;
        g.credits_used += used;
      }
    }
    if (rows.length < 5000) break;
    after = rows.at(-1)?.id ?? '';
  }
  return report;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}

/**
 * Per provider of one run: calls (attempts), successes, failures, p50/p95 latency of finished
 * items (ms) and µ captured. Items without a provider count under the run's producer name.
 */
export async function providerSummary(ctx: SqlContext, ws: string, runId: string, producer: string): Promise<ProviderStats[]> {
  const acc = new Map<string, { calls: number; successes: number; failures: number; durations: number[]; credits_used: number }>();
  for (let after = -1; ;) {
    const rows = await ctx.db
      .selectFrom('items')
      .select(['ordinal', 'status', 'provider', 'attempt_count', 'duration_ms', 'credits_used'])
      .where('workspace_id', '=', ws)
      .where('run_id', '=', runId)
      .where('ordinal', '>', after)
      .orderBy('ordinal')
      .limit(5000)
      .execute();
    for (const r of rows) {
      const name = r.provider ?? producer;
      const a = acc.get(name) ?? { calls: 0, successes: 0, failures: 0, durations: [], credits_used: 0 };
      acc.set(name, a);
      a.calls += Number(r.attempt_count);
      if (r.status === 'succeeded') a.successes += 1;
      if (r.status === 'failed') a.failures += 1;
      if (r.duration_ms !== null && (r.status === 'succeeded' || r.status === 'failed')) a.durations.push(Number(r.duration_ms));
      a.credits_used += Number(r.credits_used);
    }
    if (rows.length < 5000) break;
    after = Number(rows.at(-1)?.ordinal);
  }
  return [...acc.entries()]
    .map(([provider, a]) => {
      const sorted = a.durations.sort((x, y) => x - y);
      return {
        provider,
        calls: a.calls,
        successes: a.successes,
        failures: a.failures,
        p50_ms: percentile(sorted, 50),
        p95_ms: percentile(sorted, 95),
        credits_used: a.credits_used,
      };
    })
    .sort((x, y) => y.calls - x.calls || x.provider.localeCompare(y.provider));
}
