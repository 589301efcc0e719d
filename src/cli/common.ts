/**
 * Shared pieces of the CLI commands: the client options (`--url`, `--json`), option value
 * parsers that turn bad values into usage errors (exit 2), and file reading.
 */
import { readFileSync, statSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { RunyardClient } from '../sdk/client.js';

/** A usage error raised by a command (unreadable file, bad JSON…): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Ends the command with an exit code after its output was written (e.g. a failed run). */
export class ExitCode extends Error {
  /** @param code the process exit code */
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Options every client command accepts. */
export interface ClientOptions {
  url: string;
  json?: boolean;
  token?: string;
}

/** The default server address: `RUNYARD_URL`, else `http://127.0.0.1:${RUNYARD_PORT ?? 8686}`. */
export function defaultUrl(): string {
  return process.env.RUNYARD_URL || `http://127.0.0.1:${process.env.RUNYARD_PORT || 8686}`;
}

/** Adds `--url`, `--token` and `--json` to a client command. */
export function clientCommand(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'server address (env RUNYARD_URL)', parseUrl, defaultUrl())
    .option('--token <token>', 'API token (prefer env RUNYARD_TOKEN: arguments are visible to other users in ps; default <data-dir>/admin.token)')
    .option('--json', 'machine output: the API JSON');
}

/**
 * The API token of a client command: `--token`, else `RUNYARD_TOKEN`, else the admin token
 * `runyard up` wrote into the data directory (`RUNYARD_DATA_DIR`, default `./.runyard`).
 * A token file readable by group or others is refused.
 * @throws UsageError
 */
export function resolveToken(opts: { token?: string | undefined }): string | undefined {
  if (opts.token !== undefined && opts.token !== '') {
    process.stderr.write('warning: --token is visible to other users of this machine (ps); prefer RUNYARD_TOKEN\n');
    return opts.token.trim();
  }
  const env = process.env.RUNYARD_TOKEN;
  if (env !== undefined && env.trim() !== '') return env.trim();
  const path = join(process.env.RUNYARD_DATA_DIR || './.runyard', 'admin.token');
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    return undefined;
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) throw new UsageError(`${path} is readable by group or others; run \`chmod 600 ${path}\``);
  return readFileSync(path, 'utf8').trim() || undefined;
}

/**
 * The server address and token of the `--url` and `--token` options, as SDK clients take them.
 * @throws UsageError naming `--url` when it is not an http(s) URL
 */
export function connectionOf(opts: ClientOptions): { baseUrl: string; token?: string } {
  let baseUrl: string;
  try {
    baseUrl = parseUrl(opts.url);
  } catch (err) {
    throw new UsageError(`--url: ${(err as Error).message}`);
  }
  const token = resolveToken(opts);
  return { baseUrl, ...(token === undefined ? {} : { token }) };
}

/** A client for the `--url` and `--token` options. */
export function clientOf(opts: ClientOptions): RunyardClient {
  return new RunyardClient(connectionOf(opts));
}

/** Parses an http(s) URL. */
export function parseUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidArgumentError(`expected an http:// or https:// URL, got ${JSON.stringify(value)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError(`expected an http:// or https:// URL, got ${JSON.stringify(value)}`);
  return value.replace(/\/+$/, '');
}

/** Parser of an integer option within `[min, max]`. */
export function intOption(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

/** `--limit` parser: 1 to 1000. */
export const parseLimit = intOption(1, 1000);

/** Parser of an ISO-8601 time option. */
export function parseTime(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(Date.parse(value)))
    throw new InvalidArgumentError('expected an ISO-8601 time such as 2026-11-21T07:00:00Z');
  return value;
}

/** Parser of a comma-separated list whose every value `check` accepts. */
export function listOption(what: string, check: (v: string) => boolean): (value: string) => string {
  return (value) => {
    const bad = value.split(',').filter((v) => !check(v));
    if (bad.length > 0) throw new InvalidArgumentError(`unknown ${what} ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
    return value;
  };
}

/** Parser of a comma list from a fixed vocabulary. */
export function oneOfList(what: string, values: readonly string[]): (value: string) => string {
  return listOption(what, (v) => values.includes(v.trim().toLowerCase()));
}

/** Parser of one value from a fixed vocabulary. */
export function oneOf<T extends string>(what: string, values: readonly T[]): (value: string) => T {
  return (value) => {
    const v = value.trim().toLowerCase();
    if (!(values as readonly string[]).includes(v)) throw new InvalidArgumentError(`unknown ${what} ${JSON.stringify(value)} (use ${values.join(', ')})`);
    return v as T;
  };
}

/** Reads a UTF-8 file named on the command line; a failure is a usage error. */
export async function readTextFile(path: string, what = 'file'): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new UsageError(`cannot read ${what} ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

/** Opens a file for reading. @throws UsageError `cannot read file PATH (ENOENT)` */
export async function openFile(path: string, what = 'file'): Promise<FileHandle> {
  try {
    const handle = await open(path, 'r');
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
    return handle;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new UsageError(`cannot read ${what} ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

/** Parses JSON given on the command line (or read from a file); a failure is a usage error. */
export function parseJsonArg(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}
