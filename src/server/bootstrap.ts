/**
 * Zero set-up stays zero (issue 17): the first `runyard up` creates an admin token of the
 * default workspace into `<data dir>/admin.token` (mode 0600), where the CLI on the same
 * machine finds it, and every start prints a one-time console login URL made from it.
 * Listening on a non-loopback address while no token exists at all is refused: the server
 * would otherwise have to either stay open or lock everyone out.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunyardError } from '../core/errors.js';
import type { Engine } from '../engine/engine.js';
import { isLoopbackHost } from './auth/origin.js';

/** File name of the bootstrap admin token inside the data directory. */
export const ADMIN_TOKEN_FILE = 'admin.token';

/** What {@link bootstrapAdminToken} found or made. */
export interface Bootstrap {
  /** The admin token from the data directory, when it is there and valid. */
  secret?: string;
  /** Whether this start created it. */
  created: boolean;
  path: string;
}

/** Reads `<dataDir>/admin.token` (undefined when absent). @throws RunyardError when group/others can read it */
export async function readAdminTokenFile(dataDir: string): Promise<string | undefined> {
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch {
    return undefined;
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new RunyardError('validation_failed', `${path}: the admin token file is readable by group or others; run \`chmod 600 ${path}\``, {
      field: ADMIN_TOKEN_FILE,
    });
  }
  return (await readFile(path, 'utf8')).trim();
}

/**
 * Ensures an admin token exists when none does. `create` (`--create-admin-token`) allows it
 * on a non-loopback address.
 * @throws RunyardError `validation_failed` when listening on a non-loopback address with no token
 */
export async function bootstrapAdminToken(engine: Engine, dataDir: string, opts: { host: string; create: boolean }): Promise<Bootstrap> {
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  const existing = await readAdminTokenFile(dataDir);
  if (existing !== undefined && (await engine.access.tokenOf(existing))) return { secret: existing, created: false, path };
  if ((await engine.access.activeTokenCount()) > 0) return { created: false, path };
  if (!isLoopbackHost(opts.host) && !opts.create) {
    throw new RunyardError(
      'validation_failed',
      `refusing to listen on ${opts.host}: no API token exists, so the API would be open to the network. ` +
        `Start once with --create-admin-token (it writes an admin token to ${path}, mode 0600), or start on 127.0.0.1 first and create tokens with \`runyard tokens create\``,
      { field: 'host' },
    );
  }
  const { token, secret } = await engine.access.createToken(engine.workspaceId, { name: 'local admin', role: 'admin' });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  await engine.access.audit({
    workspace_id: engine.workspaceId,
    token_id: token.id,
    token_name: token.name,
    method: 'BOOTSTRAP',
    route: 'runyard up',
    target_id: token.id,
    status: 201,
    outcome: 'ok',
  });
  return { secret, created: true, path };
}

/** A one-time console login URL (`/login#code=…`, valid 15 minutes) for the admin token. */
export async function loginUrl(engine: Engine, baseUrl: string, secret: string): Promise<string | undefined> {
  const token = await engine.access.tokenOf(secret);
  if (!token) return undefined;
  return `${baseUrl}/login#code=${await engine.access.createLoginCode(token)}`;
}
