/**
 * Leasing items: the one writer of an item's move to `running` under a lease, used by claims
 * and by start-on-create. A lease carries a token that fences every later write for the item;
 * each lease counts one more attempt and records `item.started`.
 */
import { transitionItem } from '../../core/status.js';
import type { RunRecord } from '../../core/model.js';
import type { ClaimedItem } from '../port.js';
import { CLAIMABLE } from './statuses.js';
import type { Db, SqlContext } from './context.js';
import type { LeaseSet } from './hot-path.js';
import type { NewEvent } from './events.js';
import { toItem } from './mapping.js';
import type { Settlement } from './settle.js';

/** The columns a lease sets on an item (besides `attempt_count + 1`). */
export function leaseColumns(l: LeaseSet) {
  return {
    status: 'running' as const,
    lease_token: l.token,
    lease_owner: l.owner,
    lease_expires_at: l.expires,
    started_at: l.now,
    next_attempt_at: null,
  };
}

/** The `item.started` event of a lease. */
export function startedEvent(item: { id: string; run_id: string; workspace_id: string }, attempt: number, owner: string): NewEvent {
  return { workspace_id: item.workspace_id, run_id: item.run_id, item_id: item.id, type: 'item.started', data: { attempt, node_id: owner } };
}

/**
 * Leases the listed items of `run` that are still claimable (`prior`: id → its status as read),
 * adding each item's transition and `item.started` event to `s` (written by the caller).
 * @returns the claims, in the order the items were leased
 */
export async function leaseItems(
  ctx: SqlContext,
  db: Db,
  run: RunRecord,
  prior: Map<string, 'pending' | 'retrying'>,
  lease: LeaseSet,
  s: Pick<Settlement, 'deltas' | 'events'>,
): Promise<ClaimedItem[]> {
  const ids = [...prior.keys()];
  const updated = ctx.hot
    ? await ctx.hot.leaseItems(db, ids, lease)
    : await db
        .updateTable('items')
        .set((eb) => ({ ...leaseColumns(lease), attempt_count: eb('attempt_count', '+', 1) }))
        .where('id', 'in', ids)
        .where(CLAIMABLE)
        .returningAll()
        .execute();
  const claimed: ClaimedItem[] = [];
  for (const row of updated) {
    const item = toItem(row);
    const from = prior.get(item.id) ?? 'pending';
    transitionItem(item.id, from, 'running');
    s.deltas.add(run.id, from, 'running');
    s.events.push(startedEvent(item, item.attempt_count, lease.owner));
    claimed.push({ item, run, lease_token: lease.token, lease_expires_at: lease.expires });
  }
  return claimed;
}
