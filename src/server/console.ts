/**
 * Serves the web console (the Vite build in `dist/console`) at `/`: static assets, and
 * `index.html` for every other GET path outside `/v1` so client-side routes such as
 * `/runs/{id}` (the `web_url` of a run) load on a refresh or a shared link.
 *
 * Every console response carries a strict Content-Security-Policy (scripts and styles only
 * from this origin, no inline script, no plugins, no framing): a second line of defence
 * behind the console's text-only rendering of user data. Without a build, `/` answers 503
 * with a message saying how to build it.
 */
import { serveStatic } from '@hono/node-server/serve-static';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The console build directory: `dist/console`, next to the compiled server (`dist/src/server`). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

/** Content-Security-Policy of console responses. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths the API owns: never answered with the console. */
const API_PATH = /^\/(v1(\/|$)|openapi\.json$|healthz$)/;

/** Adds the console routes; call after every API route. `dir` defaults to {@link CONSOLE_DIR}. */
export function consoleRoutes(app: OpenAPIHono, dir = CONSOLE_DIR): void {
  const indexPath = `${dir}/index.html`;
  app.use('*', async (c, next) => {
    await next();
    if (!API_PATH.test(c.req.path)) {
      c.header('content-security-policy', CONSOLE_CSP);
      c.header('x-content-type-options', 'nosniff');
      c.header('referrer-policy', 'no-referrer');
    }
  });
  if (!existsSync(indexPath)) {
    app.get('*', (c, next) =>
      API_PATH.test(c.req.path) ? next() : c.text(`The console is not built (no ${indexPath}). Run \`npm run build\`, then restart runyard.\n`, 503),
    );
    return;
  }
  app.use('/assets/*', serveStatic({ root: dir }));
  app.get('/favicon.svg', serveStatic({ root: dir }));
  app.get('*', (c, next) => {
    if (API_PATH.test(c.req.path) || c.req.path.startsWith('/assets/')) return next();
    // Read per request: a rebuild while the server runs is picked up; the file is small.
    return c.html(readFileSync(indexPath, 'utf8'), 200, { 'cache-control': 'no-cache' });
  });
}
