/**
 * The ingestion example's API server (`examples/ingestion/server.mjs`), spawned as a real process
 * on a free port of 127.0.0.1: the tests run the example exactly as the README does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root (tests compile to dist/test/helpers/, three levels down). */
const root = fileURLToPath(new URL('../../../', import.meta.url));

/** A running example server. */
export interface ZonesExample {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  child: ChildProcess;
  /** SIGTERM, resolved when the process has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `node <script> --port 0 …args` (a file under examples/) and waits for the first
 * `http://127.0.0.1:PORT` it prints.
 * @throws Error when the server exits or prints no URL within 10 s
 */
export function startExampleServer(script: string, args: string[] = []): Promise<ZonesExample> {
  const child = spawn(process.execPath, [join(root, script), '--port', '0', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${script} printed no URL in 10 s: ${out}`)), 10_000);
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}): ${out}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: m[1]!,
        child,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

/** Starts `node examples/ingestion/server.mjs --port 0 [--delay-ms N]` ({@link startExampleServer}). */
export function startZonesExample(delayMs = 0): Promise<ZonesExample> {
  return startExampleServer('examples/ingestion/server.mjs', ['--delay-ms', String(delayMs)]);
}
