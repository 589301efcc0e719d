/** Shared test fixtures: temp dirs, a migrated SQLite store on a real file, an engine, waiting. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import type { EngineOptions } from '../../src/engine/options.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { RunRecord } from '../../src/core/model.js';
import { isTerminalRun } from '../../src/core/status.js';
import type { Backend } from './backends.js';

/** A fresh temp directory. */
export function tempDir(prefix = 'runyard-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a user module for the `js` producer and returns its path. */
export function writeModule(dir: string, name: string, source: string): string {
  const p = join(dir, name);
  writeFileSync(p, source);
  return p;
}

/** A migrated SQLite store on a real file in a fresh temp dir. */
export async function sqliteStore(dir = tempDir()): Promise<SqliteStore> {
  const store = SqliteStore.open({ path: join(dir, 'runyard.db') });
  await store.migrate();
  return store;
}

/** Test timing: short leases and fast sweeps so fault tests finish in seconds. */
export const FAST: Partial<EngineOptions> = { leaseMs: 1500, heartbeatMs: 400, sweepMs: 200, pollMs: 50, shutdownGraceMs: 2000 };

/**
 * An engine over a fresh store (SQLite file by default, or the given backend's) with the
 * built-in producers resolving modules from `baseDir`.
 */
export async function testEngine(opts: { baseDir?: string; options?: Partial<EngineOptions>; backend?: Backend } = {}): Promise<Engine> {
  const store = opts.backend ? (await opts.backend.open()).store : await sqliteStore();
  return createEngine({ store, producers: createProducerRegistry({ baseDir: opts.baseDir ?? process.cwd() }), options: { ...FAST, ...opts.options } });
}

/** Polls until the run is terminal (or throws after `timeoutMs`). */
export async function waitForRun(engine: Engine, runId: string, timeoutMs = 20_000): Promise<RunRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await engine.runs.getRun(engine.workspaceId, runId);
    if (isTerminalRun(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Polls `fn` every 25 ms until it returns something other than undefined (a condition, not a
 * fixed wait). @returns that value. @throws Error naming `what` after `ms`
 */
export async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One producer call a test module logged as a line `<key> <pid> <epoch ms>` in a marker file. */
export interface MarkerCall {
  key: string;
  pid: number;
  at: number;
}

/** The calls logged in a marker file, in file order. */
export function markerCalls(marker: string): MarkerCall[] {
  return readFileSync(marker, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [key, pid, at] = l.split(' ');
      return { key: String(key), pid: Number(pid), at: Number(at) };
    });
}
