/** Workspaces, tokens and sessions, the audit log and saved credentials (dialect-neutral SQL). */
import type { Role } from '../../core/access.js';
import { ValidationError } from '../../core/errors.js';
import type { AccessStore, AuditRecord, CredentialRecord, TokenRecord, WorkspaceRecord } from '../access-port.js';
import type { Page } from '../port.js';
import { decodeCursor, encodeCursor, type SqlContext } from './context.js';
import type { ApiTokensTable, AuditLogTable } from './schema.js';

type Selected<T> = { [K in keyof T]: T[K] extends import('kysely').Generated<infer U> ? U : T[K] };

function toWorkspace(r: { id: string; name: string; created_by: string | null; created_at: number; updated_at: number }): WorkspaceRecord {
  return { id: r.id, name: r.name, created_by: r.created_by, created_at: Number(r.created_at), updated_at: Number(r.updated_at) };
}

function toToken(r: Omit<ApiTokensTable, 'token_hash'>): TokenRecord {
  return {
    id: r.id,
    workspace_id: r.workspace_id,
    name: r.name,
    role: r.role as Role,
    kind: r.kind === 'session' || r.kind === 'login' ? r.kind : 'api',
    parent_id: r.parent_id,
    created_at: Number(r.created_at),
    expires_at: r.expires_at === null ? null : Number(r.expires_at),
    last_used_at: r.last_used_at === null ? null : Number(r.last_used_at),
    revoked_at: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

function toAudit(r: Selected<AuditLogTable>): AuditRecord {
  return { ...r, seq: Number(r.seq), status: Number(r.status), created_at: Number(r.created_at), outcome: r.outcome as AuditRecord['outcome'] };
}

const TOKEN_COLUMNS = ['id', 'workspace_id', 'name', 'role', 'kind', 'parent_id', 'created_at', 'expires_at', 'last_used_at', 'revoked_at'] as const;

/** The {@link AccessStore} over a SQL context. */
export function sqlAccessStore(ctx: SqlContext): AccessStore {
  const db = ctx.db;
  return {
    async createWorkspace(w) {
      await ctx.tx(async (tx) => {
        await tx
          .insertInto('workspaces')
          .values({ id: w.id, workspace_id: w.id, name: w.name, created_by: w.created_by, created_at: w.created_at, updated_at: w.updated_at })
          .execute();
        await tx
          .insertInto('credit_accounts')
          .values({ workspace_id: w.id, granted: 0, captured: 0, outstanding: 0, adjusted: 0, updated_at: w.created_at })
          .execute();
      });
      return w;
    },
    async getWorkspace(id) {
      const r = await db.selectFrom('workspaces').select(['id', 'name', 'created_by', 'created_at', 'updated_at']).where('id', '=', id).executeTakeFirst();
      return r && toWorkspace(r);
    },
    async listWorkspaces(ws) {
      const rows = await db
        .selectFrom('workspaces')
        .select(['id', 'name', 'created_by', 'created_at', 'updated_at'])
        .where((eb) => eb.or([eb('id', '=', ws), eb('created_by', '=', ws)]))
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toWorkspace);
    },
    async renameWorkspace(id, name, now) {
      await db.updateTable('workspaces').set({ name, updated_at: now }).where('id', '=', id).execute();
      return this.getWorkspace(id);
    },

    async createToken(t, hash) {
      await db
        .insertInto('api_tokens')
        .values({ ...t, token_hash: hash })
        .execute();
      return t;
    },
    async findTokenByHash(hash) {
      const r = await db.selectFrom('api_tokens').select(TOKEN_COLUMNS).where('token_hash', '=', hash).executeTakeFirst();
      return r && toToken(r);
    },
    async getToken(ws, id) {
      const r = await db
        .selectFrom('api_tokens')
        .select(TOKEN_COLUMNS)
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .where('kind', '=', 'api')
        .executeTakeFirst();
      return r && toToken(r);
    },
    async listTokens(ws) {
      const rows = await db
        .selectFrom('api_tokens')
        .select(TOKEN_COLUMNS)
        .where('workspace_id', '=', ws)
        .where('kind', '=', 'api')
        .orderBy('id', 'desc')
        .execute();
      return rows.map(toToken);
    },
    async revokeToken(ws, id, now) {
      return ctx.tx(async (tx) => {
        const r = await tx.selectFrom('api_tokens').select(TOKEN_COLUMNS).where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
        if (!r) return undefined;
        await tx
          .updateTable('api_tokens')
          .set({ revoked_at: now })
          .where('workspace_id', '=', ws)
          .where('revoked_at', 'is', null)
          .where((eb) => eb.or([eb('id', '=', id), eb('parent_id', '=', id)]))
          .execute();
        return toToken({ ...r, revoked_at: r.revoked_at ?? now });
      });
    },
    async consumeToken(ws, id, now) {
      const r = await db
        .updateTable('api_tokens')
        .set({ revoked_at: now })
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async touchToken(id, now) {
      await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
    },
    async countActiveTokens(now) {
      const r = await db
        .selectFrom('api_tokens')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('kind', '=', 'api')
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .executeTakeFirst();
      return Number(r?.n ?? 0);
    },

    async appendAudit(e) {
      await db.insertInto('audit_log').values(e).execute();
    },
    async listAudit(ws, opts) {
      let q = db.selectFrom('audit_log').selectAll().where('workspace_id', '=', ws);
      if (opts.cursor !== undefined) {
        const c = decodeCursor<number>(opts.cursor, 'number');
        if (c === undefined) throw new ValidationError('cursor: not a valid cursor', { field: 'cursor' });
        q = q.where('seq', '<', c);
      }
      const rows = await q
        .orderBy('seq', 'desc')
        .limit(opts.limit + 1)
        .execute();
      const data = rows.slice(0, opts.limit).map(toAudit);
      const last = data.at(-1);
      return { data, next_cursor: rows.length > opts.limit && last ? encodeCursor(last.seq) : null } satisfies Page<AuditRecord>;
    },

    async putCredential(ws, name, box, now) {
      return ctx.tx(async (tx) => {
        const old = await tx
          .selectFrom('credentials')
          .select(['version', 'created_at'])
          .where('workspace_id', '=', ws)
          .where('name', '=', name)
          .executeTakeFirst();
        if (old) {
          const version = Number(old.version) + 1;
          await tx.updateTable('credentials').set({ box, version, updated_at: now }).where('workspace_id', '=', ws).where('name', '=', name).execute();
          return { name, version, created_at: Number(old.created_at), updated_at: now } satisfies CredentialRecord;
        }
        await tx.insertInto('credentials').values({ workspace_id: ws, name, box, version: 1, created_at: now, updated_at: now }).execute();
        return { name, version: 1, created_at: now, updated_at: now };
      });
    },
    async listCredentials(ws) {
      const rows = await db
        .selectFrom('credentials')
        .select(['name', 'version', 'created_at', 'updated_at'])
        .where('workspace_id', '=', ws)
        .orderBy('name')
        .execute();
      return rows.map((r) => ({ name: r.name, version: Number(r.version), created_at: Number(r.created_at), updated_at: Number(r.updated_at) }));
    },
    async getCredentialBox(ws, name) {
      const r = await db.selectFrom('credentials').select('box').where('workspace_id', '=', ws).where('name', '=', name).executeTakeFirst();
      return r?.box;
    },
    async deleteCredential(ws, name) {
      const r = await db.deleteFrom('credentials').where('workspace_id', '=', ws).where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
