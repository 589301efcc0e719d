/**
 * Comments on table rows (issue 14): people post them through the API; a run's `comments`
 * output writes them by slot. Checks input and existence; the store writes.
 */
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { Clock, IdSource } from '../core/ids.js';
import type { RowComment } from '../store/comments-port.js';
import type { Page, Store } from '../store/port.js';

/** Longest comment body, characters. */
export const MAX_COMMENT_CHARS = 20_000;
/** Longest author name, characters. */
export const MAX_AUTHOR_CHARS = 200;

/** Posts and lists row comments. One per engine. */
export class CommentsService {
  constructor(private readonly deps: { store: Store; clock: Clock; ids: IdSource }) {}

  /**
   * The row's comments, oldest first.
   * @throws NotFoundError for an unknown table or row; ValidationError naming `cursor`
   */
  async list(ws: string, tableId: string, rowId: string, opts: { limit: number; cursor?: string }): Promise<Page<RowComment>> {
    await this.requireRow(ws, tableId, rowId);
    return this.deps.store.comments.listRowComments(ws, tableId, rowId, opts);
  }

  /**
   * Posts a comment on a row.
   * @param input `body` (1 to {@link MAX_COMMENT_CHARS} characters, not only spaces), `author`
   *   (1 to {@link MAX_AUTHOR_CHARS} characters)
   * @throws ValidationError naming `body` or `author`; NotFoundError for an unknown table or row
   */
  async add(ws: string, tableId: string, rowId: string, input: { author: string; body: string }): Promise<RowComment> {
    if (input.body.trim() === '' || input.body.length > MAX_COMMENT_CHARS) {
      throw new ValidationError(`body: expected 1 to ${MAX_COMMENT_CHARS} characters of text`, { field: 'body' });
    }
    if (input.author.trim() === '' || input.author.length > MAX_AUTHOR_CHARS) {
      throw new ValidationError(`author: expected 1 to ${MAX_AUTHOR_CHARS} characters`, { field: 'author' });
    }
    await this.requireRow(ws, tableId, rowId);
    const { store, ids, clock } = this.deps;
    const c = await store.comments.addRowComment(
      ws,
      { id: ids.next('cmt'), table_id: tableId, row_id: rowId, author: input.author, body: input.body },
      clock.now(),
    );
    if (!c) throw new NotFoundError('row', rowId);
    return c;
  }

  private async requireRow(ws: string, tableId: string, rowId: string): Promise<void> {
    if (!(await this.deps.store.getTable(ws, tableId))) throw new NotFoundError('table', tableId);
    if (!(await this.deps.store.getRow(ws, tableId, rowId))) throw new NotFoundError('row', rowId);
  }
}
