/** Shared pieces of the CLI tests: running the real binary, ports, control characters. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root (tests compile to dist/test/cli/, three levels down). */
export const root = fileURLToPath(new URL('../../../', import.meta.url));
/** The real `runyard` binary. */
export const bin = join(root, 'bin', 'runyard.js');

/** Exit code and output of one `runyard` process. */
export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let cliToken: string | undefined;

/**
 * The API token every later {@link runCli} passes as `RUNYARD_TOKEN` (the admin token the test's
 * server created), unless the call's own env sets one.
 */
export function useToken(token: string | undefined): void {
  cliToken = token;
}

/** `{ RUNYARD_TOKEN }` of {@link useToken}, or `{}`. */
export function currentToken(): Record<string, string> {
  return cliToken === undefined ? {} : { RUNYARD_TOKEN: cliToken };
}

/** Runs the real binary (cwd = repo root, NO_COLOR, silent server logs); `code` is the exit code. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        cwd: root,
        timeout: 20_000,
        maxBuffer: 32 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: '1', RUNYARD_LOG_LEVEL: 'silent', ...currentToken(), ...env },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Control characters in `s` other than line feeds. */
export function controlChars(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0)).filter((c) => (c < 32 && c !== 10) || (c >= 0x7f && c <= 0x9f));
}

/** A TCP server listening on a free local port (close it when done). */
export async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  assert.ok(addr && typeof addr === 'object');
  return { server, port: addr.port };
}

/** A TCP port nothing listens on. */
export async function closedPort(): Promise<number> {
  const { server, port } = await listening();
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
