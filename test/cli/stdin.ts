/** Running the real `runyard` binary with text on its standard input (secrets from stdin). */
import { spawn } from 'node:child_process';
import { bin, currentToken, root, type Result } from './helpers.js';

/** Runs `runyard …args` (cwd = repo root, NO_COLOR, silent logs) writing `input` to its stdin. */
export function runCliWithInput(args: string[], input: string, env: Record<string, string> = {}, timeoutMs = 20_000): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', RUNYARD_LOG_LEVEL: 'silent', ...currentToken(), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}
