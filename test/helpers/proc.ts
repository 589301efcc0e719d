/** Spawning `runyard up` as a real child process for fault tests and benchmarks. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { authFetch } from './auth.js';

export interface RunyardProcess {
  url: string;
  /** The admin token `up` wrote into its data dir (absent when the database already had tokens). */
  token?: string;
  /** The one-time console login URL `up` printed (null when it had no admin token file). */
  loginUrl: string | null;
  /** `fetch` with the admin token (or the `RUNYARD_TOKEN` given in env) as `Authorization: Bearer`. */
  fetch: typeof fetch;
  proc: ChildProcess;
  pid: number;
  /** Sends a signal and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const dataDirs = new Map<string, string>();
/** The admin token of each `up` this process started, by its URL (see {@link tokenOf}). */
const tokens = new Map<string, string>();

/** The admin token of the `up` node listening at `url` that {@link spawnRunyard} started, if any. */
export function tokenOf(url: string): string | undefined {
  return tokens.get(url);
}

/**
 * The data directory of the nodes of one database when a test names none: a temp dir per
 * database (so every `up` and `worker` of one database shares one secret key, as deployed nodes
 * must, and a restarted node finds its key again); a fresh one without a database. No test
 * writes a key into the repository's `./.runyard`.
 */
export function dataDirFor(database: string | undefined): string {
  if (database === undefined) return mkdtempSync(join(tmpdir(), 'runyard-data-'));
  let dir = dataDirs.get(database);
  if (!dir) dataDirs.set(database, (dir = mkdtempSync(join(tmpdir(), 'runyard-data-'))));
  return dir;
}

/**
 * Starts `node bin/runyard.js up --json --port 0 …` and resolves once it prints its URL.
 * @param timeoutMs how long to wait for the URL line. @default 20000
 */
export function spawnRunyard(args: string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<RunyardProcess> {
  const at = args.indexOf('--database');
  const database = at >= 0 ? args[at + 1] : undefined;
  // The database's data dir (secret key, admin token, …) unless the caller names one (dataDirFor).
  const dataDir = env.RUNYARD_DATA_DIR ?? dataDirFor(database);
  const proc = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF_DIR] : []),
      'bin/runyard.js',
      'up',
      '--json',
      '--port',
      '0',
      ...args,
    ],
    {
      env: { ...process.env, RUNYARD_LOG_LEVEL: 'warn', RUNYARD_DATA_DIR: dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`runyard up did not print its URL within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    const onEarlyExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`runyard up exited with ${code}; stderr: ${stderr}`));
    };
    proc.once('exit', onEarlyExit);
    const rl = createInterface({ input: proc.stdout! });
    rl.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { url?: string; login_url?: string | null };
        if (!msg.url) return;
        clearTimeout(timer);
        proc.off('exit', onEarlyExit);
        const token = existsSync(join(dataDir, 'admin.token')) ? readFileSync(join(dataDir, 'admin.token'), 'utf8').trim() : env.RUNYARD_TOKEN;
        if (token !== undefined) tokens.set(msg.url, token);
        resolve({
          url: msg.url,
          ...(token === undefined ? {} : { token }),
          loginUrl: msg.login_url ?? null,
          fetch: authFetch(token),
          proc,
          pid: proc.pid!,
          kill: async (signal = 'SIGTERM') => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
            await exited;
          },
        });
      } catch {
        // not the JSON line
      }
    });
  });
}

/**
 * A JSON request to a node's API over HTTP: GET without a body, POST with one.
 * @returns the answer's JSON. @throws Error naming the path and status for a non-2xx answer
 */
export async function nodeApi(url: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const token = tokenOf(url);
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const init: RequestInit =
    body === undefined ? { headers } : { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const res = await fetch(`${url}${path}`, init);
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * Polls `GET /v1/runs/{runId}` until the run is terminal (the condition, not a fixed wait).
 * @returns the terminal run. @throws Error naming the last status after `timeoutMs`
 */
export async function waitForRunOver(url: string, runId: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await nodeApi(url, `/v1/runs/${runId}`);
    if (['succeeded', 'partial', 'failed', 'canceled'].includes(String(run.status))) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${String(run.status)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Peak resident set size of a live process, bytes (Linux `VmHWM`). */
/** CPU time (user + system) a live process has used so far, in µs (`/proc/<pid>/stat`, clock ticks of 10 ms). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

export function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : 0;
}
