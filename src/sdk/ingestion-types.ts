/**
 * Types of the ingestion API (`/v1/ingestions`, issue 16) as clients see them, inferred from the
 * server's zod schemas (types only: no server code at run time).
 */
import type { z } from '@hono/zod-openapi';
import type { IngestionSourceSchema, IngestionSummarySchema } from '../server/routes/ingestions.js';
import type { Run } from './types.js';

/** One version of an ingestion source. */
export type IngestionSource = z.infer<typeof IngestionSourceSchema>;
/** An ingestion run's totals: pages fetched and failed, records created / updated / unchanged / without key. */
export type IngestionSummary = z.infer<typeof IngestionSummarySchema>;
/** An ingestion run with its totals. */
export interface IngestionRun {
  run: Run;
  summary: IngestionSummary;
}
/** What `POST /v1/ingestions/{id}/runs` accepts. */
export interface RunIngestionRequest {
  version?: number;
  name?: string;
  profile?: string;
  mode?: 'live' | 'smoke_test';
  smoke_test_items?: number;
  tags?: string[];
  overrides?: { env?: Record<string, string>; secrets?: Record<string, string> };
}
