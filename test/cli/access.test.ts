/**
 * Zero set-up stays zero, and the access commands: the first `runyard up` writes an admin
 * token (mode 0600) into its data dir and prints a one-time login URL; the CLI on the same
 * machine finds the token there with no flag; `runyard tokens create|list|revoke`,
 * `workspaces`, `audit list`, `whoami`; a non-loopback address with no token refuses to start.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/fixtures.js';
import { bin, root, runCli } from './helpers.js';

describe('runyard up: zero set-up and the access commands', () => {
  const dir = tempDir('runyard-access-');
  const data = join(dir, 'data');
  let child: ChildProcess;
  let url = '';
  let out = '';
  const env = { RUNYARD_DATA_DIR: data, RUNYARD_TOKEN: '' };

  before(async () => {
    child = spawn(process.execPath, [bin, 'up', '--port', '0'], {
      cwd: root,
      env: { ...process.env, RUNYARD_LOG_LEVEL: 'silent', RUNYARD_DATA_DIR: data },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no login URL within 20 s: ${out}`)), 20_000);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Runyard is up at (\S+)/.exec(out);
        if (m && /Console login/.test(out)) {
          url = m[1] ?? '';
          clearTimeout(timer);
          resolve();
        }
      });
    });
  });
  after(async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  });

  test('the admin token is in the data dir (0600); the login URL is one-time; the CLI needs no flag', async () => {
    const file = join(data, 'admin.token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const token = readFileSync(file, 'utf8').trim();
    assert.match(token, /^ryd_[0-9a-f]{48}$/);
    assert.ok(!out.includes(token), 'the admin token itself is never printed');
    assert.match(out, /Outbound http: loopback allowed/);
    const login = /Console login \(one-time link, valid 15 minutes\): (\S+)/.exec(out)?.[1] ?? '';
    const code = new URL(login).hash.replace('#code=', '');
    const first = await fetch(`${url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    assert.equal(first.status, 201);
    const again = await fetch(`${url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    assert.equal(again.status, 401);
    const who = await runCli(['whoami', '--url', url], env);
    assert.equal(who.code, 0, who.stderr);
    assert.match(who.stdout, /local admin: admin in default/);
  });

  test('tokens create|list|revoke, workspaces, audit list', async () => {
    const created = await runCli(['tokens', 'create', '--name', 'ci', '--role', 'viewer', '--expires-in', '30d', '--json', '--url', url], env);
    assert.equal(created.code, 0, created.stderr);
    const { token, secret } = JSON.parse(created.stdout) as { token: { id: string; role: string }; secret: string };
    assert.equal(token.role, 'viewer');
    const asViewer = await runCli(['tables', 'import', 'examples/countries.csv', '--url', url], { ...env, RUNYARD_TOKEN: secret });
    assert.equal(asViewer.code, 1);
    assert.match(asViewer.stderr, /forbidden: .*needs the editor role; this token is viewer/);
    const list = await runCli(['tokens', 'list', '--url', url], env);
    assert.match(list.stdout, /│ ci\s+│ viewer │/);
    assert.ok(!list.stdout.includes(secret));
    assert.equal((await runCli(['tokens', 'revoke', token.id, '--url', url], env)).code, 0);
    const revoked = await runCli(['runs', 'list', '--url', url], { ...env, RUNYARD_TOKEN: secret });
    assert.equal(revoked.code, 1);
    assert.match(revoked.stderr, /unauthorized/);
    const ws = await runCli(['workspaces', 'create', 'team b', '--json', '--url', url], env);
    assert.equal(ws.code, 0, ws.stderr);
    const wsId = (JSON.parse(ws.stdout) as { workspace: { id: string } }).workspace.id;
    assert.equal((await runCli(['workspaces', 'rename', wsId, 'team bee', '--url', url], env)).code, 0);
    assert.match((await runCli(['workspaces', 'list', '--url', url], env)).stdout, /team bee/);
    const audit = await runCli(['audit', 'list', '--json', '--url', url], env);
    const routes = (JSON.parse(audit.stdout) as { data: { route: string; outcome: string }[] }).data.map((e) => `${e.route} ${e.outcome}`);
    assert.ok(
      routes.includes('/v1/tokens ok') && routes.includes('/v1/tokens/{token_id} ok') && routes.includes('/v1/tables/import denied'),
      routes.join('\n'),
    );
    assert.ok(!audit.stdout.includes(secret));
  });

  test('a non-loopback address with no token refuses to start and says what to do', async () => {
    const r = await runCli(['up', '--port', '0', '--host', '0.0.0.0', '--data-dir', join(dir, 'open')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0: no API token exists.*--create-admin-token/);
  });
});
