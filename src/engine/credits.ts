/**
 * Credits in the engine: grants and adjustments (a grant wakes executors, so runs waiting for
 * credits start), and the read side (balance, ledger, usage windows, provider summaries).
 */
import { checkAmount, type Balance } from '../core/credits.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { Clock, IdSource } from '../core/ids.js';
import type { ProviderStats, Store, UsageReport } from '../store/port.js';
import type { Notifier } from './notifier.js';

/** Usage windows and their length, ms. */
export const USAGE_WINDOWS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type UsageWindow = keyof typeof USAGE_WINDOWS;

export class CreditsService {
  constructor(private readonly deps: { store: Store; clock: Clock; ids: IdSource; notifier: Notifier }) {}

  /**
   * Grants credits to a workspace; with the same idempotency key, a repeat grants nothing.
   * @param amount µ, a positive integer up to 10^15
   * @throws ValidationError naming `amount_micro`; NotFoundError for an unknown workspace
   */
  async grant(ws: string, amount: number, reason: string | null, idempotencyKey?: string): Promise<{ balance: Balance; created: boolean }> {
    checkAmount(amount, 'amount_micro');
    const key = idempotencyKey ?? `grant:${this.deps.ids.next('led')}`;
    const res = await this.deps.store.postCredit(ws, 'grant', amount, reason, key, this.deps.clock.now());
    if (res.created) this.deps.notifier.workAvailable();
    return res;
  }

  /**
   * Adjusts a balance by ±amount with a required reason.
   * @throws ValidationError naming `amount_micro` or `reason`; RunyardError `insufficient_credits`
   */
  async adjust(ws: string, amount: number, reason: string, idempotencyKey?: string): Promise<{ balance: Balance; created: boolean }> {
    checkAmount(amount, 'amount_micro', { allowNegative: true });
    if (reason.trim() === '') throw new ValidationError('reason: an adjustment needs a reason', { field: 'reason' });
    const key = idempotencyKey ?? `adjust:${this.deps.ids.next('led')}`;
    const res = await this.deps.store.postCredit(ws, 'adjust', amount, reason, key, this.deps.clock.now());
    if (res.created && amount > 0) this.deps.notifier.workAvailable();
    return res;
  }

  /** Usage in a rolling window ending now. */
  async usage(ws: string, window: UsageWindow): Promise<UsageReport & { window: UsageWindow; since: number }> {
    const since = this.deps.clock.now() - USAGE_WINDOWS[window];
    return { window, since, ...(await this.deps.store.usageSince(ws, since)) };
  }

  /** @throws NotFoundError */
  async providerSummary(ws: string, runId: string): Promise<ProviderStats[]> {
    const run = await this.deps.store.getRun(ws, runId);
    if (!run) throw new NotFoundError('run', runId);
    return this.deps.store.providerSummary(ws, runId, run.spec.producer);
  }
}
