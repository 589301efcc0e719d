/**
 * Prices as every node sees them: kept in the database per workspace as immutable versions
 * (store `price_versions`), so an `up` node and a `worker` node price an item alike, and a run
 * is priced to the end by the version current when it was created (`RunRecord.price_version`),
 * whatever is set meanwhile. Versions never change once written, so each one is read from the
 * database once per process and then served from memory.
 */
import { parsePriceTable, type PriceSource, type PriceTable, type PriceVersion } from '../core/credits.js';
import { NotFoundError, RunyardError } from '../core/errors.js';
import type { Clock } from '../core/ids.js';
import type { RunRecord } from '../core/model.js';
import type { Store } from '../store/port.js';

/** No prices: every item costs 0. */
const FREE: PriceTable = Object.freeze({});
const FREE_PROMISE = Promise.resolve(FREE);

/** How many price versions one process keeps in memory. @default 256 */
const MAX_CACHED_VERSIONS = 256;

/** What a new run is priced by: the current version (null when prices were never set). */
export interface CurrentPrices {
  version: number | null;
  prices: PriceTable;
}

/** The prices of a run, looked up by its version (what the executor needs). */
export interface PriceLookup {
  /**
   * The price table of `run`'s `price_version` (empty for a run created without prices).
   * @throws RunyardError `internal` when the version is missing from the database
   */
  forRun(run: Pick<RunRecord, 'workspace_id' | 'price_version'>): Promise<PriceTable>;
}

/** Reads, caches and sets price versions. One per engine. */
export class PriceBook implements PriceLookup {
  readonly #versions = new Map<string, Promise<PriceTable>>();

  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** The workspace's current version and its table, for a run being created now. */
  async current(ws: string): Promise<CurrentPrices> {
    const v = await this.deps.store.currentPrices(ws);
    if (!v) return { version: null, prices: FREE };
    this.remember(ws, v.version, Promise.resolve(v.prices));
    return { version: v.version, prices: v.prices };
  }

  forRun(run: Pick<RunRecord, 'workspace_id' | 'price_version'>): Promise<PriceTable> {
    if (run.price_version === null) return FREE_PROMISE;
    const key = `${run.workspace_id}:${run.price_version}`;
    const hit = this.#versions.get(key);
    if (hit) return hit;
    const version = run.price_version;
    const loading = this.deps.store.getPriceVersion(run.workspace_id, version).then((v) => {
      if (!v) throw new RunyardError('internal', `price version ${version} of workspace ${run.workspace_id} is missing`);
      return v.prices;
    });
    loading.catch(() => this.#versions.delete(key));
    this.remember(run.workspace_id, version, loading);
    return loading;
  }

  /**
   * One version, or the current one when `version` is omitted (undefined: prices never set).
   * @throws NotFoundError when the asked version does not exist
   */
  async get(ws: string, version?: number): Promise<PriceVersion | undefined> {
    if (version === undefined) return this.deps.store.currentPrices(ws);
    const v = await this.deps.store.getPriceVersion(ws, version);
    if (!v) throw new NotFoundError('price version', String(version));
    return v;
  }

  /**
   * Sets the workspace's prices: a new version unless they equal the current one. Runs
   * already created keep their version; runs created from now on use the new one.
   * @param raw price key → µ per unit (validated here)
   * @throws ValidationError naming `prices.<key>` (unknown key; not a whole, non-negative
   *   number of µ up to 10^15); NotFoundError for an unknown workspace
   */
  async set(ws: string, raw: unknown, source: PriceSource): Promise<{ version: PriceVersion; created: boolean }> {
    const prices = parsePriceTable(raw ?? {});
    const res = await this.deps.store.putPrices(ws, prices, source, this.deps.clock.now());
    this.remember(ws, res.version.version, Promise.resolve(res.version.prices));
    return res;
  }

  private remember(ws: string, version: number, prices: Promise<PriceTable>): void {
    const key = `${ws}:${version}`;
    if (this.#versions.has(key)) return;
    this.#versions.set(key, prices);
    while (this.#versions.size > MAX_CACHED_VERSIONS) {
      const oldest = this.#versions.keys().next().value;
      if (oldest === undefined) break;
      this.#versions.delete(oldest);
    }
  }
}
