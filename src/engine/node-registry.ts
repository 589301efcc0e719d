/**
 * An executor's entry in the node registry: its heartbeat row, and the same-host check that
 * finds nodes whose process is gone. Nodes are alive while they heartbeat (engine/waiting.ts).
 */
import { hostname } from 'node:os';
import type { Clock } from '../core/ids.js';
import type { Store } from '../store/port.js';
import type { Logger } from './logger.js';

export class NodeRegistry {
  private readonly startedAt: number;

  constructor(
    private readonly deps: { store: Store; clock: Clock; logger: Logger },
    /** This node's id. */
    readonly nodeId: string,
    private readonly capacity: number,
  ) {
    this.startedAt = deps.clock.now();
  }

  /** Inserts or refreshes this node's row (`heartbeat_at` = now). */
  async heartbeat(): Promise<void> {
    await this.deps.store.upsertNode({
      id: this.nodeId,
      hostname: hostname(),
      pid: process.pid,
      roles: ['executor'],
      capacity: this.capacity,
      started_at: this.startedAt,
      heartbeat_at: this.deps.clock.now(),
      stopped_at: null,
    });
  }

  /**
   * A node on this host whose process no longer exists (it was killed before it could stop)
   * holds leases nobody will renew: expire them now instead of waiting out the lease, so a
   * restart (or a surviving node) picks its orphans up within a sweep. A pid that exists (or
   * was reused) proves nothing, and other hosts' nodes are left to lease expiry.
   * @returns how many dead nodes were found
   */
  async expireDeadLocalNodes(): Promise<number> {
    const now = this.deps.clock.now();
    const host = hostname();
    let dead = 0;
    for (const node of await this.deps.store.listNodes()) {
      if (node.id === this.nodeId || node.stopped_at !== null || node.hostname !== host || node.pid === process.pid || processExists(node.pid)) continue;
      dead += 1;
      const n = await this.deps.store.expireNodeLeases(node.id, now);
      await this.deps.store.stopNode(node.id, now);
      if (n > 0) this.deps.logger.info('expired the leases of a dead node on this host', { node_id: node.id, pid: node.pid, items: n });
    }
    return dead;
  }
}

/** Does a process with this pid exist on this host? (`EPERM`: it exists but is not ours.) */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
