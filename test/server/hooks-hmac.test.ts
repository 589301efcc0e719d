/**
 * Webhooks signed by a provider's own HMAC scheme (issue 15 §4), over HTTP on 127.0.0.1, on both
 * databases: GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` with
 * `X-GitHub-Delivery` as the delivery id, and a SHA-1/base64 scheme without prefix. A verified
 * call becomes an event that a rule routes to a run; a tampered, unsigned, wrongly prefixed or
 * wrong-key call gets 401 and a replayed delivery id 409, each starting nothing and recorded as
 * a rejection. A bad scheme is a 422 naming the field.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { createApp } from '../../src/server/app.js';
import { tokenFor } from '../helpers/auth.js';
import { describeEachBackend } from '../helpers/backends.js';
import { FAST, tempDir, until } from '../helpers/fixtures.js';

type Json = Record<string, unknown> & { error?: { code: string; message: string; details: Record<string, unknown> } };

const FLOW = `
name: on push
inputs: { type: object, properties: { ref: { type: string } }, required: [ref] }
steps:
  - { id: summary, type: summarize, text: "push to {{input.ref}}" }
`;

describeEachBackend('provider-signed webhooks', (backend) => {
  let engine: Engine;
  let server: ServerType;
  let base = '';
  let token = '';

  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: Json; text: string }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, text };
  }
  /** A delivery with no API token: the signature is the credential. */
  async function deliver(hookId: string, body: string, headers: Record<string, string>): Promise<{ status: number; json: Json }> {
    const res = await fetch(`${base}/v1/hooks/${hookId}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, json: (await res.json()) as Json };
  }

  before(async () => {
    const { store } = await backend.open();
    engine = createEngine({ store, producers: createProducerRegistry({ baseDir: tempDir() }), options: FAST, triggers: { sweepMs: 100, fireLeaseMs: 2000 } });
    token = await tokenFor(engine, 'admin');
    const app = createApp(engine, { baseUrl: () => base });
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await engine.startExecutor();
    engine.triggers.start();
  });
  after(async () => {
    await engine.triggers.stop();
    await engine.stopExecutor();
    await new Promise<void>((r) => server.close(() => r()));
    await engine.store.close();
  });

  test('GitHub-style and SHA-1/base64 schemes: verified calls start runs; tampered, unsigned, replayed start nothing and are recorded', async () => {
    for (const [signature, field] of [
      [{ header: 'bad header!', algorithm: 'sha256', encoding: 'hex' }, 'signature.header'],
      [{ header: 'X-Sig', algorithm: 'sha256', encoding: 'hex', id_header: 'no spaces!' }, 'signature.id_header'],
    ] as const) {
      const r = await call('POST', '/v1/hooks', { name: 'bad', secret: 'a-long-enough-secret', signature });
      assert.equal(r.status, 422, r.text);
      assert.equal(r.json.error?.details.field, field);
    }
    const short = await call('POST', '/v1/hooks', { name: 'bad', secret: 'short', signature: { header: 'X-Sig', algorithm: 'sha1', encoding: 'hex' } });
    assert.equal(short.json.error?.details.field, 'secret');
    assert.equal(((await call('GET', '/v1/hooks')).json.data as Json[]).length, 0);

    const secret = 'gh-webhook-secret-0123456789';
    const gh = await call('POST', '/v1/hooks', {
      name: 'github',
      event_name: 'github.push',
      secret,
      signature: { header: 'X-Hub-Signature-256', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=', id_header: 'X-GitHub-Delivery' },
    });
    assert.equal(gh.status, 201, gh.text);
    assert.deepEqual((gh.json.signature as Json).prefix, 'sha256=');
    const plain = await call('POST', '/v1/hooks', {
      name: 'plain',
      event_name: 'github.push',
      secret,
      signature: { header: 'X-Signature', algorithm: 'sha1', encoding: 'base64' },
    });
    assert.equal(plain.status, 201, plain.text);
    const flow = await call('POST', '/v1/flows', { definition: FLOW });
    const rule = await call('POST', '/v1/rules', {
      name: 'on push',
      on: 'github.push',
      target: { type: 'flow', flow_id: flow.json.id, inputs: { ref: '{{event.data.ref}}' } },
    });
    assert.equal(rule.status, 201, rule.text);

    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const sig256 = (b: string, key = secret) => `sha256=${createHmac('sha256', key).update(b).digest('hex')}`;
    const ok = await deliver(String(gh.json.id), body, { 'X-Hub-Signature-256': sig256(body), 'X-GitHub-Delivery': 'd-1' });
    assert.equal(ok.status, 202, JSON.stringify(ok.json));
    const sha1 = createHmac('sha1', secret).update(body).digest('base64');
    const ok2 = await deliver(String(plain.json.id), body, { 'X-Signature': sha1 });
    assert.equal(ok2.status, 202, JSON.stringify(ok2.json));

    const refused: [string, Record<string, string>, string, number, string][] = [
      ['tampered', { 'X-Hub-Signature-256': sig256(body), 'X-GitHub-Delivery': 'd-2' }, body.replace('main', 'evil'), 401, 'bad_signature'],
      ['unsigned', { 'X-GitHub-Delivery': 'd-3' }, body, 401, 'unsigned'],
      ['no prefix', { 'X-Hub-Signature-256': sig256(body).slice(7), 'X-GitHub-Delivery': 'd-4' }, body, 401, 'bad_signature'],
      ['wrong key', { 'X-Hub-Signature-256': sig256(body, 'another-secret-0123456'), 'X-GitHub-Delivery': 'd-5' }, body, 401, 'bad_signature'],
      ['replayed', { 'X-Hub-Signature-256': sig256(body), 'X-GitHub-Delivery': 'd-1' }, body, 409, 'replayed'],
    ];
    for (const [what, headers, b, status, reason] of refused) {
      const r = await deliver(String(gh.json.id), b, headers);
      assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
      assert.equal((r.json.error as Json).details && ((r.json.error as Json).details as Json).reason, reason, what);
    }
    const tamperedPlain = await deliver(String(plain.json.id), body.replace('main', 'x'), { 'X-Signature': sha1 });
    assert.equal(tamperedPlain.status, 401);

    const rejections = (await call('GET', `/v1/hooks/${String(gh.json.id)}/rejections`)).json.data as Json[];
    assert.deepEqual(rejections.map((r) => r.reason).sort(), ['bad_signature', 'bad_signature', 'bad_signature', 'replayed', 'unsigned']);
    assert.ok(rejections.some((r) => r.webhook_id === 'd-1' && r.status === 409));
    // Only the two verified calls became events, and each started one run.
    const events = (await call('GET', '/v1/trigger-events?name=github.push')).json.data as Json[];
    assert.equal(events.length, 2);
    await until('both runs started', 15_000, async () => {
      const evs = (await call('GET', '/v1/trigger-events?name=github.push')).json.data as Json[];
      return evs.every((e) => (e.run_ids as string[]).length === 1) ? true : undefined;
    });
    assert.equal(((await call('GET', '/v1/runs?trigger=rule')).json.data as Json[]).length, 2);
  });
});
