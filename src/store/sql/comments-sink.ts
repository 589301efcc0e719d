/**
 * The comments sink (core/sink.ts `comments`): a succeeded item's output becomes the comment of
 * an output slot on the row its key names. Written in the settling transaction (settle.ts), in
 * (row, slot) order so two transactions writing the same slots never wait on each other in a
 * cycle (PostgreSQL); the caller locks its run rows first (every writer's lock order).
 */
import type { RunSpec } from '../../core/model.js';
import type { SlotAction } from '../comments-port.js';
import { writeSlot } from './comments-repo.js';
import type { Db, SqlContext } from './context.js';
import type { NewEvent } from './events.js';

/** One comment a succeeded item writes. */
export interface CommentWrite {
  workspace_id: string;
  run_id: string;
  item_id: string;
  table_id: string;
  row_id: string;
  slot: string;
  policy: 'replace' | 'once';
  body: string;
}

/** The comment body of an output: a string as is, an object's string `body` field, else JSON. */
export function commentBody(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value) && typeof (value as { body?: unknown }).body === 'string') {
    return (value as { body: string }).body;
  }
  return value === undefined || value === null ? '' : JSON.stringify(value);
}

/**
 * The comment a succeeded item of a run with spec `spec` writes (row = the item's key), or
 * undefined when the run has no comments sink; `{ skip: 'empty_body' }` when the output is empty.
 */
export function commentWrite(
  spec: RunSpec | undefined,
  item: { workspace_id: string; run_id: string; item_id: string; key: string },
  value: unknown,
): CommentWrite | { skip: 'empty_body' } | undefined {
  if (!spec?.table_id || !spec.comment_slot) return undefined;
  const body = commentBody(value);
  if (body.trim() === '') return { skip: 'empty_body' };
  const append = spec.comment_policy === 'append';
  return {
    workspace_id: item.workspace_id,
    run_id: item.run_id,
    item_id: item.item_id,
    table_id: spec.table_id,
    row_id: item.key,
    slot: append ? `${spec.comment_slot}:${item.item_id}` : spec.comment_slot,
    policy: spec.comment_policy === 'once' ? 'once' : 'replace',
    body,
  };
}

/**
 * Writes the comments and returns their events: `item.comment_written` `{comment_id, row_id,
 * slot, action}` per write, `item.sink_skipped` `{sink: 'comments', reason: 'row_missing'}` when
 * the row is gone.
 */
export async function writeComments(ctx: SqlContext, db: Db, writes: CommentWrite[], now: number): Promise<NewEvent[]> {
  const events: NewEvent[] = [];
  const ordered = [...writes].sort((a, b) => (a.row_id === b.row_id ? (a.slot < b.slot ? -1 : a.slot > b.slot ? 1 : 0) : a.row_id < b.row_id ? -1 : 1));
  for (const w of ordered) {
    const ids = { workspace_id: w.workspace_id, run_id: w.run_id, item_id: w.item_id };
    const res = await writeSlot(
      db,
      w.workspace_id,
      {
        id: ctx.newId('cmt'),
        table_id: w.table_id,
        row_id: w.row_id,
        slot: w.slot,
        author: `run:${w.run_id}`,
        body: w.body,
        run_id: w.run_id,
        policy: w.policy,
      },
      now,
    );
    if (!res) {
      events.push({ ...ids, type: 'item.sink_skipped', data: { sink: 'comments', reason: 'row_missing', table_id: w.table_id, row_id: w.row_id } });
      continue;
    }
    const action: SlotAction = res.action;
    events.push({ ...ids, type: 'item.comment_written', data: { comment_id: res.comment.id, row_id: w.row_id, slot: w.slot, action } });
  }
  return events;
}
