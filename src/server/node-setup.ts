/**
 * What every node sets up alike, `runyard up` and `runyard worker`: the secret key (from
 * `RUNYARD_SECRET_KEY`, else `<data dir>/secret.key`), checked against the fingerprint the
 * database recorded from its first node; and, on `up`, the `RUNYARD_PRICES` bootstrap.
 */
import { RunyardError } from '../core/errors.js';
import { parsePriceTable, type PriceTable } from '../core/credits.js';
import type { Engine } from '../engine/engine.js';
import type { Logger } from '../engine/logger.js';
import { checkSecretKey } from '../engine/secret-key-check.js';
import { loadSecretKey, SecretBox, type SecretKeySource } from '../engine/secrets.js';
import type { Store } from '../store/port.js';

/** A node's secret key, ready to seal and open run secrets. */
export interface NodeKey {
  box: SecretBox;
  source: SecretKeySource;
  path?: string | undefined;
}

/**
 * Loads the secret key exactly as every node does: `key` (normally `RUNYARD_SECRET_KEY`) when
 * set and non-empty, else `<dataDir>/secret.key`, generated once.
 * @throws RunyardError `validation_failed` naming the variable or file (engine/secrets.ts)
 */
export async function loadNodeKey(key: string | undefined, dataDir: string): Promise<NodeKey> {
  const loaded = await loadSecretKey({ env: key, dataDir });
  return { box: new SecretBox(loaded.key), source: loaded.source, path: loaded.path };
}

/**
 * Checks the node's key against the database (recording it on the first start) and logs it.
 * @throws RunyardError `secret_key_mismatch` (engine/secret-key-check.ts)
 */
export async function verifyNodeKey(store: Store, key: NodeKey, now: number, logger: Logger): Promise<void> {
  const { recorded } = await checkSecretKey(store, key.box, key, now);
  if (recorded) logger.info('secret key fingerprint recorded: every node of this database must use this key', { secret_key: key.source });
}

/**
 * The bootstrap prices of `runyard up`: `explicit`, else `RUNYARD_PRICES` (JSON), else none.
 * @throws RunyardError `validation_failed` naming `prices` or `prices.<key>`
 */
export function bootstrapPrices(explicit: PriceTable | undefined): PriceTable | undefined {
  if (explicit !== undefined) return parsePriceTable(explicit);
  const text = process.env.RUNYARD_PRICES;
  if (text === undefined || text.trim() === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RunyardError('validation_failed', 'prices: RUNYARD_PRICES is not valid JSON', { field: 'prices' });
  }
  return parsePriceTable(raw);
}

/**
 * Makes the bootstrap prices the workspace's current version when they differ from it (a new
 * version; runs already created keep theirs), and says so in the log.
 */
export async function applyBootstrapPrices(engine: Engine, prices: PriceTable | undefined, logger: Logger): Promise<void> {
  if (prices === undefined) return;
  const ws = engine.workspaceId;
  const before = await engine.prices.get(ws);
  const { version, created } = await engine.prices.set(ws, prices, 'env');
  if (created) {
    logger.info('prices from RUNYARD_PRICES are now the current version', { price_version: version.version, previous_version: before?.version ?? null });
  } else {
    logger.info('RUNYARD_PRICES equals the current prices; nothing changed', { price_version: version.version });
  }
}
