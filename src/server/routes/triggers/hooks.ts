/**
 * Hooks: Standard Webhooks endpoints; `POST /v1/hooks/{id}` carries no token (the signature is
 * the credential) and answers 202, or 401/409/413 recorded as a rejection.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Engine } from '../../../engine/engine.js';
import { HookRejectedError } from '../../../engine/triggers.js';
import type { HookSignature } from '../../../engine/triggers/hook-signature.js';
import type { HookRecord } from '../../../store/trigger-port.js';
import { wsOf } from '../../auth/principal.js';
import type { ServerContext } from '../../context.js';
import { errorBody } from '../../errors.js';
import { iso } from '../../present.js';
import { ErrorSchema, json } from '../../schemas.js';
import { Id, Status } from './shared.js';

const HookSignatureSchema = z
  .object({
    header: z.string().min(1).max(100).openapi({ description: 'Header holding the signature', example: 'X-Hub-Signature-256' }),
    algorithm: z.enum(['sha256', 'sha1']),
    encoding: z.enum(['hex', 'base64']),
    prefix: z.string().max(50).optional().openapi({ description: 'Text before the digest', example: 'sha256=' }),
    id_header: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: 'Header with a per-delivery id; a repeat is refused (409)', example: 'X-GitHub-Delivery' }),
  })
  .strict()
  .openapi('HookSignature', {
    description: "A provider's HMAC scheme instead of Standard Webhooks: the header holds prefix + HMAC of the raw body under the secret (UTF-8)",
  });

const HookBody = z
  .object({
    name: z.string().min(1).max(200),
    event_name: z.string().min(1).max(200).optional().openapi({ description: 'The event a verified call becomes; default hook.<name>' }),
    secret: z.string().optional().openapi({ description: 'whsec_… (Standard Webhooks); default: generated and returned once' }),
    max_body_bytes: z.number().int().optional(),
    signature: HookSignatureSchema.optional(),
  })
  .strict()
  .openapi('HookInput');

const HookSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    event_name: z.string(),
    status: Status,
    url: z.string(),
    max_body_bytes: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    secret: z.string().optional().openapi({ description: 'Only when created or rotated; never shown again' }),
    signature: HookSignatureSchema.nullable().openapi({ description: 'The provider scheme, or null for Standard Webhooks' }),
  })
  .openapi('Hook');

const RejectionSchema = z
  .object({ id: z.string(), webhook_id: z.string().nullable(), status: z.number().int(), reason: z.string(), created_at: z.string() })
  .openapi('HookRejection');

function presentHook(sc: ServerContext, h: HookRecord, secret?: string): z.infer<typeof HookSchema> {
  return {
    id: h.id,
    name: h.name,
    event_name: h.event_name,
    status: h.status,
    url: `${sc.baseUrl()}/v1/hooks/${h.id}`,
    max_body_bytes: h.max_body_bytes,
    created_at: iso(h.created_at),
    updated_at: iso(h.updated_at),
    signature: h.signature ? (JSON.parse(h.signature) as z.infer<typeof HookSignatureSchema>) : null,
    ...(secret === undefined ? {} : { secret }),
  };
}

/** A parsed rule body as a definition (no `undefined` entries). */

/** Registers the hook routes and the delivery endpoint. */
export function hookRoutes(app: OpenAPIHono, engine: Engine, sc: ServerContext): void {
  const t = engine.triggers.hooks;
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/hooks',
      summary: 'Create a webhook endpoint (Standard Webhooks); the secret is shown once',
      request: { body: { content: { 'application/json': { schema: HookBody } }, required: true } },
      responses: { 201: json(HookSchema, 'The hook with its secret'), 422: json(ErrorSchema, 'Invalid input') },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const { hook, secret } = await t.createHook(wsOf(c), {
        name: b.name,
        ...(b.event_name === undefined ? {} : { event_name: b.event_name }),
        ...(b.secret === undefined ? {} : { secret: b.secret }),
        ...(b.max_body_bytes === undefined ? {} : { max_body_bytes: b.max_body_bytes }),
        ...(b.signature === undefined ? {} : { signature: dropUndefined(b.signature) }),
      });
      return c.json(presentHook(sc, hook, secret), 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/hooks',
      summary: 'Webhook endpoints of the workspace',
      responses: { 200: json(z.object({ data: z.array(HookSchema) }), 'Hooks') },
    }),
    async (c) => c.json({ data: (await t.listHooks(wsOf(c))).map((h) => presentHook(sc, h)) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/hooks/{hook_id}',
      summary: 'One webhook endpoint',
      request: { params: Id('hook_id') },
      responses: { 200: json(HookSchema, 'The hook'), 404: json(ErrorSchema, 'Unknown hook') },
    }),
    async (c) => c.json(presentHook(sc, await t.getHook(wsOf(c), c.req.valid('param').hook_id as string)), 200),
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/hooks/{hook_id}',
      summary: 'Delete a webhook endpoint',
      request: { params: Id('hook_id') },
      responses: { 204: { description: 'Deleted' }, 404: json(ErrorSchema, 'Unknown hook') },
    }),
    async (c) => {
      await t.deleteHook(wsOf(c), c.req.valid('param').hook_id as string);
      return c.body(null, 204);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/hooks/{hook_id}/rotate-secret',
      summary: 'Rotate the secret: the new one now, the previous one still valid for 24 h',
      request: { params: Id('hook_id') },
      responses: { 200: json(HookSchema, 'The hook with its new secret'), 404: json(ErrorSchema, 'Unknown hook') },
    }),
    async (c) => {
      const { hook, secret } = await t.rotateHookSecret(wsOf(c), c.req.valid('param').hook_id as string);
      return c.json(presentHook(sc, hook, secret), 200);
    },
  );
  for (const action of ['pause', 'resume'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/hooks/{hook_id}/${action}`,
        summary: action === 'pause' ? 'Pause a hook (calls are refused with 409 and recorded)' : 'Resume a hook',
        request: { params: Id('hook_id') },
        responses: { 200: json(HookSchema, 'The hook'), 404: json(ErrorSchema, 'Unknown hook') },
      }),
      async (c) =>
        c.json(presentHook(sc, await t.setHookStatus(wsOf(c), c.req.valid('param').hook_id as string, action === 'pause' ? 'paused' : 'active')), 200),
    );
  }
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/hooks/{hook_id}/rejections',
      summary: 'Refused calls of a hook, newest first (unsigned, stale, bad signature, replayed, too large)',
      request: { params: Id('hook_id') },
      responses: { 200: json(z.object({ data: z.array(RejectionSchema) }), 'Rejections'), 404: json(ErrorSchema, 'Unknown hook') },
    }),
    async (c) => {
      const id = c.req.valid('param').hook_id as string;
      await t.getHook(wsOf(c), id);
      const rows = await t.hookRejections(wsOf(c), id);
      return c.json(
        { data: rows.map((r) => ({ id: r.id, webhook_id: r.webhook_id, status: r.status, reason: r.reason, created_at: iso(r.created_at) })) },
        200,
      );
    },
  );
  // The delivery itself: no token, the Standard Webhooks signature is the credential.
  app.post('/v1/hooks/:hook_id', async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    // Every header, lower-cased: Standard Webhooks' three, or a provider scheme's own.
    const headers: Record<string, string | undefined> = Object.fromEntries([...c.req.raw.headers.entries()].map(([k, v]) => [k.toLowerCase(), v]));
    try {
      const ev = await t.receiveWebhook(c.req.param('hook_id'), headers, body);
      return c.json({ event_id: ev.id }, 202);
    } catch (err) {
      if (err instanceof HookRejectedError) {
        const code = err.status === 413 ? 'payload_too_large' : err.status === 401 ? 'unauthorized' : 'conflict';
        return c.json(errorBody(code, err.message, { reason: err.reason, ...(err.eventId ? { event_id: err.eventId } : {}) }), err.status);
      }
      // An unknown hook answers like an unsigned call: ids are not probed.
      if (err instanceof Error && 'code' in err && err.code === 'not_found') return c.json(errorBody('unauthorized', 'unknown hook or missing signature'), 401);
      throw err;
    }
  });
}

/** A parsed provider scheme without absent keys. */
function dropUndefined(s: z.infer<typeof HookSignatureSchema>): HookSignature {
  return {
    header: s.header,
    algorithm: s.algorithm,
    encoding: s.encoding,
    ...(s.prefix === undefined ? {} : { prefix: s.prefix }),
    ...(s.id_header === undefined ? {} : { id_header: s.id_header }),
  };
}
