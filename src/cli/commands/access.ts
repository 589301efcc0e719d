/**
 * `runyard tokens create|list|revoke`, `runyard workspaces create|list|rename`,
 * `runyard audit list` and `runyard whoami` (issue 17). A token's secret is printed once, at
 * creation; nothing else ever shows it.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ROLES } from '../../core/access.js';
import type { AuditEntry, Token, Workspace } from '../../sdk/types.js';
import { clientCommand, clientOf, oneOf, parseLimit, type ClientOptions } from '../common.js';
import { clean, nextPage, print, printJson, table, time } from '../output.js';

/** Parses `--expires-in`: `<n>h` or `<n>d` (1 hour to 10 years) into an ISO-8601 time. */
function parseExpiresIn(value: string): string {
  const m = /^(\d{1,6})([hd])$/.exec(value.trim());
  const hours = m ? Number(m[1]) * (m[2] === 'd' ? 24 : 1) : NaN;
  if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 3650) throw new InvalidArgumentError('expected a duration such as 12h or 30d');
  return new Date(Date.now() + hours * 3_600_000).toISOString();
}

function printTokens(list: Token[]): void {
  print(
    table(
      ['ID', 'NAME', 'ROLE', 'LAST USED', 'EXPIRES', 'REVOKED'],
      list.map((t) => [t.id, clean(t.name), t.role, time(t.last_used_at), time(t.expires_at), time(t.revoked_at)]),
    ),
  );
}

function printWorkspaces(list: Workspace[]): void {
  print(
    table(
      ['ID', 'NAME', 'CREATED BY', 'CREATED'],
      list.map((w) => [w.id, clean(w.name), w.created_by ?? '-', time(w.created_at)]),
    ),
  );
}

function printAudit(list: AuditEntry[]): void {
  print(
    table(
      ['TIME', 'TOKEN', 'METHOD', 'ROUTE', 'TARGET', 'STATUS', 'OUTCOME'],
      list.map((e) => [time(e.created_at), clean(e.token_name ?? e.token_id ?? '-'), e.method, e.route, e.target_id ?? '-', String(e.status), e.outcome]),
    ),
  );
}

/** Registers the access command groups. */
export function registerAccess(program: Command): void {
  const tokens = program.command('tokens').description('API tokens of the workspace (admin)');
  clientCommand(
    tokens
      .command('create')
      .description('create a token; its secret is printed once')
      .requiredOption('--name <name>', 'what the token is for')
      .option('--role <role>', `one of ${ROLES.join(', ')} (default viewer)`, oneOf('role', ROLES), 'viewer')
      .option('--expires-in <duration>', 'expire after e.g. 12h or 90d (default never)', parseExpiresIn)
      .option('--workspace <id>', 'a workspace this one manages (default this one)'),
  ).action(async (opts: ClientOptions & { name: string; role: string; expiresIn?: string; workspace?: string }) => {
    const res = await clientOf(opts).createToken({
      name: opts.name,
      role: opts.role,
      ...(opts.expiresIn === undefined ? {} : { expires_at: opts.expiresIn }),
      ...(opts.workspace === undefined ? {} : { workspace_id: opts.workspace }),
    });
    if (opts.json) printJson(res);
    else {
      print(`created ${res.token.id} (${res.token.role}, workspace ${res.token.workspace_id})`);
      print(`token (shown once; store it now): ${res.secret}`);
    }
  });
  clientCommand(tokens.command('list').description('list tokens (never their secrets)')).action(async (opts: ClientOptions) => {
    const list = await clientOf(opts).listTokens();
    if (opts.json) printJson(list);
    else printTokens(list.data);
  });
  clientCommand(tokens.command('revoke').description('revoke a token and its console sessions').argument('<token>', 'token id (tok_…)')).action(
    async (id: string, opts: ClientOptions) => {
      const t = await clientOf(opts).revokeToken(id);
      if (opts.json) printJson(t);
      else print(`revoked ${t.id} (${clean(t.name)})`);
    },
  );

  const ws = program.command('workspaces').description('workspaces: this one and those it created (admin)');
  clientCommand(ws.command('create').description('create a workspace and its first admin token (printed once)').argument('<name>')).action(
    async (name: string, opts: ClientOptions) => {
      const res = await clientOf(opts).createWorkspace(name);
      if (opts.json) printJson(res);
      else {
        print(`created ${res.workspace.id} (${clean(res.workspace.name)})`);
        print(`admin token of the new workspace (shown once): ${res.secret}`);
      }
    },
  );
  clientCommand(ws.command('list').description('list workspaces')).action(async (opts: ClientOptions) => {
    const list = await clientOf(opts).listWorkspaces();
    if (opts.json) printJson(list);
    else printWorkspaces(list.data);
  });
  clientCommand(ws.command('rename').description('rename a workspace').argument('<workspace>', 'workspace id').argument('<name>')).action(
    async (id: string, name: string, opts: ClientOptions) => {
      const w = await clientOf(opts).renameWorkspace(id, name);
      if (opts.json) printJson(w);
      else print(`renamed ${w.id} to ${clean(w.name)}`);
    },
  );

  const audit = program.command('audit').description('the audit log of writes (admin)');
  clientCommand(
    audit
      .command('list')
      .description('audit entries, newest first')
      .option('--limit <n>', 'entries per page, 1 to 1000 (default 50)', parseLimit)
      .option('--cursor <cursor>', 'next_cursor of the previous page'),
  ).action(async (opts: ClientOptions & { limit?: number; cursor?: string }) => {
    const page = await clientOf(opts).listAudit({
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
    });
    if (opts.json) printJson(page);
    else {
      printAudit(page.data);
      nextPage(page.next_cursor);
    }
  });

  clientCommand(program.command('whoami').description('the workspace and role of the token in use')).action(async (opts: ClientOptions) => {
    const s = await clientOf(opts).whoami();
    if (opts.json) printJson(s);
    else print(`${clean(s.token_name)}: ${s.role} in ${clean(s.workspace_name)} (${s.workspace_id})`);
  });
}
