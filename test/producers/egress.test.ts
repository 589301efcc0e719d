/**
 * The egress guard on the `http` producer with the address list of reliability.md §3 (SSRF):
 * decimal, octal and hex forms, IPv6-mapped, `localhost` aliases, link-local metadata, private
 * and CGNAT ranges, a host resolving to a private address, and a redirect to metadata. With the
 * default policy every one is refused (`egress_blocked`) and a canary listener on 127.0.0.1 sees
 * no connection; only the allow-list admits them (metadata never).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createHttpProducer } from '../../src/producers/http.js';
import { EgressGuard, parseEgressAllow, type Resolver } from '../../src/producers/egress.js';
import { makeCtx } from './helpers.js';

const NAMES: Record<string, string[]> = {
  localhost: ['127.0.0.1', '::1'],
  'localhost.': ['127.0.0.1', '::1'],
  'metadata.google.internal': ['169.254.169.254'],
  'internal.test': ['10.1.2.3'],
  'mixed.test': ['93.184.216.34', '192.168.1.9'],
};
const resolver: Resolver = async (host) => {
  const a = NAMES[host.replace(/\.$/, '') in NAMES ? host.replace(/\.$/, '') : host];
  if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return a;
};

describe('egress guard', () => {
  let canary: Server;
  let port = 0;
  let connections = 0;
  before(async () => {
    canary = createServer((req, res) => {
      if (req.url === '/to-metadata') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        return;
      }
      res.end('reached');
    });
    canary.on('connection', () => (connections += 1));
    await new Promise<void>((r) => canary.listen(0, '127.0.0.1', r));
    port = (canary.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => canary.close(() => r())));

  const list = () => [
    'http://169.254.169.254/latest/meta-data/',
    'http://metadata.google.internal/computeMetadata/v1/',
    `http://127.0.0.1:${port}/`,
    `http://localhost:${port}/`,
    `http://localhost.:${port}/`,
    `http://0:${port}/`,
    `http://0x7f000001:${port}/`,
    `http://2130706433:${port}/`,
    `http://017700000001:${port}/`,
    `http://[::1]:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    'http://[fd00::1]/',
    'http://10.0.0.1/',
    'http://100.64.0.1/',
    'http://192.168.0.1:6379/',
    'http://172.16.0.1:5432/',
    'http://internal.test/',
    'http://mixed.test/',
  ];

  async function attempt(guard: EgressGuard, url: string): Promise<{ code: string; message: string }> {
    const p = createHttpProducer({ egress: guard });
    try {
      await p.execute(makeCtx({ url, timeout_ms: 2000 }));
      return { code: 'ok', message: '' };
    } catch (err) {
      const e = err as { code: string; message: string };
      return { code: e.code, message: e.message };
    }
  }

  test('the default policy refuses 100% of the list, naming the address; no connection reaches the canary', async () => {
    const guard = new EgressGuard(parseEgressAllow(undefined), resolver);
    const before = connections;
    for (const url of list()) {
      const r = await attempt(guard, url);
      assert.equal(r.code, 'egress_blocked', `${url}: ${r.code} ${r.message}`);
      assert.match(r.message, /\d+\.\d+\.\d+\.\d+|[0-9a-f:]+:[0-9a-f]*/);
    }
    assert.equal(connections, before, 'the canary listener saw no connection');
  });

  test('the allow-list admits loopback and private ranges (by CIDR or host name), never metadata; redirects are checked', async () => {
    const guard = new EgressGuard(parseEgressAllow('127.0.0.0/8,::1/128,10.0.0.0/8,internal.test,169.254.169.254/32'), resolver);
    for (const url of [
      `http://127.0.0.1:${port}/`,
      `http://0x7f000001:${port}/`,
      `http://2130706433:${port}/`,
      `http://017700000001:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://localhost:${port}/`,
    ]) {
      const r = await attempt(guard, url);
      assert.equal(r.code, 'ok', `${url}: ${r.message}`);
    }
    await guard.check(new URL('http://localhost.:1/')); // admitted (this sandbox's resolver cannot connect to `localhost.`)
    await guard.check(new URL('http://internal.test/')); // admitted by host name
    assert.equal(guard.refusal('10.9.9.9', '10.9.9.9'), undefined);
    assert.equal(guard.refusal('192.168.1.9', 'x'), 'private');
    assert.equal(guard.refusal('169.254.169.254', '169.254.169.254'), 'link-local / cloud metadata', 'metadata is refused even when listed');
    const redirected = await attempt(guard, `http://127.0.0.1:${port}/to-metadata`);
    assert.equal(redirected.code, 'egress_blocked', redirected.message);
    assert.match(redirected.message, /169\.254\.169\.254/);
  });

  test('invalid allow-list entries are refused', () => {
    assert.throws(() => parseEgressAllow('10.0.0.0/99'), /invalid prefix/);
    assert.throws(() => parseEgressAllow('http://x'), /neither a CIDR nor a host name/);
  });
});
