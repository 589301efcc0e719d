/**
 * Per-run secrets at rest: AES-256-GCM with a key kept outside the database (DESIGN.md §7,
 * reliability.md §4 S6).
 *
 * Stored form (the `runs.overrides_secrets` column):
 * `{"names": ["API_TOKEN", …], "kid": "<key id>", "box": "<base64 of iv(12) | tag(16) | ciphertext>"}`.
 * The plaintext is the JSON of the name → value map; the sorted names are the GCM additional
 * data, so the names shown by the API cannot be changed without breaking the box. `kid` is the
 * first 8 bytes of SHA-256 over the key, in hex: it tells "wrong key" apart from "tampered".
 *
 * The key: `RUNYARD_SECRET_KEY` (64 hex characters, or the base64 of 32 bytes), else the file
 * `<data dir>/secret.key`, generated once with mode 0600. Several nodes sharing one database
 * must share the key, so scale-out deployments set `RUNYARD_SECRET_KEY`.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RunyardError } from '../core/errors.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const AAD_PREFIX = 'runyard:run-secrets:v1\n';

/** The environment variable holding the secret key. */
export const SECRET_KEY_ENV = 'RUNYARD_SECRET_KEY';
/** File name of the generated key inside the data directory. */
export const SECRET_KEY_FILE = 'secret.key';

/** Run secrets cannot be opened: the key changed, or the stored box was altered. */
export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
  readonly code = 'secrets_unavailable';
}

interface Stored {
  names: string[];
  kid?: string;
  box: string;
}

/** Seals and opens per-run secret maps with one AES-256-GCM key. */
export class SecretBox {
  /** Identifies the key (not secret): hex of the first 8 bytes of SHA-256 over it. */
  readonly keyId: string;
  /**
   * The key's fingerprint, recorded in the database by the first node (hex HMAC-SHA-256 of a
   * fixed label under the key): equal keys give equal fingerprints, and it reveals nothing of
   * the key. See engine/secret-key-check.ts.
   */
  readonly keyFingerprint: string;
  readonly #key: Buffer;
  readonly #macKey: Buffer;

  /** @throws RunyardError `validation_failed` when `key` is not 32 bytes */
  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new RunyardError('validation_failed', `secret key: expected ${KEY_BYTES} bytes, got ${key.length}`);
    this.#key = Buffer.from(key);
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
    this.#macKey = createHmac('sha256', key).update('runyard:fingerprint:v1').digest();
    this.keyFingerprint = createHmac('sha256', key).update('runyard:secret-key-fingerprint:v1').digest('hex');
  }

  /** A box with a fresh random key (tests; secrets sealed with it die with the process). */
  static random(): SecretBox {
    return new SecretBox(randomBytes(KEY_BYTES));
  }

  /**
   * Seals `secrets` (name → value). @returns the stored JSON, or `null` for an empty map.
   */
  seal(secrets: Record<string, string>): string | null {
    const names = Object.keys(secrets).sort();
    if (names.length === 0) return null;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(aad(names));
    const plain = JSON.stringify(Object.fromEntries(names.map((n) => [n, secrets[n]])));
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const box = Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
    return JSON.stringify({ names, kid: this.keyId, box } satisfies Stored);
  }

  /**
   * Opens a stored box. @returns the name → value map.
   * @throws SecretBoxError (`secrets_unavailable`) when the JSON is malformed, the box was
   *   sealed with another key, or it was altered.
   */
  open(stored: string): Record<string, string> {
    let parsed: Stored;
    try {
      parsed = JSON.parse(stored) as Stored;
    } catch {
      throw new SecretBoxError('the stored run secrets are not valid JSON');
    }
    if (!parsed || !Array.isArray(parsed.names) || typeof parsed.box !== 'string') throw new SecretBoxError('the stored run secrets are malformed');
    if (parsed.kid !== undefined && parsed.kid !== this.keyId) {
      throw new SecretBoxError(
        `the run secrets were sealed with another key (key id ${String(parsed.kid)}, current ${this.keyId}); was ${SECRET_KEY_ENV} changed?`,
      );
    }
    const raw = Buffer.from(parsed.box, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('the stored run secrets are truncated');
    let plain: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(aad(parsed.names.map(String)));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('the run secrets cannot be decrypted: they were altered or sealed with another key');
    }
    return JSON.parse(plain) as Record<string, string>;
  }

  /**
   * A keyed fingerprint of `value` (HMAC-SHA-256, hex): lets the idempotency check compare
   * secret values without storing anything that could be brute-forced without the key.
   */
  fingerprint(value: string): string {
    return createHmac('sha256', this.#macKey).update(value).digest('hex');
  }
}

function aad(names: string[]): Buffer {
  return Buffer.from(AAD_PREFIX + names.join('\n'), 'utf8');
}

/**
 * Parses a key given as 64 hex characters or as the base64 (or base64url) of 32 bytes.
 * @param source names the variable or file in the error message.
 * @throws RunyardError `validation_failed` naming `source`; the message never shows the value.
 */
export function parseSecretKey(text: string, source: string = SECRET_KEY_ENV): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === KEY_BYTES) return b;
  }
  throw new RunyardError(
    'validation_failed',
    `${source}: expected 64 hex characters or the base64 of 32 random bytes (generate one with \`openssl rand -hex 32\`)`,
    { field: source },
  );
}

/** Where the key came from. */
export type SecretKeySource = 'env' | 'file' | 'generated';

/**
 * Loads the secret key: `env` (normally `process.env.RUNYARD_SECRET_KEY`) when set and
 * non-empty, else `<dataDir>/secret.key`, generating it once (mode 0600, created atomically so
 * two processes starting together agree on one key).
 * @throws RunyardError `validation_failed` naming `RUNYARD_SECRET_KEY` or the key file when the
 *   key is malformed, or when the key file is readable or writable by group or others.
 */
export async function loadSecretKey(opts: { env: string | undefined; dataDir: string }): Promise<{ key: Buffer; source: SecretKeySource; path?: string }> {
  if (opts.env !== undefined && opts.env.trim() !== '') return { key: parseSecretKey(opts.env), source: 'env' };
  const path = join(opts.dataDir, SECRET_KEY_FILE);
  const existing = await readKeyFile(path);
  if (existing) return { key: existing, source: 'file', path };
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(`${randomBytes(KEY_BYTES).toString('hex')}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  let created = false;
  try {
    await chmod(tmp, 0o600);
    await link(tmp, path);
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  const key = await readKeyFile(path);
  if (!key) throw new RunyardError('internal', `${path}: the generated secret key file disappeared`);
  return { key, source: created ? 'generated' : 'file', path };
}

async function readKeyFile(path: string): Promise<Buffer | undefined> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new RunyardError(
      'validation_failed',
      `${path}: the secret key file is accessible by group or others (mode ${(mode & 0o777).toString(8)}); run \`chmod 600 ${path}\``,
      { field: SECRET_KEY_FILE },
    );
  }
  return parseSecretKey(await readFile(path, 'utf8'), path);
}
