/**
 * The run-kind port (STYLE.md §14: a kind is a plug-in, never a branch). A kind is the module
 * that knows what one kind of target does: it parses a target reference, plans a run's first
 * items, plans what follows each item's outcome, says how the run's outcome is decided and
 * where its output lands (a {@link Sink}). The engine and the store know items, leases and
 * sinks, never a kind's rules; kinds are registered by name like producers
 * (`src/kinds/index.ts`) and import only the core.
 *
 * Units: times in epoch ms, credits in micro-credits (µ).
 */
import type { ItemError } from './errors.js';
import type { ColumnRecord, ItemRecord, RowRecord, RunKind, RunMode, RunRecord, TableRecord } from './model.js';
import type { Sink } from './sink.js';
import type { ItemStatus } from './status.js';

/** A target reference as a request gives it: `{type, ...fields}`; each kind reads its fields. */
export type TargetRef = { type: string } & Record<string, unknown>;

/** One item a kind plans: its key is unique in the run (a row id, a step key, `page:7`). */
export interface PlannedItem {
  key: string;
  /** The producer's inputs, rendered now (templates over a row or earlier outputs). */
  inputs: Record<string, unknown> | null;
  /** The producer that executes it. @default the run's `spec.producer` */
  producer?: string;
  /** Attempts it may take (1…100). @default the run's `spec.max_attempts` */
  max_attempts?: number;
}

/**
 * How a finished run's status follows from its items:
 * - `items`: every item counts alike; some failed and some succeeded → `partial`
 *   (`core/counts.ts` `runOutcome`).
 */
export type OutcomePolicy = 'items';

/**
 * What a run of a target executes, resolved before anything is planned (so an idempotent
 * replay can be answered without planning).
 */
export interface ResolvedTarget {
  kind: RunKind;
  /** The target's id and the version the run pins (its definition frozen in the run spec). */
  target_id: string;
  target_version: number;
  /** The run's display name unless the request names it. */
  default_name: string;
  /** The target's workload profile name unless the request sets one. */
  profile: string;
  /** The producer the run's items use and its config, templates unrendered. */
  producer: string;
  config: Record<string, unknown>;
  /** Where the run's output lands; null: nowhere but the items. */
  sink: Sink | null;
  /** What runs of this target act on (`runs.subject`, free JSON); absent: null. */
  subject?: unknown;
  /**
   * Create the run held: it stays `queued` and is not started until its hold is released
   * (`runs.held_by`, e.g. `worker:wkr_…` while the worker is paused). absent: not held.
   */
  hold?: string;
}

/**
 * How a run is started, as {@link RunKindModule.start} may read it: a kind whose items follow
 * one another (an ingestion's pages) plans fewer of them in a dry run or a smoke test.
 */
export interface StartOptions {
  /** `live`, `dry_run` or `smoke_test` (`runs.mode`). */
  mode: RunMode;
  /** Smoke test: the items run live (the engine skips the first items past it). */
  smoke_test_items?: number;
}

/** The first items of a run, and the phase it starts in (`runs.phase`; absent: none). */
export interface StartPlan {
  items: PlannedItem[];
  phase?: string | null;
  /** The run's output from the start (`runs.output`), e.g. a flow that selects no step: `{no_steps: true}`. */
  output?: unknown;
}

/**
 * What follows one item's outcome: items to append, the run's phase, its result. A kind whose
 * items are all known at the start (column) plans nothing.
 */
export interface FollowUp {
  append: PlannedItem[];
  /**
   * The run's new phase (refines `running`; null clears it); undefined leaves it as it is.
   * Written with the outcome (`runs.phase`); a change is recorded as a `run.phase` event
   * `{from, to}`.
   */
  phase?: string | null;
  /**
   * The run's result, once the kind knows it, written with the outcome: `summary` lands in
   * `runs.result_summary` (kept when the run finishes, instead of the count summary), `output`
   * in `runs.output` (JSON). An absent field leaves what the run holds.
   */
  result?: {
    summary?: string;
    output?: unknown;
    /**
     * The run failed as its kind decides (a flow step failed with `on_error: fail`): lands in
     * `runs.error`, and the run finishes `failed` once no item is left, whatever its counts.
     */
    error?: { code: string; message: string; item_id?: string | null };
  };
}

/**
 * One item of a run as a kind sees it when it plans with the run's items
 * ({@link RunKindModule.plansWithItems}): every item, in ordinal order, as written in the
 * planning transaction (the outcome being planned included).
 */
export interface ItemView {
  id: string;
  key: string;
  ordinal: number;
  status: ItemStatus;
  outputs: Record<string, unknown> | null;
  error: ItemError | null;
}

/** One item's outcome, as a kind sees it when it plans what follows. */
export type ItemOutcome =
  | { kind: 'succeeded'; item: ItemRecord; outputs: Record<string, unknown> }
  | { kind: 'failed'; item: ItemRecord; error: ItemError }
  /** A waiting item was answered (`respondToItem`); it is now `succeeded` with the answer as its outputs. */
  | { kind: 'answered'; item: ItemRecord; answer: Record<string, unknown> };

/**
 * What a kind may read while it plans, scoped by the engine to the run's workspace. Reads only:
 * a kind never writes; its plan is written by the engine and the store.
 */
export interface KindReader {
  table(tableId: string): Promise<TableRecord | undefined>;
  /** A column by id or name. */
  column(tableId: string, ref: string): Promise<ColumnRecord | undefined>;
  /** Every row of a table, in ordinal order. */
  rows(tableId: string): Promise<RowRecord[]>;
  /** A version of a flow definition (default the newest), or undefined. */
  flow?(id: string, version?: number): Promise<{ id: string; version: number; name: string; definition: Record<string, unknown> } | undefined>;
  /** A version of a worker definition (default the newest) with the worker's status, or undefined. */
  worker?(
    id: string,
    version?: number,
  ): Promise<{ id: string; version: number; name: string; status: 'active' | 'paused'; definition: Record<string, unknown> } | undefined>;
  /** One row of a table, or undefined. */
  row?(tableId: string, rowId: string): Promise<RowRecord | undefined>;
}

/** A run kind module. `Ref` is its parsed target reference. */
export interface RunKindModule<Ref = unknown> {
  /** The kind's name (`runs.kind`). */
  readonly kind: RunKind;
  /** Other names a request may use for it (`workflow` for `flow`). */
  readonly aliases?: readonly string[];
  readonly outcome: OutcomePolicy;
  /**
   * Parses a target reference of this kind.
   * @throws ValidationError naming the field (`target.<field>`)
   */
  parseTarget(raw: TargetRef): Ref;
  /**
   * Looks the target up and says what its runs execute and where they write.
   * @throws NotFoundError when the target (or what it names) does not exist
   */
  resolve(ref: Ref, io: KindReader): Promise<ResolvedTarget>;
  /**
   * Plans the first items of a run of `target`; `opts` says the run's mode (absent: live).
   * @throws RunyardError (`template_error` naming the row, …) when an item cannot be planned
   */
  start(target: ResolvedTarget, io: KindReader, opts?: StartOptions): Promise<StartPlan>;
  /**
   * Plans with the run's items: {@link next} is then called inside the transaction that writes
   * the outcome (after the outcome is written, with the run row locked), with the run as it is
   * there and every item of the run ({@link ItemView}), so concurrent outcomes of one run are
   * planned one after another and a join sees all of them. @default false (planned before the write, without items)
   */
  readonly plansWithItems?: boolean;
  /**
   * Plans what follows one item's outcome (pure). `items` is given to kinds that set
   * {@link plansWithItems}.
   */
  next(run: RunRecord, outcome: ItemOutcome, items?: readonly ItemView[]): FollowUp;
  /**
   * Plans a rerun of `run` pinned to the version it ran (`pin=version`): the first items from
   * its frozen spec and its items as recorded (pure).
   */
  replay(run: RunRecord, items: readonly ItemRecord[]): StartPlan;
  /**
   * The reference to the target's current definition for a rerun of `run` with `pin=current`,
   * or undefined when the run names no current definition.
   */
  currentTarget(run: RunRecord): TargetRef | undefined;
}
