/**
 * Deployment-wide settings (migration 0006, table `settings`): values recorded once by the
 * first node that needs them and read by every later one.
 */
import type { SqlContext } from './context.js';

const SECRET_KEY_FINGERPRINT = 'secret_key_fingerprint';

/**
 * Records `fingerprint` as the secret key's fingerprint unless one is recorded already, in one
 * transaction (two nodes starting at once: the first insert wins, the other reads it).
 * @returns the recorded fingerprint, when it was recorded (epoch ms), and whether this call did it
 */
export async function claimSecretKeyFingerprint(
  ctx: SqlContext,
  fingerprint: string,
  now: number,
): Promise<{ fingerprint: string; recorded_at: number; created: boolean }> {
  return ctx.tx(async (db) => {
    const inserted = await db
      .insertInto('settings')
      .values({ key: SECRET_KEY_FINGERPRINT, value: fingerprint, created_at: now })
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('key')
      .executeTakeFirst();
    if (inserted) return { fingerprint, recorded_at: now, created: true };
    const row = await db.selectFrom('settings').select(['value', 'created_at']).where('key', '=', SECRET_KEY_FINGERPRINT).executeTakeFirstOrThrow();
    return { fingerprint: row.value, recorded_at: Number(row.created_at), created: false };
  });
}
