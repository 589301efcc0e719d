/**
 * The few statements the executor issues for every item (lease, outcome, event, cell), as an
 * optional dialect-specific port: an adapter that provides them (SQLite: prepared statements
 * run once per row, no query building) replaces the dialect-neutral Kysely forms. Each runs
 * inside the caller's transaction and has exactly the effect of the form it replaces.
 */
import type { CellsTable, EventsTable, ItemsTable } from './schema.js';

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
   * Leases each listed item that is still `pending` or `retrying`: `running`, the lease,
   * `attempt_count + 1`, `started_at = now`, `next_attempt_at = NULL`. @returns the changed rows
   */
  leaseItems(ids: string[], lease: LeaseSet): ItemsTable[];
  /**
   * Writes each outcome to its item if the item is `running` under the outcome's token (a
   * released item keeps its error). @returns the items changed (stale outcomes are left out)
   */
  completeItems(rows: OutcomeRow[]): CompletedItem[];
  /**
   * Appends events. A row whose `span` is more than 1 (a batch row, event-batch.ts) takes the
   * `span` sequence numbers above every `seq` given so far: its own `seq` is the last of them.
   */
  insertEvents(rows: (Omit<EventsTable, 'seq'> & { span: number })[]): void;
  /** Writes (replaces) cells by `(column_id, row_id)`. */
  upsertCells(rows: CellsTable[]): void;
}
