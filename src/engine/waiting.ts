/**
 * Gathers the facts behind waiting reasons (live nodes, their free slots, each run's earliest
 * due item) and applies the pure rule in core/waiting.ts. One nodes query and one in-flight
 * query per call, then one index seek per non-terminal run.
 */
import type { Clock } from '../core/ids.js';
import type { RunRecord } from '../core/model.js';
import { isTerminalRun } from '../core/status.js';
import { startReservation } from '../core/credits.js';
import { waitingReason, type WaitingReason } from '../core/waiting.js';
import type { NodeRecord, Store } from '../store/port.js';

/** A node is alive when it heartbeated within this many heartbeat intervals. */
const ALIVE_HEARTBEATS = 3;

/** Is a node alive at `now`: not stopped, and heartbeated within three heartbeat intervals? */
export function isNodeAlive(node: NodeRecord, now: number, heartbeatMs: number): boolean {
  return node.stopped_at === null && node.heartbeat_at >= now - ALIVE_HEARTBEATS * heartbeatMs;
}

export class WaitingService {
  constructor(private readonly deps: { store: Store; clock: Clock; heartbeatMs: number }) {}

  /** Waiting reasons of the given runs by id (null for progressing or terminal runs). */
  async explain(ws: string, runs: RunRecord[]): Promise<Map<string, WaitingReason | null>> {
    const out = new Map<string, WaitingReason | null>();
    const open = runs.filter((r) => !isTerminalRun(r.status));
    for (const r of runs) out.set(r.id, null);
    if (open.length === 0) return out;
    const now = this.deps.clock.now();
    const [balance, nodes, inFlight, due] = await Promise.all([
      this.deps.store.getBalance(ws),
      this.deps.store.listNodes(),
      this.deps.store.inFlightByNode(),
      this.deps.store.earliestDue(
        ws,
        open.map((r) => r.id),
      ),
    ]);
    const alive = nodes.filter((n) => isNodeAlive(n, now, this.deps.heartbeatMs));
    const freeSlots = alive.reduce((sum, n) => sum + Math.max(0, n.capacity - (inFlight.get(n.id) ?? 0)), 0);
    for (const r of open) {
      const waitingItem = r.status === 'waiting_for_input' ? await this.firstWaiting(ws, r.id) : null;
      const facts = {
        waitingItem,
        nodesAlive: alive.length,
        freeSlots,
        earliestDueAt: due.get(r.id) ?? null,
        availableCredits: balance.available,
        requiredCredits: startReservation(r),
      };
      out.set(r.id, waitingReason(r, facts, now));
    }
    return out;
  }

  /** The run's first waiting item and its prompt (one indexed page read). */
  private async firstWaiting(ws: string, runId: string): Promise<{ id: string; key: string; prompt: string } | null> {
    const page = await this.deps.store.listItems(ws, runId, { status: ['waiting_for_input'] }, { limit: 1 });
    const item = page.data[0];
    return item ? { id: item.id, key: item.key, prompt: item.waiting?.prompt ?? '' } : null;
  }
}
