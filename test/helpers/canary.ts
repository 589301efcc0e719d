/**
 * Canary-secret scanning (reliability.md §4 S6): the forms a leaked secret can take, counting
 * them in text or raw bytes, the API paths a leak test must read, and a `runyard up` child
 * process whose whole stdout and stderr are kept.
 *
 * To cover a new surface (exports, bulk operations, the console), add its GET paths to
 * {@link scanPaths} — the canary test fetches every one and counts canaries in the answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Every form of `canary` a leak may show: plain, base64 (padded, unpadded, url), URL-encoded, hex, JSON-escaped. */
export function canaryForms(canary: string): string[] {
  const b64 = Buffer.from(canary).toString('base64');
  const forms = [
    canary,
    b64,
    b64.replace(/=+$/, ''),
    Buffer.from(canary).toString('base64url'),
    encodeURIComponent(canary),
    new URLSearchParams({ s: canary }).toString().slice(2),
    Buffer.from(canary).toString('hex'),
    JSON.stringify(canary).slice(1, -1),
  ];
  return [...new Set(forms)];
}

/** One canary form found somewhere. */
export interface Hit {
  where: string;
  canary: string;
  form: string;
  count: number;
}

function countIn(haystack: Buffer, needle: Buffer): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) n += 1;
  return n;
}

/** Counts every form of every canary in `haystack` (text, or raw bytes searched as UTF-8). */
export function findCanaries(where: string, haystack: string | Buffer, canaries: readonly string[]): Hit[] {
  const bytes = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : haystack;
  const hits: Hit[] = [];
  for (const canary of canaries) {
    for (const form of canaryForms(canary)) {
      const count = countIn(bytes, Buffer.from(form, 'utf8'));
      if (count > 0) hits.push({ where, canary, form, count });
    }
  }
  return hits;
}

/** What the scan paths are built from. */
export interface ScanTargets {
  runIds: string[];
  tableId: string;
  rowIds: string[];
  columns: string[];
}

/**
 * Every API path (GET) whose answer a canary test reads: runs (list, filtered lists, each run,
 * its items, failed items, events, item slice and timeline), the table's columns and every cell.
 */
export function scanPaths(t: ScanTargets): string[] {
  const paths = [
    '/v1/runs?limit=1000',
    '/v1/runs?trigger=manual&limit=1000',
    '/v1/runs?status=partial,failed,succeeded&limit=1000',
    `/v1/tables/${t.tableId}/columns`,
  ];
  for (const id of t.runIds) {
    paths.push(`/v1/runs/${id}`, `/v1/runs/${id}/items?limit=1000`, `/v1/runs/${id}/items?status=failed&limit=1000`, `/v1/runs/${id}/events?limit=1000`);
    // The console's reads (routes/run-insight.ts).
    paths.push(`/v1/runs/${id}/items/slice?limit=1000`, `/v1/runs/${id}/timeline?limit=1000`);
  }
  for (const row of t.rowIds) for (const column of t.columns) paths.push(`/v1/tables/${t.tableId}/cells/${row}/${column}`);
  return paths;
}

/** Export endpoints to scan (their bodies are CSV, NDJSON or JSON, read as text). */
export function exportScanPaths(t: ScanTargets): string[] {
  const paths: string[] = [];
  for (const format of ['json', 'ndjson', 'csv']) {
    paths.push(`/v1/runs/export?format=${format}`);
    for (const id of t.runIds) paths.push(`/v1/runs/${id}/export?format=${format}`);
  }
  return paths;
}

/** A `runyard up` child process with all of its output kept. */
export interface CapturedRunyard {
  url: string;
  proc: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `node bin/runyard.js up --json --port 0 …args` in `cwd` and resolves with its URL. */
export function spawnCapturedRunyard(binPath: string, cwd: string, args: string[], env: Record<string, string>, timeoutMs = 20_000): Promise<CapturedRunyard> {
  const proc = spawn(process.execPath, [binPath, 'up', '--json', '--port', '0', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`runyard up printed no URL within ${timeoutMs} ms; stderr: ${err}`));
    }, timeoutMs);
    const onEarlyExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`runyard up exited with ${code}; stderr: ${err}`));
    };
    proc.once('exit', onEarlyExit);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let url: string | undefined;
      try {
        url = (JSON.parse(line) as { url?: string }).url;
      } catch {
        return;
      }
      if (!url) return;
      clearTimeout(timer);
      proc.off('exit', onEarlyExit);
      resolve({
        url,
        proc,
        stdout: () => out,
        stderr: () => err,
        stop: async () => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
          return exited;
        },
      });
    });
  });
}
