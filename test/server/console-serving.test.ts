/**
 * Serving the console (server/console.ts): assets, the SPA fallback for client routes, the
 * Content-Security-Policy on console responses, API paths left to the API, and a clear 503
 * when the console was never built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import { CONSOLE_CSP, consoleRoutes } from '../../src/server/console.js';
import { tempDir } from '../helpers/fixtures.js';

function appWith(dir: string): OpenAPIHono {
  const app = new OpenAPIHono();
  app.notFound((c) => c.json({ error: { code: 'route_not_found', message: `no route for ${c.req.method} ${c.req.path}`, details: {} } }, 404));
  app.get('/v1/runs', (c) => c.json({ data: [] }));
  app.get('/healthz', (c) => c.json({ ok: true }));
  consoleRoutes(app, dir);
  return app;
}

test('a built console: assets, SPA fallback with CSP, API paths untouched', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Runyard</title><script type="module" src="/assets/app.js"></script>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  const app = appWith(dir);

  for (const path of ['/', '/runs', '/runs/run_123?tab=events', '/tables/tbl_1']) {
    const res = await app.request(path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(res.headers.get('content-security-policy'), CONSOLE_CSP);
    assert.match(await res.text(), /<title>Runyard<\/title>/);
  }
  assert.match(CONSOLE_CSP, /script-src 'self'(;|$)/);
  assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);

  const asset = await app.request('/assets/app.js');
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('content-type') ?? '', /javascript/);
  assert.equal((await app.request('/assets/missing.js')).status, 404);

  // API paths: answered by the API, or its JSON 404, never the console page.
  const api = await app.request('/v1/runs');
  assert.deepEqual(await api.json(), { data: [] });
  assert.equal(api.headers.get('content-security-policy'), null);
  const unknown = await app.request('/v1/nope');
  assert.equal(unknown.status, 404);
  assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'route_not_found');
  assert.equal((await app.request('/healthz')).status, 200);
  // Only GET serves the page.
  assert.equal((await app.request('/runs', { method: 'POST' })).status, 404);
});

test('no console build: a 503 that says how to build it; the API still answers', async () => {
  const app = appWith(join(tempDir(), 'missing'));
  const res = await app.request('/runs');
  assert.equal(res.status, 503);
  assert.match(await res.text(), /console is not built.*npm run build/);
  assert.equal((await app.request('/v1/runs')).status, 200);
});
