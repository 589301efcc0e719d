/**
 * The store's comments part: comments on table rows (`row_comments`, migration 0014). Reached
 * as `store.comments` so the run/item port stays as it is. Times are epoch ms passed in by the
 * caller; ids are made by the caller (`cmt_…`).
 */
import type { Page } from './port.js';

/** A comment on a row. */
export interface RowComment {
  id: string;
  workspace_id: string;
  table_id: string;
  row_id: string;
  /** Who wrote it: a token's name, or `run:<run_id>` for a run. */
  author: string;
  body: string;
  /**
   * The output slot a sink wrote it for (unique per row), e.g. `col_…:summary`; null for a
   * comment posted through the API.
   */
  slot: string | null;
  created_by_run: string | null;
  updated_by_run: string | null;
  created_at: number;
  updated_at: number;
}

/** Input to {@link CommentStore.addRowComment}. */
export interface NewRowComment {
  id: string;
  table_id: string;
  row_id: string;
  author: string;
  body: string;
  created_by_run?: string | null;
}

/**
 * A write to an output slot of a row:
 * - `replace`: the slot's comment takes the new body (`updated_by_run` = `run_id`), or is
 *   created when the slot has none;
 * - `once`: the slot's comment is kept as it is (`skipped_exists`), or created when it has none.
 * (An `append` policy is a `replace` on a slot key that carries the writing item's id.)
 */
export interface SlotCommentWrite extends Omit<NewRowComment, 'created_by_run'> {
  slot: string;
  run_id: string;
  policy: 'replace' | 'once';
}

/** What a slot write did. */
export type SlotAction = 'created' | 'updated' | 'skipped_exists';

/** Row comments. */
export interface CommentStore {
  /**
   * The row's comments, oldest first; `cursor` is opaque.
   * @throws ValidationError naming `cursor` for a cursor this store did not make
   */
  listRowComments(ws: string, tableId: string, rowId: string, opts: { limit: number; cursor?: string }): Promise<Page<RowComment>>;
  /**
   * Adds a comment to a row of a ready table of the workspace.
   * @returns undefined when the row (or its table) does not exist in `ws`
   */
  addRowComment(ws: string, c: NewRowComment, now: number): Promise<RowComment | undefined>;
  /**
   * Writes a slot's comment as `w.policy` says, atomically (one transaction; the slot is unique
   * per row, so concurrent writers leave one comment). On PostgreSQL two writers creating one
   * slot at once both report `created`; the row holds one comment, the later body.
   * @returns undefined when the row does not exist in `ws`
   */
  writeSlotComment(ws: string, w: SlotCommentWrite, now: number): Promise<{ comment: RowComment; action: SlotAction } | undefined>;
  /** How many comments rows of the table have (by row id), for sinks and tests. */
  countRowComments(ws: string, tableId: string): Promise<Map<string, number>>;
}
