/**
 * The heartbeat thread of an executor node (a `worker_threads` Worker; see lease-keeper.ts for
 * why). It opens its own connection to the node's database and, every `heartbeat_ms`, refreshes
 * the node's row and extends the leases the main thread told it about, each fenced by its token,
 * reporting the ones found lost. It stops heartbeating (the node then looks dead, as it is) when
 * the main thread has not pinged it for longer than the longest item timeout it holds plus a
 * lease: a thread blocked that long is wedged, not busy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assertNever } from '../core/status.js';
import { openStoreAt } from '../store/open-location.js';
import type { NodeRecord, StoreLocation } from '../store/port.js';
import type { KeeperMessage, ThreadMessage } from './lease-keeper.js';

/** What the main thread hands the heartbeat thread at start. */
export interface KeeperThreadData {
  location: StoreLocation;
  node: NodeRecord;
  heartbeat_ms: number;
  lease_ms: number;
  /** Database time − local time, ms, at start (then with every ping). */
  offset_ms: number;
}

const data = workerData as KeeperThreadData;
const port = parentPort!;
const post = (m: ThreadMessage) => port.postMessage(m);
const leases = new Map<string, { token: string; timeout_ms: number }>();
let offset = data.offset_ms;
let lastPing = Date.now();
let busy = false;
let stalled = false;

const store = openStoreAt(data.location);

/** How long the main thread may go without a ping before it counts as wedged, ms. */
function stallLimit(): number {
  let longest = 0;
  for (const l of leases.values()) longest = Math.max(longest, l.timeout_ms);
  return longest + data.lease_ms;
}

async function beat(): Promise<void> {
  if (busy) return;
  if (Date.now() - lastPing > stallLimit()) {
    if (!stalled) post({ type: 'stalled', since_ms: Date.now() - lastPing });
    stalled = true;
    return;
  }
  stalled = false;
  busy = true;
  try {
    const now = Date.now() + offset;
    // The node row first, then the leases: a node that dies between the two has a row older
    // than its leases, so a sweep never mistakes it for a live one (core/lease-recovery.ts).
    await store.upsertNode({ ...data.node, heartbeat_at: now });
    const held = [...leases].map(([item_id, l]) => ({ item_id, lease_token: l.token }));
    const lost = new Set(await store.heartbeatItems(held, now, data.lease_ms));
    const gone = held.filter((l) => lost.has(l.item_id));
    for (const l of gone) if (leases.get(l.item_id)?.token === l.lease_token) leases.delete(l.item_id);
    post({ type: 'beat', at: now, extended: held.length - gone.length });
    if (gone.length > 0) post({ type: 'lost', leases: gone });
  } catch (err) {
    post({ type: 'error', message: (err as Error).message });
  } finally {
    busy = false;
  }
}

const timer = setInterval(() => void beat(), data.heartbeat_ms);

port.on('message', (m: KeeperMessage) => {
  lastPing = Date.now();
  switch (m.type) {
    case 'track':
      for (const l of m.leases) leases.set(l.item_id, { token: l.lease_token, timeout_ms: l.timeout_ms });
      return;
    case 'untrack':
      for (const l of m.leases) if (leases.get(l.item_id)?.token === l.lease_token) leases.delete(l.item_id);
      return;
    case 'ping':
      offset = m.offset_ms;
      return;
    case 'stop':
      clearInterval(timer);
      void (async () => {
        while (busy) await new Promise((r) => setTimeout(r, 5));
        await store.close().catch(() => {});
        post({ type: 'stopped' });
        port.close();
      })();
      return;
    default:
      assertNever(m);
  }
});

post({ type: 'ready' });
