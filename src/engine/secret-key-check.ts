/**
 * Every node of one database must hold the same secret key, or runs sealed on one node cannot
 * be opened on another (their items would fail with `secrets_unavailable`). The first node to
 * start records the fingerprint of its key in the database (`settings`); every later node, `up`
 * or `worker`, compares its own and refuses to start on a mismatch, saying where its key came
 * from and what to do.
 */
import { RunyardError } from '../core/errors.js';
import type { Store } from '../store/port.js';
import { SECRET_KEY_ENV, SECRET_KEY_FILE, type SecretBox, type SecretKeySource } from './secrets.js';

/** Where a node's key came from (engine/secrets.ts `loadSecretKey`). */
export interface KeyOrigin {
  source: SecretKeySource;
  /** The key file, when the key came from one. */
  path?: string | undefined;
}

/** Characters of a fingerprint shown in messages and logs (enough to tell keys apart). */
const SHOWN = 16;

/**
 * Records this node's key fingerprint if none is recorded yet, else checks it.
 * @returns whether this call recorded it (the first node)
 * @throws RunyardError `secret_key_mismatch` naming `RUNYARD_SECRET_KEY` and the key file when
 *   the database's secrets were sealed with another key
 */
export async function checkSecretKey(store: Store, box: SecretBox, origin: KeyOrigin, now: number): Promise<{ recorded: boolean }> {
  const got = await store.claimSecretKeyFingerprint(box.keyFingerprint, now);
  if (got.fingerprint === box.keyFingerprint) return { recorded: got.created };
  const file = origin.path ?? SECRET_KEY_FILE;
  const [mine, fix] =
    origin.source === 'env'
      ? [
          `the key in ${SECRET_KEY_ENV}`,
          `set ${SECRET_KEY_ENV} to the other nodes' key (their ${SECRET_KEY_ENV}, or the content of their <data dir>/${SECRET_KEY_FILE})`,
        ]
      : [
          origin.source === 'generated'
            ? `a new key generated into ${file} (${SECRET_KEY_ENV} is unset and the file did not exist)`
            : `the key in ${file} (${SECRET_KEY_ENV} is unset)`,
          `set ${SECRET_KEY_ENV} to the other nodes' key, or replace ${file} with their ${SECRET_KEY_FILE} (or point --data-dir at a copy of it)`,
        ];
  throw new RunyardError(
    'secret_key_mismatch',
    `secret key: ${mine} is not the key this database's run secrets are sealed with ` +
      `(fingerprint ${box.keyFingerprint.slice(0, SHOWN)}…, recorded ${got.fingerprint.slice(0, SHOWN)}… on ${new Date(got.recorded_at).toISOString()} by the first node); ` +
      `every node of one database needs the same key: ${fix}`,
    { field: SECRET_KEY_ENV, key_file: file, fingerprint: box.keyFingerprint.slice(0, SHOWN), recorded: got.fingerprint.slice(0, SHOWN) },
  );
}
