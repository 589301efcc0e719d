/**
 * The store's workers part (issue 14): AI worker definitions (versioned, migration 0017), the
 * hold on runs of a paused worker, and the row writes worker tools and outputs make. Reached as
 * `store.workers`. Times are epoch ms passed in by the caller.
 */
import type { RowRecord } from '../core/model.js';

/** Whether a worker takes new runs now (`paused`: they are created held, queued). */
export type WorkerStatus = 'active' | 'paused';

/** One version of a worker, with the worker's current status. */
export interface WorkerRecord {
  /** `wkr_…`, the same for every version. */
  id: string;
  version: number;
  /** The newest version (an edit adds one). */
  latest_version: number;
  workspace_id: string;
  name: string;
  status: WorkerStatus;
  template_key: string | null;
  /** The parsed definition (core/worker.ts `WorkerDefinition`). */
  definition: Record<string, unknown>;
  /** When this version was saved. */
  created_at: number;
  /** When the worker (status or version) last changed. */
  updated_at: number;
}

/** What a new worker or version is made of. */
export interface NewWorkerVersion {
  name: string;
  template_key: string | null;
  definition: Record<string, unknown>;
}

/** What a keyed row write did. */
export type RowAction = 'created' | 'updated' | 'unchanged';

export interface WorkerStore {
  /** Creates worker `id` (status active) at version 1. */
  createWorker(ws: string, id: string, v: NewWorkerVersion, now: number): Promise<WorkerRecord>;
  /** Adds the next version (chosen in the transaction). @returns undefined for an unknown worker */
  addVersion(ws: string, id: string, v: NewWorkerVersion, now: number): Promise<WorkerRecord | undefined>;
  /** A version (default the newest) with the worker's status, or undefined. */
  getWorker(ws: string, id: string, version?: number): Promise<WorkerRecord | undefined>;
  /** Every worker at its newest version, newest worker first. */
  listWorkers(ws: string): Promise<WorkerRecord[]>;
  /**
   * Sets a worker's status. Going `active` releases, in the same transaction, every queued run
   * held by it (`held_by = worker:<id>`), so they start.
   * @returns the worker (newest version) and how many runs were released, or undefined
   */
  setStatus(ws: string, id: string, status: WorkerStatus, now: number): Promise<{ worker: WorkerRecord; released: number } | undefined>;
  /** Releases the queued runs held by `heldBy` (they start). @returns how many */
  releaseHeld(ws: string, heldBy: string, now: number): Promise<number>;
  /**
   * Sets fields of a row (others keep their values); new fields join the table's.
   * @returns the row as written, or undefined when the row (or its table) is not in `ws`
   */
  updateRowFields(ws: string, tableId: string, rowId: string, fields: Record<string, unknown>): Promise<RowRecord | undefined>;
  /**
   * Writes the row keyed `key` of a table (unique per table, migration 0012): replaced when it
   * exists (`once`: kept as it is), else added after the last row. Written once however often
   * it is called with the same key.
   * @returns the row id and what was done, or undefined when the table is not in `ws`
   */
  upsertKeyedRow(
    ws: string,
    tableId: string,
    key: string,
    data: Record<string, unknown>,
    prov: { run_id: string; item_key: string; once?: boolean },
  ): Promise<{ row_id: string; action: RowAction | 'skipped_exists' } | undefined>;
}
