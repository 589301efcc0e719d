/** Row comments (comments-port.ts) over a SQL context, dialect-neutral. */
import type { CommentStore, RowComment, SlotAction, SlotCommentWrite } from '../comments-port.js';
import { decodeCursor, encodeCursor, type Db, type SqlContext } from './context.js';
import type { RowCommentsTable } from './schema.js';
import { ValidationError } from '../../core/errors.js';

const COLUMNS = ['id', 'workspace_id', 'table_id', 'row_id', 'author', 'body', 'slot', 'created_by_run', 'updated_by_run', 'created_at', 'updated_at'] as const;

function toComment(r: RowCommentsTable): RowComment {
  return { ...r, created_at: Number(r.created_at), updated_at: Number(r.updated_at) };
}

/** Whether row `rowId` of ready table `tableId` exists in `ws`. */
async function rowExists(db: Db, ws: string, tableId: string, rowId: string): Promise<boolean> {
  const r = await db
    .selectFrom('table_rows')
    .innerJoin('tables', 'tables.id', 'table_rows.table_id')
    .select('table_rows.id')
    .where('table_rows.id', '=', rowId)
    .where('table_rows.table_id', '=', tableId)
    .where('table_rows.workspace_id', '=', ws)
    .where('tables.status', '=', 'ready')
    .executeTakeFirst();
  return r !== undefined;
}

/**
 * {@link CommentStore.writeSlotComment} inside the caller's transaction `db` (a sink writes in
 * the settling transaction).
 */
export async function writeSlot(db: Db, ws: string, w: SlotCommentWrite, now: number): Promise<{ comment: RowComment; action: SlotAction } | undefined> {
  if (!(await rowExists(db, ws, w.table_id, w.row_id))) return undefined;
  const existing = await db.selectFrom('row_comments').select(COLUMNS).where('row_id', '=', w.row_id).where('slot', '=', w.slot).executeTakeFirst();
  if (existing && w.policy === 'once') return { comment: toComment(existing), action: 'skipped_exists' };
  const row = await db
    .insertInto('row_comments')
    .values({
      id: w.id,
      workspace_id: ws,
      table_id: w.table_id,
      row_id: w.row_id,
      author: w.author,
      body: w.body,
      slot: w.slot,
      created_by_run: w.run_id,
      updated_by_run: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      w.policy === 'once'
        ? oc.columns(['row_id', 'slot']).where('slot', 'is not', null).doNothing()
        : oc
            .columns(['row_id', 'slot'])
            .where('slot', 'is not', null)
            .doUpdateSet({ body: w.body, author: w.author, updated_by_run: w.run_id, updated_at: now }),
    )
    .returning(COLUMNS)
    .executeTakeFirst();
  if (!row) {
    // `once` lost a race to a writer that created the slot meanwhile.
    const kept = await db.selectFrom('row_comments').select(COLUMNS).where('row_id', '=', w.row_id).where('slot', '=', w.slot).executeTakeFirstOrThrow();
    return { comment: toComment(kept), action: 'skipped_exists' };
  }
  return { comment: toComment(row), action: existing ? 'updated' : 'created' };
}

/** The {@link CommentStore} over a SQL context. */
export function sqlCommentStore(ctx: SqlContext): CommentStore {
  return {
    async listRowComments(ws, tableId, rowId, opts) {
      let q = ctx.db
        .selectFrom('row_comments')
        .select(COLUMNS)
        .where('workspace_id', '=', ws)
        .where('table_id', '=', tableId)
        .where('row_id', '=', rowId)
        .orderBy('created_at')
        .orderBy('id')
        .limit(opts.limit + 1);
      if (opts.cursor !== undefined) {
        const after = decodeCursor<string>(opts.cursor, 'string');
        const [at, id] = after?.split('|') ?? [];
        if (at === undefined || id === undefined || !/^\d+$/.test(at)) throw new ValidationError('cursor: not a cursor of this list', { field: 'cursor' });
        const t = Number(at);
        q = q.where((eb) => eb.or([eb('created_at', '>', t), eb.and([eb('created_at', '=', t), eb('id', '>', id)])]));
      }
      const rows = (await q.execute()).map(toComment);
      const more = rows.length > opts.limit;
      const data = more ? rows.slice(0, opts.limit) : rows;
      const last = data[data.length - 1];
      return { data, next_cursor: more && last ? encodeCursor(`${last.created_at}|${last.id}`) : null };
    },
    async addRowComment(ws, c, now) {
      return ctx.tx(async (db) => {
        if (!(await rowExists(db, ws, c.table_id, c.row_id))) return undefined;
        const row = {
          id: c.id,
          workspace_id: ws,
          table_id: c.table_id,
          row_id: c.row_id,
          author: c.author,
          body: c.body,
          slot: null,
          created_by_run: c.created_by_run ?? null,
          updated_by_run: null,
          created_at: now,
          updated_at: now,
        };
        await db.insertInto('row_comments').values(row).execute();
        return row;
      });
    },
    writeSlotComment(ws, w, now) {
      return ctx.tx((db) => writeSlot(db, ws, w, now));
    },
    async countRowComments(ws, tableId) {
      const rows = await ctx.db
        .selectFrom('row_comments')
        .select(['row_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('workspace_id', '=', ws)
        .where('table_id', '=', tableId)
        .groupBy('row_id')
        .execute();
      return new Map(rows.map((r) => [r.row_id, Number(r.n)]));
    },
  };
}
