/**
 * The executor node: claims runs and items with leases, runs producers with the run's
 * concurrency, heartbeats its leases, recovers expired ones, and records outcomes in batches
 * (one transaction carries many items, each fenced by its own lease token).
 */
import { fillPlaceholders } from '../core/credential-refs.js';
import { decideRetry } from '../core/retry.js';
import { costShapeOf, itemCostBound, usageCost, type PriceTable } from '../core/credits.js';
import { toItemError, type ItemError } from '../core/errors.js';
import type { Clock, IdSource, RandomSource } from '../core/ids.js';
import { isWait, type Producer } from '../core/producer.js';
import type { ClaimedItem, CompleteResult, Completion, StartOnCreate, Store } from '../store/port.js';
import type { Logger } from './logger.js';
import { LeaseKeeper } from './lease-keeper.js';
import { NodeRegistry } from './node-registry.js';
import type { Notifier } from './notifier.js';
import type { EngineOptions } from './options.js';
import { redactCompletion, RunEnvironments, type RunEnv } from './run-env.js';
import type { PriceLookup } from './prices.js';
import { StartQueue } from './start-queue.js';
import type { SecretBox } from './secrets.js';
import type { KindRegistry } from '../kinds/index.js';

/** Looks producers up by name. */
export interface ProducerLookup {
  get(name: string): Producer;
}

/** Dependencies of an executor node. */
export interface ExecutorDeps {
  store: Store;
  clock: Clock;
  ids: IdSource;
  random: RandomSource;
  producers: ProducerLookup;
  notifier: Notifier;
  logger: Logger;
  options: EngineOptions;
  /**
   * Each run's prices (its `price_version`, engine/prices.ts): a succeeded attempt's usage is
   * priced here, capped at the item's bound.
   */
  prices: PriceLookup;
  /** Opens per-run secrets; without it, runs that have secrets fail their items. */
  secrets?: SecretBox | undefined;
  /** The run kinds: each outcome's follow-up items are planned by its run's kind. */
  kinds?: KindRegistry | undefined;
}

interface InFlight {
  claim: ClaimedItem;
  controller: AbortController;
  /** Why the attempt is being aborted, if it is. */
  abortReason?: 'lease_lost' | 'shutdown' | 'timeout' | 'canceled';
  /** Released at shutdown without waiting for the producer: its late outcome is dropped. */
  forsaken?: boolean;
}

/** How long a stop waits for aborted producers to return before releasing their items anyway. */
const ABORT_SETTLE_MS = 1000;
/** Delay before a failed completion write is tried again (the store backs off on its own). */
const FLUSH_RETRY_MS = 250;
/** The same error of the same loop is logged at most this often. */
const REPEAT_LOG_MS = 5000;
/** A starved node repeats its demand signal at most this often while it stays starved, ms. */
const DEMAND_EVERY_MS = 100;

/** One executor process's worth of work loops. Start with {@link start}, stop with {@link stop}. */
export class Executor {
  readonly nodeId: string;
  private readonly inFlight = new Map<string, InFlight>();
  /**
   * Leases this node holds, item id → token: from the claim until the attempt's outcome is
   * written (or the lease is found lost). Heartbeats extend them and the sweep never recovers
   * them (`Store.recoverExpiredLeases`), also while an outcome waits in the buffer.
   */
  private readonly held = new Map<string, string>();
  /** The heartbeat thread (lease-keeper.ts); undefined: heartbeats run on this thread. */
  private keeper: LeaseKeeper | undefined;
  private buffer: { completion: Completion; runId: string }[] = [];
  private flushing: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private flushRetryTimer: NodeJS.Timeout | undefined;
  private flushImmediate: NodeJS.Immediate | undefined;
  private wakeTimer: NodeJS.Immediate | undefined;
  private stopping: Promise<void> | undefined;
  private graceDeadline = Infinity;
  private readonly lastErrors = new Map<string, { error: string; at: number; repeats: number }>();
  /** Slots promised to runs being created in this process (`reserveForCreate`). */
  private reservedSlots = 0;
  /** Slots asked for by claims under way (the claim loop's and a write's): not free meanwhile. */
  private claimingSlots = 0;
  /**
   * The `now` (ms) of each claim under way (the claim loop's, a write's, a run creation's). The
   * leases such a claim takes are this node's before {@link hold} knows them; a claim slower
   * than a lease commits them already expired, and this node's own sweep must not take them
   * back in between (`LeaseSweep.claiming_since`).
   */
  private readonly claimsUnderWay: number[] = [];
  /** The claim loop is running (one at a time). */
  private claiming = false;
  private rerun = false;
  private running = false;
  private unsubscribe: (() => void)[] = [];
  /**
   * Runs other nodes found at their concurrency while they had free slots: run id → node id →
   * when it said so (`Store.subscribeClaimDemand`). This node keeps to a fair share of them.
   */
  private readonly demand = new Map<string, Map<string, number>>();
  /** When this node last signalled its own demand, and for which runs. */
  private lastDemand = { at: 0, runs: '' };
  private readonly registry: NodeRegistry;
  private readonly runEnvs: RunEnvironments;
  /** Claimed attempts waiting for their producer to start (start-queue.ts). */
  private readonly starts = new StartQueue<InFlight>(
    (flight) => this.startFlight(flight),
    () => this.flushFirst(),
  );

  constructor(private readonly deps: ExecutorDeps) {
    this.nodeId = deps.ids.next('nod');
    this.registry = new NodeRegistry(deps, this.nodeId, deps.options.capacity);
    this.runEnvs = new RunEnvironments({ store: deps.store, secrets: deps.secrets });
  }

  /** Items this node is executing now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Registers the node and starts the claim, heartbeat and recovery loops. */
  async start(): Promise<void> {
    const { options } = this.deps;
    this.running = true;
    await this.registry.heartbeat();
    this.startKeeper();
    await this.guard('dead-node check', async () => {
      await this.registry.expireDeadLocalNodes();
    });
    this.unsubscribe = [this.deps.notifier.onWork(() => this.wake()), this.deps.notifier.onCancel((runId) => this.abortRun(runId))];
    const offDemand = this.deps.store.subscribeClaimDemand?.((d) => this.recordDemand(d.node_id, d.run_ids));
    if (offDemand) this.unsubscribe.push(offDemand);
    this.heartbeatTimer = setInterval(() => void this.guard('heartbeat', () => this.heartbeat()), options.heartbeatMs);
    this.timers.push(setInterval(() => void this.guard('sweep', () => this.sweep()), options.sweepMs));
    this.timers.push(setInterval(() => this.wake(), options.pollMs));
    await this.guard('sweep', () => this.sweep());
    this.wake();
  }

  /**
   * Stops claiming at once, waits up to `graceMs` for in-flight items (their leases are still
   * heartbeated meanwhile), then aborts the rest and releases them: they return to `pending`
   * without using an attempt, for another node to claim. A producer that ignores its
   * AbortSignal is given {@link ABORT_SETTLE_MS}, then its item is released anyway. Finally
   * the node is marked stopped. A second call while stopping shortens the grace period to its
   * own `graceMs` (0: release now) and resolves with the first.
   */
  stop(graceMs = this.deps.options.shutdownGraceMs): Promise<void> {
    this.graceDeadline = Math.min(this.graceDeadline, Date.now() + graceMs);
    if (!this.stopping) {
      if (!this.running) return Promise.resolve();
      this.stopping = this.shutdown();
    }
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.running = false;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.wakeTimer) clearImmediate(this.wakeTimer);
    while (this.inFlight.size > 0 && Date.now() < this.graceDeadline) await sleep(20);
    for (const f of this.inFlight.values()) {
      f.abortReason = 'shutdown';
      f.controller.abort(new Error('node shutting down'));
    }
    const settle = Date.now() + ABORT_SETTLE_MS;
    while (this.inFlight.size > 0 && Date.now() < settle) await sleep(10);
    for (const f of this.inFlight.values()) {
      f.forsaken = true;
      this.buffer.push({ completion: { kind: 'released', item_id: f.claim.item.id, lease_token: f.claim.lease_token }, runId: f.claim.run.id });
    }
    this.inFlight.clear();
    clearInterval(this.heartbeatTimer);
    if (this.flushRetryTimer) clearTimeout(this.flushRetryTimer);
    if (this.flushImmediate) clearImmediate(this.flushImmediate);
    // The database may be restarting: try the last write a few times before giving up (the
    // leases then expire and other nodes recover the items).
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.flush();
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          await sleep(250 * attempt);
        }
      }
    } finally {
      // Before the node is marked stopped (a heartbeat after it would mark it running again),
      // and also when the last write failed: the leases it still holds must be let expire.
      await this.keeper?.stop();
    }
    await this.deps.store.stopNode(this.nodeId, this.deps.clock.now());
  }

  /**
   * Starts the heartbeat thread (lease-keeper.ts) when the database can be opened from it;
   * otherwise, or when the thread fails, heartbeats stay on this thread.
   */
  private startKeeper(): void {
    const location = this.deps.store.location;
    if (!location) return;
    const { clock, options, logger } = this.deps;
    try {
      this.keeper = LeaseKeeper.start({
        location,
        node: this.registry.record(clock.now()),
        heartbeatMs: options.heartbeatMs,
        leaseMs: options.leaseMs,
        offsetMs: clock.now() - Date.now(),
        logger,
        onLost: (leases) => this.leasesLost(leases),
      });
    } catch (err) {
      logger.warn('no heartbeat thread; heartbeats run on the main thread', { error: (err as Error).message });
    }
  }

  /** Holds the leases of claimed items (see {@link held}) and has the heartbeat thread extend them. */
  private hold(claimed: ClaimedItem[]): void {
    for (const c of claimed) this.held.set(c.item.id, c.lease_token);
    this.keeper?.track(claimed.map((c) => ({ item_id: c.item.id, lease_token: c.lease_token, timeout_ms: c.run.spec.item_timeout_ms })));
  }

  /** Lets go of leases whose outcome was written or that were lost (a newer lease of the item is kept). */
  private unhold(leases: { item_id: string; lease_token: string }[]): void {
    // Only the lease fields cross to the heartbeat thread (a completion may carry a plan function).
    const mine = leases.filter((l) => this.held.get(l.item_id) === l.lease_token).map((l) => ({ item_id: l.item_id, lease_token: l.lease_token }));
    for (const l of mine) this.held.delete(l.item_id);
    this.keeper?.untrack(mine);
  }

  /**
   * A heartbeat found these leases taken (another node recovered them, or the run was
   * canceled): their producers are aborted at once, and nothing they return is written.
   */
  private leasesLost(leases: { item_id: string; lease_token: string }[]): void {
    let aborted = 0;
    for (const l of leases) {
      const f = this.inFlight.get(l.item_id);
      if (!f || f.claim.lease_token !== l.lease_token || f.abortReason) continue;
      f.abortReason = 'lease_lost';
      f.controller.abort(new Error('lease lost'));
      aborted += 1;
    }
    this.unhold(leases);
    if (leases.length > 0) this.deps.logger.warn('leases lost; producers aborted', { items: leases.length, aborted });
  }

  /**
   * Aborts this node's in-flight attempts of a canceled run at once (same node: well within
   * 1 s); their leases were dropped by the cancel, so nothing they return is written. Other
   * nodes find out at their next heartbeat (lease lost).
   */
  private abortRun(runId: string): void {
    for (const f of this.inFlight.values()) {
      if (f.claim.run.id !== runId || f.abortReason) continue;
      f.abortReason = 'canceled';
      f.controller.abort(new Error('run canceled'));
    }
  }

  /**
   * Promises free slots to a run being created in this process, which then leases its first
   * items to this node in its creation transaction (`Store.createRun` with `StartOnCreate`).
   * Every promise must be settled with {@link adopt}. None while stopping or full.
   */
  reserveForCreate(now: number): StartOnCreate | undefined {
    const { claimBatch, leaseMs } = this.deps.options;
    const free = Math.min(this.freeSlots(), claimBatch);
    if (!this.running || free <= 0) return undefined;
    this.reservedSlots += free;
    this.claimsUnderWay.push(now);
    return { node_id: this.nodeId, lease_ms: leaseMs, limit: free, now };
  }

  /** Marks a claim taken at `now` under way; the returned function marks it settled. */
  private claimBegins(now: number): () => void {
    this.claimsUnderWay.push(now);
    return () => this.claimSettled(now);
  }

  private claimSettled(now: number): void {
    const i = this.claimsUnderWay.indexOf(now);
    if (i >= 0) this.claimsUnderWay.splice(i, 1);
  }

  /**
   * Settles a {@link reserveForCreate} promise: executes the items the creation leased to this
   * node (none when it failed). Items leased while this node began stopping are released at
   * once for another node.
   */
  adopt(start: StartOnCreate, claims: ClaimedItem[]): void {
    this.reservedSlots -= start.limit;
    this.claimSettled(start.now);
    if (claims.length === 0) return;
    if (!this.running) {
      const released = claims.map((c): Completion => ({ kind: 'released', item_id: c.item.id, lease_token: c.lease_token }));
      void this.guard('release', async () => {
        await this.deps.store.completeItems(released, this.deps.clock.now());
      });
      return;
    }
    this.execute(claims);
    for (const id of new Set(claims.map((c) => c.run.id))) this.deps.notifier.runChanged(id);
  }

  /** Records another node's demand for runs (see {@link demand}). */
  private recordDemand(nodeId: string, runIds: string[]): void {
    if (nodeId === this.nodeId) return;
    const at = Date.now();
    for (const id of runIds) {
      let nodes = this.demand.get(id);
      if (!nodes) this.demand.set(id, (nodes = new Map()));
      nodes.set(nodeId, at);
    }
  }

  /**
   * Fair shares of the runs other nodes want: for each such run this node holds items of, at
   * most `ceil(concurrency / (1 + nodes wanting it)) - held` more (never negative). Without
   * demand, undefined: a node takes whatever is free (a run's concurrency still holds).
   */
  private fairCaps(): Map<string, number> | undefined {
    if (this.demand.size === 0) return undefined;
    const since = Date.now() - Math.max(1000, 3 * this.deps.options.pollMs);
    const wanting = new Map<string, number>();
    for (const [runId, nodes] of this.demand) {
      for (const [node, at] of nodes) if (at < since) nodes.delete(node);
      if (nodes.size === 0) this.demand.delete(runId);
      else wanting.set(runId, nodes.size);
    }
    if (wanting.size === 0) return undefined;
    const held = new Map<string, { n: number; concurrency: number }>();
    for (const f of this.inFlight.values()) {
      const run = f.claim.run;
      if (!wanting.has(run.id)) continue;
      const h = held.get(run.id);
      if (h) h.n += 1;
      else held.set(run.id, { n: 1, concurrency: run.spec.concurrency });
    }
    const caps = new Map<string, number>();
    for (const [runId, h] of held) caps.set(runId, Math.max(0, Math.ceil(h.concurrency / (1 + (wanting.get(runId) ?? 0))) - h.n));
    return caps;
  }

  /** Tells other nodes this one is starved of `runs` (at most every {@link DEMAND_EVERY_MS} for one set). */
  private signalDemand(runs: Set<string>): void {
    const signal = this.deps.store.signalClaimDemand;
    if (!signal) return;
    const key = [...runs].sort().join(',');
    const now = Date.now();
    if (key === this.lastDemand.runs && now - this.lastDemand.at < DEMAND_EVERY_MS) return;
    this.lastDemand = { at: now, runs: key };
    void this.guard('claim demand', () => signal.call(this.deps.store, this.nodeId, [...runs]));
  }

  /** Slots neither executing nor promised to a run being created here (`reserveForCreate`). */
  private freeSlots(): number {
    return this.deps.options.capacity - this.inFlight.size - this.reservedSlots - this.claimingSlots;
  }

  /** Asks the claim loop to look for work soon (next turn of the event loop). */
  wake(): void {
    if (!this.running) return;
    if (this.claiming) {
      this.rerun = true;
      return;
    }
    if (this.wakeTimer) return;
    // setImmediate, not setTimeout(0): timers are clamped to 1 ms, a wake-up waits for none.
    this.wakeTimer = setImmediate(() => {
      this.wakeTimer = undefined;
      void this.guard('claim', () => this.claimLoop());
    });
  }

  private async claimLoop(): Promise<void> {
    if (this.claiming || !this.running) return;
    this.claiming = true;
    try {
      let pass = 0;
      do {
        this.rerun = false;
        // A further pass only while there is room (each pass starts queued runs first, one
        // transaction); a full node starts them at its next poll.
        if (pass++ > 0 && this.freeSlots() <= 0) break;
        const { store, clock, options } = this.deps;
        const started = await store.startQueuedRuns(this.nodeId, clock.now(), 16);
        for (const r of started) this.deps.notifier.runChanged(r.id);
        const free = this.freeSlots();
        if (free <= 0 || !this.running) break;
        // Completions are waiting to be written: their write claims in the same transaction.
        if (this.buffer.length > 0 || this.flushing) break;
        const want = Math.min(free, options.claimBatch);
        const full = new Set<string>();
        const caps = this.fairCaps();
        let claimed: ClaimedItem[];
        this.claimingSlots += want;
        const now = clock.now();
        const settled = this.claimBegins(now);
        try {
          claimed = await store.claimItems(this.nodeId, now, options.leaseMs, want, { full, ...(caps ? { caps } : {}) });
          this.execute(claimed);
        } finally {
          this.claimingSlots -= want;
          settled();
        }
        // Free slots left and runs at their concurrency: ask their nodes to share.
        if (claimed.length < want && full.size > 0) this.signalDemand(full);
        for (const id of new Set(claimed.map((c) => c.run.id))) this.deps.notifier.runChanged(id);
        if (claimed.length === want) this.rerun = true;
      } while (this.rerun && this.running);
    } finally {
      this.claiming = false;
    }
  }

  /**
   * Takes claimed items in flight (held and heartbeated from now on) and queues their attempts
   * to start a slice at a time (start-queue.ts): a batch of process spawns must not hold up
   * completion writes, claims and sweeps for seconds.
   */
  private execute(claimed: ClaimedItem[]): void {
    this.hold(claimed);
    const flights = claimed.map((claim) => {
      const flight: InFlight = { claim, controller: new AbortController() };
      this.inFlight.set(claim.item.id, flight);
      return flight;
    });
    this.starts.push(flights);
  }

  /** Starts one attempt; resolves once its producer has started (or the attempt ended). */
  private startFlight(flight: InFlight): Promise<void> {
    if (flight.forsaken) return Promise.resolve();
    let started!: () => void;
    const start = new Promise<void>((r) => (started = r));
    const done = this.attempt(flight, started).then((completion) => {
      if (flight.forsaken) return;
      this.inFlight.delete(flight.claim.item.id);
      if (completion) this.enqueue(completion, flight.claim.run.id);
      else this.unhold([{ item_id: flight.claim.item.id, lease_token: flight.claim.lease_token }]);
    });
    return Promise.race([start, done]);
  }

  /**
   * Runs one attempt with the run's env (overrides and opened secrets) and prices (its price
   * version), and returns its completion with every secret redacted from what the producer
   * handed back.
   */
  private async attempt(flight: InFlight, started: () => void): Promise<Completion | undefined> {
    let runEnv, prices;
    try {
      [runEnv, prices] = await Promise.all([this.runEnvs.get(flight.claim.run), this.deps.prices.forRun(flight.claim.run)]);
    } catch (err) {
      return this.failure(flight, toItemError(err), this.deps.clock.now());
    }
    const completion = await this.runProducer(flight, runEnv, prices, started);
    return completion && this.followUp(flight, redactCompletion(completion, runEnv.redactor));
  }

  /**
   * Asks the run's kind what follows an ended attempt; the items, phase and result it plans
   * ride on the completion and are written in its transaction (only if its lease is still
   * current).
   */
  private followUp(flight: InFlight, completion: Completion): Completion {
    const kind = this.deps.kinds;
    if (!kind || (completion.kind !== 'succeeded' && completion.kind !== 'failed')) return completion;
    const { item, run } = flight.claim;
    const outcome =
      completion.kind === 'succeeded'
        ? { kind: 'succeeded' as const, item, outputs: completion.outputs }
        : { kind: 'failed' as const, item, error: completion.error };
    try {
      const mod = kind.get(run.kind, 'kind');
      // A kind that plans with the run's items plans inside the completion's transaction.
      if (mod.plansWithItems) return { ...completion, plan: (fresh, items) => mod.next(fresh, outcome, items) };
      const { append, phase, result } = mod.next(run, outcome);
      return {
        ...completion,
        ...(append.length > 0 ? { append } : {}),
        ...(phase === undefined ? {} : { phase }),
        ...(result === undefined ? {} : { result }),
      };
    } catch (err) {
      // A kind that cannot plan what follows ends the item: nothing it needed is lost silently.
      const error = { ...toItemError(err), retryable: false };
      return { kind: 'failed', item_id: item.id, lease_token: completion.lease_token, error, duration_ms: completion.duration_ms };
    }
  }

  /**
   * Runs one attempt and turns its outcome into a completion (or none when the lease was lost).
   * `started` is called once the producer's `execute` has returned (its synchronous start, such
   * as a process spawn, is done). Credential placeholders in the producer's
   * `credentialFields` are filled in the inputs `execute` gets, never in the stored item.
   */
  private async runProducer(flight: InFlight, runEnv: RunEnv, prices: PriceTable, started: () => void): Promise<Completion | undefined> {
    const { item, run, lease_token } = flight.claim;
    const { clock } = this.deps;
    const startedAt = clock.now();
    const producerName = item.producer ?? run.spec.producer;
    const timer = setTimeout(() => {
      flight.abortReason = 'timeout';
      flight.controller.abort(new Error('item timed out'));
    }, run.spec.item_timeout_ms);
    try {
      const producer = this.deps.producers.get(producerName);
      // Aborted before it started (cancel, shutdown, lease lost while waiting its turn).
      if (flight.abortReason) return this.abortedCompletion(flight, startedAt);
      const dry = run.mode === 'dry_run';
      // A producer with neither `preview` nor its own dry run (`ownDryRun`) executes nothing.
      if (dry && !producer.preview && !producer.ownDryRun) return this.dryRun(flight, producer, prices, startedAt);
      const inputs = item.inputs ?? {};
      const fields = producer.credentialFields ?? [];
      // A dry run of a producer that can show its work without side effects (`preview`).
      const call = dry && producer.preview ? producer.preview.bind(producer) : producer.execute.bind(producer);
      const running = call({
        inputs: fields.length > 0 ? fillPlaceholders(inputs, fields, runEnv.credentials) : inputs,
        idempotencyKey: item.id,
        signal: flight.controller.signal,
        attempt: item.attempt_count,
        runId: run.id,
        itemId: item.id,
        env: runEnv.env,
        timeoutMs: run.spec.item_timeout_ms,
        workspaceId: run.workspace_id,
        ...(dry ? { dryRun: true } : {}),
      });
      started();
      const result = await running;
      if (flight.abortReason) return this.abortedCompletion(flight, startedAt);
      if (isWait(result)) {
        const wait = { ...result.wait, prompt: String(result.wait.prompt), form: result.wait.form ?? null };
        return { kind: 'waiting', item_id: item.id, lease_token, wait, duration_ms: clock.now() - startedAt };
      }
      return {
        kind: 'succeeded',
        item_id: item.id,
        lease_token,
        value: result.value ?? null,
        outputs: dry ? { ...(result.outputs ?? { value: result.value ?? null }), dry_run: true } : (result.outputs ?? { value: result.value ?? null }),
        usage: result.usage ?? null,
        provider: result.provider ?? producerName,
        // A dry run reserved nothing, so it captures nothing.
        credits_used: dry ? 0 : usageCost(prices, producerName, result.usage ?? null, item.cost_bound ?? run.item_cost_bound),
        duration_ms: clock.now() - startedAt,
      };
    } catch (err) {
      if (flight.abortReason) return this.abortedCompletion(flight, startedAt);
      return this.failure(flight, toItemError(err), startedAt);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A dry run never calls `execute`: the side-effect boundary is here, in one place, for every
   * producer. The rendered inputs are validated against the producer's config rules instead,
   * and the item records what would have been executed.
   */
  private dryRun(flight: InFlight, producer: Producer, prices: PriceTable, startedAt: number): Completion {
    const { item, lease_token, run } = flight.claim;
    const producerName = item.producer ?? run.spec.producer;
    try {
      producer.validate(item.inputs ?? {});
    } catch (err) {
      return {
        kind: 'failed',
        item_id: item.id,
        lease_token,
        error: { ...toItemError(err), retryable: false },
        duration_ms: this.deps.clock.now() - startedAt,
      };
    }
    return {
      kind: 'succeeded',
      item_id: item.id,
      lease_token,
      value: null,
      outputs: {
        dry_run: true,
        would_execute: { producer: producerName, inputs: item.inputs },
        estimated_credits_micro: itemCostBound(prices, costShapeOf({ ...run.spec, producer: producerName })),
      },
      usage: null,
      provider: null,
      credits_used: 0,
      duration_ms: this.deps.clock.now() - startedAt,
    };
  }

  private abortedCompletion(flight: InFlight, startedAt: number): Completion | undefined {
    const { item } = flight.claim;
    switch (flight.abortReason) {
      case 'lease_lost':
      case 'canceled':
        return undefined;
      case 'shutdown':
        return { kind: 'released', item_id: item.id, lease_token: flight.claim.lease_token };
      default: {
        const error: ItemError = {
          code: 'producer_timeout',
          message: `the attempt took longer than ${flight.claim.run.spec.item_timeout_ms} ms`,
          retryable: true,
        };
        return this.failure(flight, error, startedAt);
      }
    }
  }

  private failure(flight: InFlight, error: ItemError & { retryAfterMs?: number }, startedAt: number): Completion {
    const { item, run, lease_token } = flight.claim;
    const now = this.deps.clock.now();
    const policy = {
      maxAttempts: item.max_attempts,
      baseDelayMs: run.spec.retry_base_delay_ms,
      maxDelayMs: run.spec.retry_max_delay_ms,
      factor: 2,
      jitter: 0.5,
    };
    const decision = decideRetry(policy, item.attempt_count, error, now, this.deps.random.next());
    const { retryAfterMs: _drop, ...stored } = error;
    const duration_ms = now - startedAt;
    if (decision.kind === 'retry') {
      return { kind: 'retrying', item_id: item.id, lease_token, error: stored, next_attempt_at: decision.nextAttemptAt, duration_ms };
    }
    return { kind: 'failed', item_id: item.id, lease_token, error: stored, duration_ms };
  }

  /**
   * Between two slices of producer starts: completions that are waiting are written now (not a
   * turn of the event loop later, after another slice), and the start queue waits for the write.
   */
  private flushFirst(): Promise<void> | undefined {
    if (this.buffer.length > 0 && !this.flushing) void this.guard('flush', () => this.flush());
    return this.flushing?.catch(() => {});
  }

  private enqueue(completion: Completion, runId: string): void {
    this.buffer.push({ completion, runId });
    if (!this.flushing && this.buffer.length >= this.deps.options.flushBatch) void this.guard('flush', () => this.flush());
    else this.scheduleFlush();
  }

  /**
   * One flush at a time is scheduled (next turn of the event loop); completions that arrive
   * meanwhile join its batch. Callers queued behind a running write would otherwise each take
   * a batch in turn, complete, claim and execute it, all in one chain of promises that never
   * yields to I/O.
   */
  private scheduleFlush(): void {
    if (this.flushImmediate) return;
    this.flushImmediate = setImmediate(() => {
      this.flushImmediate = undefined;
      if (this.flushing) return; // the running write's tail schedules the next one
      void this.guard('flush', () => this.flush());
    });
  }

  /**
   * Writes buffered completions; concurrent callers share one write at a time. A failed write
   * (the database went away) puts its batch back and is tried again shortly: every completion
   * is fenced by its lease token, so a retry of a write that did commit is only reported as
   * lease_lost, never applied twice.
   */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => {});
    if (this.buffer.length === 0) return;
    const batch = this.buffer.splice(0, this.deps.options.flushBatch);
    // The claim loop is woken after the write unless the write's own claim made that needless
    // (see below; a poll or a wake-up finds new work).
    let wakeAfter = true;
    this.flushing = (async () => {
      const { store, clock, options } = this.deps;
      // The next batch is leased in the same transaction (one commit per batch, not two), in
      // the slots free now (a claim under way holds its own: claimingSlots). Many nodes share
      // runs on PostgreSQL: a node that re-takes the slots it frees would keep the others out
      // of a run at its concurrency, so in runs other nodes want it takes no more than its fair
      // share (fairCaps), and the slots it leaves are announced to them.
      const take = this.running ? Math.max(0, Math.min(this.freeSlots(), options.claimBatch)) : 0;
      const completions = batch.map((b) => b.completion);
      let res: CompleteResult & { claimed?: ClaimedItem[] };
      this.claimingSlots += take;
      const now = clock.now();
      const settled = take > 0 ? this.claimBegins(now) : () => {};
      try {
        const caps = take > 0 ? this.fairCaps() : undefined;
        res =
          take > 0
            ? await store.completeAndClaim(completions, now, { nodeId: this.nodeId, leaseMs: options.leaseMs, limit: take, ...(caps ? { caps } : {}) })
            : await store.completeItems(completions, now);
      } catch (err) {
        this.buffer.unshift(...batch);
        if (this.running && !this.flushRetryTimer) {
          this.flushRetryTimer = setTimeout(() => {
            this.flushRetryTimer = undefined;
            void this.guard('flush', () => this.flush());
          }, FLUSH_RETRY_MS);
        }
        throw err;
      } finally {
        this.claimingSlots -= take;
        settled();
      }
      this.unhold(completions);
      if (res.lease_lost.length > 0) this.deps.logger.warn('stale completions rejected', { items: res.lease_lost.length });
      const changed = new Set(batch.map((b) => b.runId));
      if (res.claimed) {
        this.execute(res.claimed);
        for (const c of res.claimed) changed.add(c.run.id);
        // Fewer than asked: nothing more is due now. As many: more may be, but only a node
        // with room left needs its claim loop (a full one claims with its next write). A run
        // that finished may let a queued run start (the claim loop starts them): wake it then.
        if ((res.claimed.length < take || this.freeSlots() <= 0) && res.finished_runs.length === 0) wakeAfter = false;
        else if (res.claimed.length === take) this.rerun = true;
      }
      for (const id of changed) this.deps.notifier.runChanged(id);
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
    // While running, the next write waits a turn of the event loop (see scheduleFlush).
    if (this.buffer.length > 0) {
      if (!this.running) await this.flush();
      else this.scheduleFlush();
    }
    if (wakeAfter) this.wake();
  }

  /**
   * The main thread's heartbeat: the same-host dead-node check, and a ping to the heartbeat
   * thread. When there is no healthy heartbeat thread, it refreshes the node row and extends
   * the held leases itself.
   */
  private async heartbeat(): Promise<void> {
    const { store, clock, options } = this.deps;
    this.keeper?.ping(clock.now() - Date.now());
    if (!this.keeper?.healthy) {
      await this.registry.heartbeat();
      const leases = [...this.held].map(([item_id, lease_token]) => ({ item_id, lease_token }));
      const lost = new Set(await store.heartbeatItems(leases, clock.now(), options.leaseMs));
      this.leasesLost(leases.filter((l) => lost.has(l.item_id)));
    }
    await this.registry.expireDeadLocalNodes();
  }

  /**
   * Recovers expired leases of every node, except the ones this node holds: those are extended
   * in the same transaction (a late heartbeat must not let the node's own sweep take its work).
   */
  private async sweep(): Promise<void> {
    const { store, clock, options } = this.deps;
    const since = this.claimsUnderWay.length > 0 ? Math.min(...this.claimsUnderWay) : undefined;
    const n = await store.recoverExpiredLeases(clock.now(), 1000, {
      node_id: this.nodeId,
      held: this.held,
      lease_ms: options.leaseMs,
      ...(since === undefined ? {} : { claiming_since: since }),
      planAfterFailure: (run, outcome, items) => {
        const mod = this.deps.kinds?.has(run.kind) ? this.deps.kinds.get(run.kind, 'kind') : undefined;
        return mod?.plansWithItems ? mod.next(run, { kind: 'failed', ...outcome }, items) : undefined;
      },
    });
    if (n > 0) {
      this.deps.logger.info('recovered expired leases', { items: n });
      this.wake();
    }
  }

  /**
   * Runs a loop body; an error is logged and the loop goes on (the next tick retries). While
   * the database is away every tick fails the same way: a repeat of the last error of a loop
   * is logged at most every {@link REPEAT_LOG_MS}, with how often it happened meanwhile.
   */
  private async guard(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      const error = (err as Error).message;
      // "retrying in 87 ms" and "retrying in 203 ms" are the same error.
      const shape = error.replace(/\d+/g, '#');
      const last = this.lastErrors.get(what);
      const now = Date.now();
      if (last && last.error === shape && now - last.at < REPEAT_LOG_MS) {
        last.repeats += 1;
        return;
      }
      this.lastErrors.set(what, { error: shape, at: now, repeats: 0 });
      this.deps.logger.error(`${what} failed`, { error, ...(last && last.repeats > 0 ? { repeated: last.repeats } : {}) });
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
