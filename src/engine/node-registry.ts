/**
 * An executor's entry in the node registry: its heartbeat row, and the same-host check that
 * finds nodes whose process is gone. Nodes are alive while they heartbeat (engine/waiting.ts).
 */
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Clock } from '../core/ids.js';
import type { NodeRecord, Store } from '../store/port.js';
import type { Logger } from './logger.js';

/**
 * This process's PID namespace, `readlink /proc/self/ns/pid` (e.g. `pid:[4026531836]`), or
 * null where there is none to read (not Linux, no /proc).
 */
export function currentPidNamespace(): string | null {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}

/** Who this process is, as the same-host check compares it (tests inject other values). */
export interface NodeIdentity {
  hostname: string;
  pid: number;
  /** See {@link currentPidNamespace}; null: no same-host shortcut, either way. */
  pidNamespace: string | null;
}

/** This process's identity. */
export function currentIdentity(): NodeIdentity {
  return { hostname: hostname(), pid: process.pid, pidNamespace: currentPidNamespace() };
}

export class NodeRegistry {
  private readonly startedAt: number;

  constructor(
    private readonly deps: { store: Store; clock: Clock; logger: Logger },
    /** This node's id. */
    readonly nodeId: string,
    private readonly capacity: number,
    private readonly identity: NodeIdentity = currentIdentity(),
  ) {
    this.startedAt = deps.clock.now();
  }

  /** This node's row as of `now` (what {@link heartbeat} writes). */
  record(now: number): NodeRecord {
    return {
      id: this.nodeId,
      hostname: this.identity.hostname,
      pid: this.identity.pid,
      pid_namespace: this.identity.pidNamespace,
      roles: ['executor'],
      capacity: this.capacity,
      started_at: this.startedAt,
      heartbeat_at: now,
      stopped_at: null,
    };
  }

  /** Inserts or refreshes this node's row (`heartbeat_at` = now). */
  async heartbeat(): Promise<void> {
    await this.deps.store.upsertNode(this.record(this.deps.clock.now()));
  }

  /**
   * A node on this host whose process no longer exists (it was killed before it could stop)
   * holds leases nobody will renew: expire them now instead of waiting out the lease, so a
   * restart (or a surviving node) picks its orphans up within a sweep. Only trusted when the
   * other node ran in this process's PID namespace: a container that shares the host's name
   * has pids this process cannot see (`kill(pid, 0)` fails for a live process), so a node of
   * another or an unknown namespace is left to lease expiry. A pid that exists (or was
   * reused) proves nothing, and other hosts' nodes are left to lease expiry too.
   * @returns how many dead nodes were found
   */
  async expireDeadLocalNodes(): Promise<number> {
    const now = this.deps.clock.now();
    const me = this.identity;
    let dead = 0;
    for (const node of await this.deps.store.listNodes()) {
      if (node.id === this.nodeId || node.stopped_at !== null || !sameProcessSpace(node, me) || node.pid === me.pid || processExists(node.pid)) continue;
      dead += 1;
      const n = await this.deps.store.expireNodeLeases(node.id, now);
      await this.deps.store.stopNode(node.id, now);
      if (n > 0) this.deps.logger.info('expired the leases of a dead node on this host', { node_id: node.id, pid: node.pid, items: n });
    }
    return dead;
  }
}

/** Can this process see the node's pid: same host name and the same, known, PID namespace. */
export function sameProcessSpace(node: Pick<NodeRecord, 'hostname' | 'pid_namespace'>, me: NodeIdentity): boolean {
  return node.hostname === me.hostname && me.pidNamespace !== null && node.pid_namespace === me.pidNamespace;
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
