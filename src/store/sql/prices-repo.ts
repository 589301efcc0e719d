/**
 * Price versions (migration 0006): each workspace's prices as an append-only list of immutable
 * versions. Setting prices appends `current + 1` unless they equal the current version; a run
 * stores the version it was created with (`runs.price_version`).
 */
import { canonicalPrices, type PriceSource, type PriceTable, type PriceVersion } from '../../core/credits.js';
import { NotFoundError } from '../../core/errors.js';
import type { PriceVersionsTable } from './schema.js';
import type { Db, SqlContext } from './context.js';

function toPriceVersion(r: PriceVersionsTable): PriceVersion {
  return { version: Number(r.version), prices: JSON.parse(r.prices) as PriceTable, source: r.source as PriceSource, created_at: Number(r.created_at) };
}

async function newest(db: Db, ws: string): Promise<PriceVersionsTable | undefined> {
  return db.selectFrom('price_versions').selectAll().where('workspace_id', '=', ws).orderBy('version', 'desc').limit(1).executeTakeFirst();
}

/** The workspace's newest price version, or undefined when prices were never set. */
export async function currentPrices(ctx: SqlContext, ws: string): Promise<PriceVersion | undefined> {
  const r = await newest(ctx.db, ws);
  return r && toPriceVersion(r);
}

/** One price version of the workspace, or undefined. */
export async function getPriceVersion(ctx: SqlContext, ws: string, version: number): Promise<PriceVersion | undefined> {
  const r = await ctx.db.selectFrom('price_versions').selectAll().where('workspace_id', '=', ws).where('version', '=', version).executeTakeFirst();
  return r && toPriceVersion(r);
}

/**
 * Appends a price version unless `prices` equal the current one (then `created: false` and the
 * current version). One transaction; concurrent calls are serialised (SQLite: the writer lock;
 * PostgreSQL: the workspace row is locked), so versions never collide.
 * @throws NotFoundError for an unknown workspace
 */
export async function putPrices(
  ctx: SqlContext,
  ws: string,
  prices: PriceTable,
  source: PriceSource,
  now: number,
): Promise<{ version: PriceVersion; created: boolean }> {
  const text = canonicalPrices(prices);
  return ctx.tx(async (db) => {
    let owner = db.selectFrom('workspaces').select('id').where('id', '=', ws);
    if (ctx.dialect === 'postgres') owner = owner.forUpdate();
    if (!(await owner.executeTakeFirst())) throw new NotFoundError('workspace', ws);
    const current = await newest(db, ws);
    if (current && current.prices === text) return { version: toPriceVersion(current), created: false };
    const row = { workspace_id: ws, version: current ? Number(current.version) + 1 : 1, prices: text, source, created_at: now };
    await db.insertInto('price_versions').values(row).execute();
    return { version: toPriceVersion(row), created: true };
  });
}
