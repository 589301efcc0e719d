/**
 * Console test plumbing: a real `runyard up` on a fresh SQLite file with a browser, the
 * example table and column loaded through the API, keyboard navigation, and downloads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { RunyardClient } from '../../src/sdk/client.js';
import type { Run } from '../../src/sdk/types.js';
import { launchBrowser, signInPages } from './browser.js';
import { tempDir } from './fixtures.js';
import { spawnRunyard, type RunyardProcess } from './proc.js';

export interface ConsoleServer {
  server: RunyardProcess;
  client: RunyardClient;
  browser: Browser;
  /** The SQLite file the server uses (for a `runyard worker` on the same database). */
  database: string;
  close(): Promise<void>;
}

/** Starts `runyard up` on a fresh SQLite file (extra `args`, e.g. `--no-executor`; extra `env`, e.g. `RUNYARD_JS_DIR`) and Chromium. */
export async function startConsoleServer(args: string[] = [], env: Record<string, string> = {}): Promise<ConsoleServer> {
  const database = join(tempDir('runyard-console-'), 'runyard.db');
  const server = await spawnRunyard(['--database', database, ...args], env, 30_000);
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (err) {
    await server.kill();
    throw err;
  }
  signInPages(browser, server.url, server.token);
  return {
    server,
    client: new RunyardClient({ baseUrl: server.url, ...(server.token === undefined ? {} : { token: server.token }) }),
    browser,
    database,
    async close() {
      await browser.close().catch(() => undefined);
      await server.kill();
    },
  };
}

/** Imports examples/countries.csv and adds the example `size_class` column; returns the table id. */
export async function loadCountries(client: RunyardClient, name = 'countries'): Promise<string> {
  const table = await client.importTable(name, 'csv', readFileSync('examples/countries.csv', 'utf8'));
  const column = JSON.parse(readFileSync('examples/countries-size-class.column.json', 'utf8')) as Parameters<RunyardClient['addColumn']>[1];
  await client.addColumn(table.id, column);
  return table.id;
}

/** Polls until the run is terminal. */
export async function waitForRun(
  client: RunyardClient,
  id: string,
  timeoutMs = 60_000,
  done = (r: Run) => ['succeeded', 'partial', 'failed', 'canceled'].includes(r.status),
): Promise<Run> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = await client.getRun(id);
    if (done(run)) return run;
    if (Date.now() > until) throw new Error(`run ${id} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Presses Tab (at most `maxTabs` times) until the focused element matches `selector`, so a
 * test proves a control is reachable by keyboard. @throws when it never gets focus
 */
export async function tabTo(page: Page, selector: string, maxTabs = 80): Promise<void> {
  for (let i = 0; i < maxTabs; i++) {
    await page.keyboard.press('Tab');
    if (await page.locator(`${selector}:focus`).count()) return;
  }
  throw new Error(`${selector} was not reached with ${maxTabs} Tab presses`);
}

/** Clicks `trigger` and returns the downloaded file's text and suggested name. */
export async function download(page: Page, click: () => Promise<void>): Promise<{ text: string; filename: string }> {
  const [d] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = await d.path();
  return { text: readFileSync(path, 'utf8'), filename: d.suggestedFilename() };
}
