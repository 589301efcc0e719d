/**
 * Comments on table rows (issue 14):
 * - `GET /v1/tables/{table_id}/rows/{row_id}/comments?limit&cursor` → comments, oldest first
 * - `POST /v1/tables/{table_id}/rows/{row_id}/comments` `{ body, author? }` → 201 Comment
 *   (`author` defaults to the calling token's name)
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Engine } from '../../engine/engine.js';
import type { RowComment } from '../../store/comments-port.js';
import { principalOf, wsOf } from '../auth/principal.js';
import { iso } from '../present.js';
import { ErrorSchema, json, limitParam, pageOf } from '../schemas.js';

export const CommentSchema = z
  .object({
    id: z.string(),
    table_id: z.string(),
    row_id: z.string(),
    author: z.string(),
    body: z.string(),
    slot: z.string().nullable().openapi({ description: 'The output slot a run wrote this comment for; null for a posted comment' }),
    created_by_run: z.string().nullable(),
    updated_by_run: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('RowComment');

const PostCommentBody = z
  .object({
    body: z.string().openapi({ description: '1 to 20,000 characters' }),
    author: z.string().optional().openapi({ description: "Default: the calling token's name" }),
  })
  .strict()
  .openapi('PostComment');

const RowParams = z.object({ table_id: z.string(), row_id: z.string() });

function present(c: RowComment) {
  return {
    id: c.id,
    table_id: c.table_id,
    row_id: c.row_id,
    author: c.author,
    body: c.body,
    slot: c.slot,
    created_by_run: c.created_by_run,
    updated_by_run: c.updated_by_run,
    created_at: iso(c.created_at),
    updated_at: iso(c.updated_at),
  };
}

const errors = { 404: json(ErrorSchema, 'No such table or row'), 422: json(ErrorSchema, 'Invalid input (the field is named)') };

/** Registers the row comment routes. */
export function commentRoutes(app: OpenAPIHono, engine: Engine): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/tables/{table_id}/rows/{row_id}/comments',
      summary: "A row's comments, oldest first",
      request: { params: RowParams, query: z.object({ limit: limitParam, cursor: z.string().optional() }) },
      responses: { 200: json(pageOf(CommentSchema, 'RowCommentPage'), 'Comments'), ...errors },
    }),
    async (c) => {
      const { table_id, row_id } = c.req.valid('param');
      const q = c.req.valid('query');
      const page = await engine.comments.list(wsOf(c), table_id, row_id, { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
      return c.json({ data: page.data.map(present), next_cursor: page.next_cursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tables/{table_id}/rows/{row_id}/comments',
      summary: 'Post a comment on a row',
      request: { params: RowParams, body: { content: { 'application/json': { schema: PostCommentBody } }, required: true } },
      responses: { 201: json(CommentSchema, 'The comment'), ...errors },
    }),
    async (c) => {
      const { table_id, row_id } = c.req.valid('param');
      const body = c.req.valid('json');
      const comment = await engine.comments.add(wsOf(c), table_id, row_id, { body: body.body, author: body.author ?? principalOf(c).token_name });
      return c.json(present(comment), 201);
    },
  );
}
