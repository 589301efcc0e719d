/**
 * Types of the ingestion API (`/v1/ingestions`, issue 16) as clients see them, inferred from the
 * server's zod schemas (types only: no server code at run time).
 */
import type { z } from '@hono/zod-openapi';
import type { IngestionPreviewSchema, IngestionSourceSchema, IngestionSummarySchema } from '../server/routes/ingestions.js';
import type { Run } from './types.js';

/** One version of an ingestion source. */
export type IngestionSource = z.infer<typeof IngestionSourceSchema>;
/** An ingestion run's totals: pages fetched and failed, records created / updated / unchanged / without key. */
export type IngestionSummary = z.infer<typeof IngestionSummarySchema>;
/** A dry run's first page: its records and what writing each would do (nothing was written). */
export type IngestionPreview = z.infer<typeof IngestionPreviewSchema>;
/** An ingestion run with its totals (and, for a dry run, its preview). */
export interface IngestionRun {
  run: Run;
  summary: IngestionSummary;
  preview?: IngestionPreview;
}
/** What `POST /v1/ingestions/{id}/runs` accepts. */
export interface RunIngestionRequest {
  version?: number;
  name?: string;
  profile?: string;
  /** `dry_run`: the first page only, nothing written; `smoke_test`: at most `smoke_test_items` pages. */
  mode?: 'live' | 'dry_run' | 'smoke_test';
  smoke_test_items?: number;
  tags?: string[];
  overrides?: { env?: Record<string, string>; secrets?: Record<string, string> };
}
