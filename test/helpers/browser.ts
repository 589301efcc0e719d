/**
 * A real Chromium for console tests: Debian's `/usr/bin/chromium` driven by playwright-core
 * (never Playwright's own browser download). Each page arms traps that fail the test: any
 * JavaScript dialog (`alert`, `confirm`, `prompt` — what injected markup would call), any
 * uncaught page error (`window.onerror`), and any Content-Security-Policy violation.
 * Screenshots go to `test-results/screenshots/` (gitignored).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Where the browser lives; override with `RUNYARD_CHROMIUM`. */
export const CHROMIUM_PATH = process.env.RUNYARD_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = 'test-results/screenshots';

/** Launches headless Chromium with flags for a sandbox-less CI container and no network chatter. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
}

/** What the traps caught on one page. */
export interface Traps {
  dialogs: string[];
  pageErrors: string[];
  cspViolations: string[];
  consoleErrors: string[];
  /** Throws when any trap fired (dialogs, page errors, CSP violations). */
  assertClean(): void;
}

const logins = new WeakMap<Browser, { url: string; token: string }>();

/**
 * Makes every later {@link openPage} of `browser` start signed in to the console at `url` with
 * `token` (a session cookie from `POST /v1/session`, as the login page gets it).
 */
export function signInPages(browser: Browser, url: string, token: string | undefined): void {
  if (token === undefined) logins.delete(browser);
  else logins.set(browser, { url, token });
}

/** A new page (own context: fresh storage, downloads allowed; signed in when {@link signInPages} said so) with the traps armed. */
export async function openPage(
  browser: Browser,
  opts: { width?: number; height?: number } = {},
): Promise<{ context: BrowserContext; page: Page; traps: Traps }> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 }, acceptDownloads: true });
  const login = logins.get(browser);
  if (login) {
    // The context's request API shares its cookie jar: the page starts with the session cookie.
    const res = await context.request.post(`${login.url}/v1/session`, { headers: { authorization: `Bearer ${login.token}` } });
    if (!res.ok()) throw new Error(`console sign-in failed: ${res.status()} ${await res.text()}`);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const traps: Traps = {
    dialogs: [],
    pageErrors: [],
    cspViolations: [],
    consoleErrors: [],
    assertClean() {
      const bad = [
        ...traps.dialogs.map((d) => `dialog: ${d}`),
        ...traps.pageErrors.map((e) => `page error: ${e}`),
        ...traps.cspViolations.map((v) => `CSP violation: ${v}`),
      ];
      if (bad.length) throw new Error(`browser traps fired:\n${bad.join('\n')}`);
    },
  };
  page.on('dialog', (d) => {
    traps.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss().catch(() => undefined);
  });
  page.on('pageerror', (err) => traps.pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') traps.consoleErrors.push(msg.text());
  });
  // Page-side traps: window.onerror and CSP violations report back through a binding.
  await page.exposeBinding('__runyardTrap', (_src, kind: string, text: string) => {
    if (kind === 'csp') traps.cspViolations.push(text);
    else traps.pageErrors.push(text);
  });
  // A string: the root tsconfig has no DOM types (this runs in the page).
  await page.addInitScript(`
    window.onerror = (msg) => { window.__runyardTrap('error', String(msg)); };
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__runyardTrap('csp', e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline'));
    });
  `);
  return { context, page, traps };
}

/** Saves a full-page screenshot as `test-results/screenshots/<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * When the page is wider than the viewport (content spilling sideways): a description of up
 * to 5 elements reaching past the right edge; `false` when nothing spills.
 */
export async function hasHorizontalOverflow(page: Page): Promise<false | string> {
  return page.evaluate<false | string>(`(() => {
    if (document.documentElement.scrollWidth <= window.innerWidth + 1 && document.body.scrollWidth <= window.innerWidth + 1) return false;
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(-5)
      .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '') + ' right=' + Math.round(el.getBoundingClientRect().right));
    return 'page is ' + document.documentElement.scrollWidth + ' px wide: ' + wide.join(', ');
  })()`);
}

/** Fails with the offending elements when the page spills sideways. */
export async function assertNoOverflow(page: Page, where: string): Promise<void> {
  const wide = await hasHorizontalOverflow(page);
  if (wide) throw new Error(`${where}: ${wide}`);
}

/**
 * Starts summing layout shifts (Chrome's `layout-shift` entries, as in Cumulative Layout
 * Shift) whose moved elements lie inside `selector`; read the sum with {@link layoutShift}.
 */
export async function watchLayoutShift(page: Page, selector: string): Promise<void> {
  await page.evaluate(`(() => {
    window.__shift = { score: 0, moved: [] };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const inside = (e.sources || []).filter((s) => s.node && s.node.nodeType === 1 && s.node.closest(${JSON.stringify(selector)}));
        if (inside.length === 0) continue;
        window.__shift.score += e.value;
        for (const s of inside) window.__shift.moved.push(s.node.tagName.toLowerCase() + '.' + String(s.node.className) + ' ' + JSON.stringify([s.previousRect.y, s.currentRect.y, s.previousRect.height, s.currentRect.height]));
      }
    }).observe({ type: 'layout-shift' });
  })()`);
}

/** The layout shift summed since {@link watchLayoutShift}, and what moved (at most 10). */
export async function layoutShift(page: Page): Promise<{ score: number; moved: string[] }> {
  return page.evaluate<{ score: number; moved: string[] }>('({ score: window.__shift.score, moved: window.__shift.moved.slice(0, 10) })');
}
