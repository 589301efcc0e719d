/**
 * The core's status lists as SQL conditions. They are literal SQL, not bound parameters: SQLite
 * uses a partial index (`items_claimable`) only when the query repeats its condition with
 * literals. Statuses are fixed identifiers from the core, never user text.
 */
import { sql } from 'kysely';
import { CLAIMABLE_ITEM_STATUSES, IN_FLIGHT_ITEM_STATUSES, type ItemStatus } from '../../core/status.js';

/** `status IN ('a', 'b')` over core status names. */
export function statusIn(statuses: readonly ItemStatus[]) {
  return sql<boolean>`status IN (${sql.raw(statuses.map((s) => `'${s}'`).join(', '))})`;
}

/** Items a node may lease when due ({@link CLAIMABLE_ITEM_STATUSES}). */
export const CLAIMABLE = statusIn(CLAIMABLE_ITEM_STATUSES);

/** Items in flight ({@link IN_FLIGHT_ITEM_STATUSES}). */
export const IN_FLIGHT = statusIn(IN_FLIGHT_ITEM_STATUSES);
