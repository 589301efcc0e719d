/**
 * Webhooks (issue 15, `hook_…`): an endpoint per hook, verified per Standard Webhooks; a
 * verified call becomes an event that rules route; a refusal is recorded and starts nothing.
 */
import { Webhook } from 'standardwebhooks';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { NotFoundError, RunyardError, ValidationError } from '../../core/errors.js';
import type { TriggerEventRecord, TriggerStatus } from '../../core/triggers.js';
import type { HookRecord } from '../../store/trigger-port.js';
import type { EventsService } from './events.js';
import { checkHookSignature, checkProviderSecret, providerSignatureMatches, type HookSignature } from './hook-signature.js';
import { nameCheck, type TriggerContext } from './shared.js';

/** Standard Webhooks' tolerance on `webhook-timestamp`, seconds. */
export const WEBHOOK_TOLERANCE_S = 300;
/** Largest webhook body accepted by default, bytes. @default 256 KiB */
export const DEFAULT_HOOK_BODY_BYTES = 256 * 1024;
/** How long a rotated-out webhook secret stays valid, ms. @default 24 h */
export const HOOK_SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;

interface HookSecret {
  secret: string;
  created_at: number;
  expires_at: number | null;
}

/** Why a webhook call was refused, with its HTTP status. */
export class HookRejectedError extends RunyardError {
  constructor(
    readonly status: 401 | 409 | 413,
    readonly reason: 'unsigned' | 'stale' | 'bad_signature' | 'replayed' | 'too_large' | 'paused',
    message: string,
    readonly eventId?: string,
  ) {
    super(status === 401 ? 'unauthorized' : 'conflict', message, { reason, ...(eventId ? { event_id: eventId } : {}) });
  }
}

export class HooksService {
  constructor(
    private readonly ctx: TriggerContext,
    private readonly events: EventsService,
  ) {}

  private get st() {
    return this.ctx.store.triggers;
  }

  /** A new webhook secret in Standard Webhooks form (`whsec_` + base64 of 24 random bytes). */
  static newSecret(): string {
    return `whsec_${randomBytes(24).toString('base64')}`;
  }

  private sealSecrets(list: HookSecret[]): string {
    const json = JSON.stringify(list);
    return this.ctx.secrets ? `sealed:${this.ctx.secrets.seal({ s: json }) ?? ''}` : json;
  }

  private openSecrets(stored: string): HookSecret[] {
    const json = stored.startsWith('sealed:') && this.ctx.secrets ? (this.ctx.secrets.open(stored.slice(7)).s ?? '[]') : stored;
    return JSON.parse(json) as HookSecret[];
  }

  /** Creates a hook; the secret is returned once (sealed at rest when the node has a secret key). @throws ValidationError */
  async createHook(
    ws: string,
    h: { name: string; event_name?: string; secret?: string; max_body_bytes?: number; signature?: HookSignature },
  ): Promise<{ hook: HookRecord; secret: string }> {
    nameCheck(h.name, 'name');
    const eventName = h.event_name ?? `hook.${h.name}`;
    nameCheck(eventName, 'event_name');
    const scheme = h.signature === undefined ? null : checkHookSignature(h.signature);
    const secret = h.secret ?? HooksService.newSecret();
    if (scheme) checkProviderSecret(secret);
    else checkSecret(secret);
    const max = h.max_body_bytes ?? DEFAULT_HOOK_BODY_BYTES;
    if (!Number.isInteger(max) || max < 1 || max > 4 * 1024 * 1024)
      throw new ValidationError('max_body_bytes: expected 1 to 4194304', { field: 'max_body_bytes' });
    const now = this.ctx.clock.now();
    const hook = await this.st.createHook({
      id: this.ctx.ids.next('hook'),
      workspace_id: ws,
      name: h.name,
      event_name: eventName,
      status: 'active',
      secrets: this.sealSecrets([{ secret, created_at: now, expires_at: null }]),
      max_body_bytes: max,
      created_at: now,
      updated_at: now,
      signature: scheme ? JSON.stringify(scheme) : null,
    });
    return { hook, secret };
  }

  /**
   * Rotates a hook's secret: the new one is active at once, the previous stays valid for
   * {@link HOOK_SECRET_OVERLAP_MS} (two active secrets), older ones are dropped.
   * @throws NotFoundError
   */
  async rotateHookSecret(ws: string, id: string, secret = HooksService.newSecret()): Promise<{ hook: HookRecord; secret: string }> {
    checkSecret(secret);
    const hook = await this.getHook(ws, id);
    const now = this.ctx.clock.now();
    const current = this.openSecrets(hook.secrets).filter((s) => s.expires_at === null || s.expires_at > now);
    const newest = current.find((s) => s.expires_at === null) ?? current[current.length - 1];
    const kept = newest ? [{ ...newest, expires_at: now + HOOK_SECRET_OVERLAP_MS }] : [];
    const updated = await this.st.updateHook(ws, id, { secrets: this.sealSecrets([...kept, { secret, created_at: now, expires_at: null }]) }, now);
    if (!updated) throw new NotFoundError('hook', id);
    return { hook: updated, secret };
  }

  /** @throws NotFoundError */
  async getHook(ws: string, id: string): Promise<HookRecord> {
    const h = await this.st.getHook(ws, id);
    if (!h) throw new NotFoundError('hook', id);
    return h;
  }

  listHooks(ws: string): Promise<HookRecord[]> {
    return this.st.listHooks(ws);
  }

  /** @throws NotFoundError */
  async setHookStatus(ws: string, id: string, status: TriggerStatus): Promise<HookRecord> {
    await this.getHook(ws, id);
    const h = await this.st.updateHook(ws, id, { status }, this.ctx.clock.now());
    if (!h) throw new NotFoundError('hook', id);
    return h;
  }

  /** @throws NotFoundError */
  async deleteHook(ws: string, id: string): Promise<void> {
    if (!(await this.st.deleteHook(ws, id))) throw new NotFoundError('hook', id);
  }

  hookRejections(ws: string, id: string, limit = 50) {
    return this.st.listHookRejections(ws, id, limit);
  }

  /**
   * A webhook call, verified per Standard Webhooks: `webhook-id`, `webhook-timestamp` (within
   * 5 minutes of now) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one
   * of the hook's active secrets). A verified call becomes an event (name: the hook's
   * `event_name`, data: the JSON body) that rules route; a `webhook-id` seen before is a replay.
   * A hook created with a provider `signature` scheme is verified by it instead
   * (engine/triggers/hook-signature.ts): its header must hold the body's HMAC; a repeated
   * `id_header` value is a replay. A refusal is recorded and starts nothing.
   * @throws NotFoundError (unknown hook); HookRejectedError 401 (unsigned, stale, bad signature),
   *   409 (replayed), 413 (body over the hook's limit)
   */
  async receiveWebhook(hookId: string, headers: Record<string, string | undefined>, body: Uint8Array): Promise<TriggerEventRecord> {
    const hook = await this.st.findHook(hookId);
    if (!hook) throw new NotFoundError('hook', hookId);
    const scheme = hook.signature ? (JSON.parse(hook.signature) as HookSignature) : null;
    const msgId = scheme ? (scheme.id_header === undefined ? undefined : headers[scheme.id_header.toLowerCase()]) : headers['webhook-id'];
    const reject = async (status: 401 | 409 | 413, reason: HookRejectedError['reason'], message: string, eventId?: string): Promise<never> => {
      await this.st.recordHookRejection({
        id: this.ctx.ids.next('hrj'),
        workspace_id: hook.workspace_id,
        hook_id: hook.id,
        webhook_id: msgId?.slice(0, 255) ?? null,
        status,
        reason,
        created_at: this.ctx.clock.now(),
      });
      throw new HookRejectedError(status, reason, message, eventId);
    };
    if (body.byteLength > hook.max_body_bytes) return reject(413, 'too_large', `body: larger than ${hook.max_body_bytes} bytes`);
    if (hook.status === 'paused') return reject(409, 'paused', 'the hook is paused');
    const now = this.ctx.clock.now();
    const secrets = this.openSecrets(hook.secrets).filter((s) => s.expires_at === null || s.expires_at > now);
    const text = Buffer.from(body).toString('utf8');
    let ts = now;
    if (scheme) {
      // A provider's scheme: the HMAC of the raw body in its header; no timestamp to check.
      const sig = headers[scheme.header.toLowerCase()];
      if (!sig || (msgId !== undefined && msgId.length > 255)) return reject(401, 'unsigned', `${scheme.header} header is required`);
      if (!secrets.some((s) => providerSignatureMatches(scheme, s.secret, body, sig)))
        return reject(401, 'bad_signature', `${scheme.header}: no signature matches`);
    } else {
      const tsText = headers['webhook-timestamp'];
      const sig = headers['webhook-signature'];
      if (!msgId || !tsText || !sig || msgId.length > 255)
        return reject(401, 'unsigned', 'webhook-id, webhook-timestamp and webhook-signature headers are required');
      if (!/^\d{1,12}$/.test(tsText)) return reject(401, 'stale', 'webhook-timestamp: expected integer seconds');
      ts = Number(tsText) * 1000;
      if (Math.abs(now - ts) > WEBHOOK_TOLERANCE_S * 1000) return reject(401, 'stale', `webhook-timestamp: more than ${WEBHOOK_TOLERANCE_S} s from now`);
      if (!secrets.some((s) => signatureMatches(s.secret, msgId, tsText, text, sig)))
        return reject(401, 'bad_signature', 'webhook-signature: no signature matches');
    }
    let data: unknown;
    try {
      data = text.length === 0 ? {} : JSON.parse(text);
    } catch {
      data = { body: text };
    }
    const res = await this.events.sendEvent(
      hook.workspace_id,
      { name: hook.event_name, data, ts },
      { type: 'webhook', id: hook.id, actor: null, ...(msgId === undefined ? {} : { dedupeKey: `hook:${hook.id}:${msgId}` }) },
    );
    if (!res.created)
      return reject(409, 'replayed', `${scheme?.id_header ?? 'webhook-id'} ${JSON.stringify((msgId ?? '').slice(0, 100))} was delivered before`, res.event.id);
    return res.event;
  }
}

function checkSecret(secret: string): void {
  try {
    new Webhook(secret);
  } catch {
    throw new ValidationError('secret: expected whsec_ followed by base64', { field: 'secret' });
  }
  const raw = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  if (raw.length < 16 || raw.length > 64) throw new ValidationError('secret: expected 16 to 64 bytes of key (base64)', { field: 'secret' });
}

/**
 * Whether one of the space-separated `v1,<base64>` signatures is the HMAC-SHA256 of
 * `id.timestamp.body` under `secret` (`whsec_` + base64 key), compared in constant time.
 * (The standardwebhooks package's `verify` checks the timestamp against the process clock;
 * the engine checks it against its own clock, then the signature here with the same scheme.)
 */
export function signatureMatches(secret: string, msgId: string, ts: string, body: string, header: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${msgId}.${ts}.${body}`).digest();
  for (const part of header.split(' ')) {
    const [version, value] = part.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const got = Buffer.from(value, 'base64');
    if (got.length === expected.length && timingSafeEqual(got, expected)) return true;
  }
  return false;
}
