/**
 * What a sweep does with an item whose lease ran out (pure; DESIGN.md §4 "a live node never
 * fails its own work"). The engine decides from facts the database holds, not from how late a
 * timer fired (STYLE.md §15):
 *
 * - the lease's owner is **dead** (its node row is missing, stopped, or was not refreshed within
 *   the liveness window): the attempt is spent, as if it had crashed; with no attempt left the
 *   item fails `worker_crashed`;
 * - the owner is **alive** (it heartbeated its row within the window and has not stopped) but
 *   did not extend this lease — it stalled, or lost the database for a while: the attempt is
 *   given back (the same attempt number runs again) and the item's `lease_lost_count` grows.
 *   Like BullMQ's stalled count (`maxStalledCount`), those losses have their own limit: an item
 *   whose lease is lost more than {@link DEFAULT_MAX_LEASE_LOSSES} times fails
 *   `lease_lost_limit`, so a node that keeps stalling on one item cannot hold it forever.
 */

/**
 * Lease losses to a live node an item survives; the next one fails it `lease_lost_limit`.
 * Five: a live node stalls past its lease only under heavy load or a long event-loop block, and
 * five of those in a row on one item mean the item itself is the cause.
 */
export const DEFAULT_MAX_LEASE_LOSSES = 5;

/** The owner of an expired lease as the `nodes` table shows it (absent: no row). */
export interface LeaseOwner {
  /** Epoch ms of the owner's last node heartbeat. */
  heartbeat_at: number;
  /** Epoch ms when it stopped, or null while it runs. */
  stopped_at: number | null;
}

/**
 * Is the owner of a lease alive at `now`: it has not stopped and its row was refreshed within
 * the last `windowMs` (the sweeping node's lease length: a node heartbeats its row before it
 * extends its leases, so a node that died holding a lease last heartbeated at least one lease
 * length before that lease ran out).
 */
export function isOwnerAlive(owner: LeaseOwner | undefined, now: number, windowMs: number): boolean {
  return owner !== undefined && owner.stopped_at === null && now - owner.heartbeat_at < windowMs;
}

/** An expired lease's item, as the sweep reads it. */
export interface ExpiredLease {
  attempt_count: number;
  max_attempts: number;
  lease_lost_count: number;
  /** The lease owner's node id (for messages), if known. */
  owner_id: string | null;
  owner_alive: boolean;
}

/** The sweep's decision for one expired lease. */
export type LeaseRecovery =
  /**
   * Back to `pending`, ahead of the backlog. `attempt_count` and `lease_lost_count` are the
   * item's new values: the attempt is given back when the owner was alive (`spent: false`).
   */
  | { kind: 'requeue'; spent: boolean; attempt_count: number; lease_lost_count: number }
  /** `failed` with this error; the counts are the item's new values. */
  | {
      kind: 'fail';
      spent: boolean;
      attempt_count: number;
      lease_lost_count: number;
      error: { code: 'worker_crashed' | 'lease_lost_limit'; message: string; retryable: false };
    };

/**
 * Decides what becomes of an expired lease's item.
 * @param maxLeaseLosses lease losses to a live node the item survives (@default {@link DEFAULT_MAX_LEASE_LOSSES})
 */
export function decideLeaseRecovery(lease: ExpiredLease, maxLeaseLosses = DEFAULT_MAX_LEASE_LOSSES): LeaseRecovery {
  const node = lease.owner_id ?? '?';
  if (lease.owner_alive) {
    const losses = lease.lease_lost_count + 1;
    // The attempt did not end: it is given back, whatever happens to the item.
    const attempts = Math.max(0, lease.attempt_count - 1);
    if (losses > maxLeaseLosses) {
      return {
        kind: 'fail',
        spent: false,
        attempt_count: attempts,
        lease_lost_count: losses,
        error: {
          code: 'lease_lost_limit',
          message: `the lease was lost ${losses} times (more than ${maxLeaseLosses}) while its node was alive; the last owner was node ${node}`,
          retryable: false,
        },
      };
    }
    return { kind: 'requeue', spent: false, attempt_count: attempts, lease_lost_count: losses };
  }
  if (lease.attempt_count >= lease.max_attempts) {
    return {
      kind: 'fail',
      spent: true,
      attempt_count: lease.attempt_count,
      lease_lost_count: lease.lease_lost_count,
      error: {
        code: 'worker_crashed',
        message: `the lease expired on attempt ${lease.attempt_count} of ${lease.max_attempts} (node ${node} stopped heartbeating)`,
        retryable: false,
      },
    };
  }
  return { kind: 'requeue', spent: true, attempt_count: lease.attempt_count, lease_lost_count: lease.lease_lost_count };
}
