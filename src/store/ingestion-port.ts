/**
 * The store's ingestion part (issue 16): versioned ingestion sources and what ingestion runs
 * wrote. Reached as `store.ingestions` so the run/item port stays as it is. Times are epoch ms
 * passed in by the caller. A definition never holds a secret (core/ingestion.ts).
 */

/** One version of an ingestion source. */
export interface IngestionSourceRecord {
  /** `ing_…` */
  id: string;
  /** 1 for the first; each edit adds the next. */
  version: number;
  workspace_id: string;
  name: string;
  table_id: string;
  /** The source definition as parsed (core/ingestion.ts `IngestionDefinition`), free JSON here. */
  definition: Record<string, unknown>;
  created_at: number;
}

/** What an ingestion run wrote, summed over its pages' `item.rows_written` events. */
export interface RowsWritten {
  /** Pages whose records were written (succeeded pages). */
  pages: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Records without a usable key field: counted, not written. */
  no_key: number;
}

/** What writing one record would do to its row (a dry run's preview). */
export type RowAction = 'created' | 'updated' | 'unchanged';

/** Ingestion sources and run totals. */
export interface IngestionStore {
  /** Inserts version 1 of a new source. */
  createSource(rec: IngestionSourceRecord): Promise<IngestionSourceRecord>;
  /**
   * Inserts the next version of source `id` (its version is the latest + 1, chosen in the
   * transaction).
   * @returns the new version, or undefined when the workspace has no source `id`
   */
  addVersion(ws: string, id: string, rec: Omit<IngestionSourceRecord, 'id' | 'version' | 'workspace_id'>): Promise<IngestionSourceRecord | undefined>;
  /** Version `version` of a source (default: its latest), or undefined. */
  getSource(ws: string, id: string, version?: number): Promise<IngestionSourceRecord | undefined>;
  /** Every source of the workspace at its latest version, newest first. */
  listSources(ws: string): Promise<IngestionSourceRecord[]>;
  /** What run `runId`'s pages wrote (zeros when none). */
  rowsWritten(ws: string, runId: string): Promise<RowsWritten>;
  /**
   * What writing `records` (each keyed by `key`) into table `tableId` would do, read-only (a dry
   * run's preview): `created` (no row has the key), `updated` (its row holds other data) or
   * `unchanged` (the same data, key order ignored, as the rows sink compares), in the order given.
   */
  wouldWrite(ws: string, tableId: string, records: { key: string; data: Record<string, unknown> }[]): Promise<RowAction[]>;
}
