/**
 * The few statements the executor issues for every item (lease, outcome, event, cell), as a
 * dialect-specific port: each adapter provides them (SQLite: prepared statements run once per
 * row, synchronously; PostgreSQL: one statement per batch over `unnest` arrays, fixed SQL
 * text). They replace the dialect-neutral Kysely forms, which stay for a store opened without
 * its hot path (the conformance suite runs them on SQLite). Each runs inside the caller's
 * transaction (`db`, the transaction handle) and has exactly the effect of the form it replaces.
 */
import type { Db } from './context.js';
import type { CellsTable, EventsTable, ItemsTable } from './schema.js';

/** A result now (SQLite, synchronous) or later (PostgreSQL): callers `await` either. */
export type MaybeAsync<T> = T | Promise<T>;

/** An event row to append: one event, or (SQLite) a batch row of `span` item events (event-batch.ts). */
export type EventRow = Omit<EventsTable, 'seq'> & { span: number };

/** One item outcome as written by a completion (see completion.ts for the meaning of each field). */
export interface OutcomeRow {
  id: string;
  token: string;
  status: string;
  outputs: string | null;
  error: string | null;
  usage: string | null;
  provider: string | null;
  credits_used: number;
  finished_at: number | null;
  duration_ms: number | null;
  next_attempt_at: number | null;
  /** 0, or -1 for a released item (its attempt is given back). */
  attempt_delta: number;
}

/**
 * The outcome UPDATE's assignments, its fence and what it returns, for the set-based forms that
 * join the outcome rows as `v` (PostgreSQL's `unnest` and the dialect-neutral `VALUES`): the one
 * text of what an outcome writes. A released item keeps its last error and gives its attempt back.
 */
export const OUTCOME_SET_FROM_V = `status = v.status,
  outputs = v.outputs,
  error = CASE WHEN v.status = 'pending' THEN items.error ELSE v.error END,
  usage = v.usage,
  provider = v.provider,
  credits_used = v.credits_used,
  finished_at = v.finished_at,
  duration_ms = COALESCE(v.duration_ms, items.duration_ms),
  next_attempt_at = v.next_attempt_at,
  attempt_count = items.attempt_count + v.attempt_delta,
  lease_token = NULL,
  lease_owner = NULL,
  lease_expires_at = NULL`;

/** The fence and RETURNING list of {@link OUTCOME_SET_FROM_V}. */
export const OUTCOME_WHERE_V = `WHERE items.id = v.id AND items.lease_token = v.token AND items.status = 'running'
RETURNING items.id, items.run_id, items.workspace_id, items.key, items.attempt_count`;

/** What a completion reads back of each item it changed. */
export interface CompletedItem {
  id: string;
  run_id: string;
  workspace_id: string;
  key: string;
  attempt_count: number;
}

/** The lease a claim puts on each item. */
export interface LeaseSet {
  token: string;
  owner: string;
  expires: number;
  now: number;
}

export interface HotPath {
  /**
   * True when {@link insertEvents} takes batch rows (`span` > 1: one row for the item
   * transitions of a run and type, SQLite's single writer); false: one row per event
   * (PostgreSQL, whose concurrent writers cannot reserve a range of `seq`).
   */
  readonly batchEvents: boolean;
  /**
   * Leases each listed item that is still `pending` or `retrying`: `running`, the lease,
   * `attempt_count + 1`, `started_at = now`, `next_attempt_at = NULL`. @returns the changed rows
   */
  leaseItems(db: Db, ids: string[], lease: LeaseSet): MaybeAsync<ItemsTable[]>;
  /**
   * Writes each outcome to its item if the item is `running` under the outcome's token (a
   * released item keeps its error). @returns the items changed (stale outcomes are left out)
   */
  completeItems(db: Db, rows: OutcomeRow[]): MaybeAsync<CompletedItem[]>;
  /**
   * Appends events, in the order given. A row whose `span` is more than 1 (a batch row,
   * event-batch.ts; only when {@link batchEvents}) takes the `span` sequence numbers above every
   * `seq` given so far: its own `seq` is the last of them.
   */
  insertEvents(db: Db, rows: EventRow[]): MaybeAsync<void>;
  /**
   * Writes (replaces) cells by `(column_id, row_id)`, in the order given. The caller passes at
   * most one row per cell, in key order (cells.ts), so that writers lock cells in one order.
   */
  upsertCells(db: Db, rows: CellsTable[]): MaybeAsync<void>;
}
