/**
 * `runyard runs create` end to end (the real binary against an in-process server): prompt,
 * env and secrets from the environment or stdin; secret values never on argv, never printed;
 * `--secret NAME=VALUE` refused with exit 2.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/engine/logger.js';
import { RunyardClient, type Run } from '../../src/sdk/client.js';
import { startRunyard, type RunningRunyard } from '../../src/server/start.js';
import { runCli, type Result, useToken } from './helpers.js';
import { runCliWithInput } from './stdin.js';

const dir = mkdtempSync(join(tmpdir(), 'runyard-cli-create-'));
const SECRET = 'cli-canary-3e9d1f7a5b2c';
let server: RunningRunyard;
let tableId: string;

const cli = (args: string[], env: Record<string, string> = {}): Promise<Result> => runCli(args, { RUNYARD_URL: server.url, ...env });

const cliWithStdin = (args: string[], input: string): Promise<Result> => runCliWithInput(args, input, { RUNYARD_URL: server.url });

function noSecret(r: Result): void {
  assert.ok(!r.stdout.includes(SECRET), `stdout holds the secret: ${r.stdout}`);
  assert.ok(!r.stderr.includes(SECRET), `stderr holds the secret: ${r.stderr}`);
}

before(async () => {
  server = await startRunyard({ port: 0, dataDir: dir, databaseUrl: join(dir, 'r.db'), baseDir: dir, logger: silentLogger, engine: { pollMs: 50 } });
  useToken(server.adminToken);
  writeFileSync(
    join(dir, 'env.mjs'),
    'export default (i, ctx) => ({ mode: ctx.env.MODE ?? null, token: ctx.env.TOKEN ?? null, prompt: ctx.env.RUNYARD_PROMPT ?? null });',
  );
  const client = new RunyardClient({ baseUrl: server.url, token: server.adminToken! });
  tableId = (await client.importTable('t', 'csv', 'n\n1\n2\n')).id;
  await client.addColumn(tableId, { name: 'env', producer: 'js', config: { module: 'env.mjs', input: { n: '{{n}}' } } });
});

after(async () => {
  await server.close(2000);
  rmSync(dir, { recursive: true, force: true });
});

describe('runyard runs create', () => {
  test('--prompt, --env, --secret-env, --session, --json: the run shows secret names only', async () => {
    const r = await cli(
      [
        'runs',
        'create',
        '--table',
        tableId,
        '--column',
        'env',
        '--prompt',
        'Do it',
        '--env',
        'MODE=fast',
        '--secret-env',
        'TOKEN',
        '--session',
        'ses_9',
        '--actor',
        'ada',
        '--json',
      ],
      { TOKEN: SECRET },
    );
    assert.equal(r.code, 0, r.stderr);
    noSecret(r);
    const run = JSON.parse(r.stdout) as Run;
    assert.deepEqual(run.trigger, { type: 'manual', source_id: null, actor: 'ada' });
    assert.equal(run.prompt, 'Do it');
    assert.equal(run.session_id, 'ses_9');
    assert.deepEqual(run.overrides, { env: { MODE: 'fast' }, secret_names: ['TOKEN'] });
    const watched = await cli(['runs', 'watch', run.id]);
    assert.equal(watched.code, 0, watched.stderr);
    noSecret(watched);
    assert.match(watched.stdout, /secrets\s+│ TOKEN \(values hidden\)/);
    assert.match(watched.stdout, /env\s+│ MODE=fast/);
    assert.match(watched.stdout, /prompt\s+│ Do it/);
    const items = await cli(['runs', 'items', run.id, '--json']);
    noSecret(items);
    const outputs = (JSON.parse(items.stdout) as { data: { outputs: unknown }[] }).data.map((i) => i.outputs);
    assert.deepEqual(outputs, [
      { value: { mode: 'fast', token: '[REDACTED]', prompt: 'Do it' } },
      { value: { mode: 'fast', token: '[REDACTED]', prompt: 'Do it' } },
    ]);
  });

  test('--secret-stdin reads the value from standard input; --watch follows the run', async () => {
    const r = await cliWithStdin(['runs', 'create', '--table', tableId, '--column', 'env', '--secret-stdin', 'TOKEN', '--watch'], `${SECRET}\n`);
    assert.equal(r.code, 0, r.stderr);
    noSecret(r);
    assert.match(r.stderr, /^Queued run run_\w+ \(2 items\)/);
    assert.match(r.stdout, /status\s+│ succeeded/);
    assert.match(r.stdout, /secrets\s+│ TOKEN \(values hidden\)/);
  });

  test('--secret NAME=VALUE is refused with exit 2 and the value is not repeated', async () => {
    const r = await cli(['runs', 'create', '--table', tableId, '--column', 'env', '--secret', `TOKEN=${SECRET}`]);
    assert.equal(r.code, 2);
    noSecret(r);
    assert.match(r.stderr, /--secret is refused: .*--secret-env NAME.*--secret-stdin NAME/);
    const eq = await cli(['runs', 'create', '--table', tableId, '--column', 'env', '--secret-env', `TOKEN=${SECRET}`]);
    assert.equal(eq.code, 2);
    noSecret(eq);
    assert.match(eq.stderr, /--secret-env takes a variable NAME .* \(got TOKEN=…\)/);
  });

  test('usage errors exit 2: unset variable, --env without =, a repeated name, missing --table', async () => {
    const unset = await cli(['runs', 'create', '--table', tableId, '--column', 'env', '--secret-env', 'RUNYARD_TEST_UNSET_VAR']);
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /--secret-env RUNYARD_TEST_UNSET_VAR: the environment variable RUNYARD_TEST_UNSET_VAR is not set/);
    const noEq = await cli(['runs', 'create', '--table', tableId, '--column', 'env', '--env', 'MODE']);
    assert.equal(noEq.code, 2);
    assert.match(noEq.stderr, /--env: expected NAME=VALUE/);
    const twice = await cli(['runs', 'create', '--table', tableId, '--column', 'env', '--env', 'A=1', '--env', 'A=2']);
    assert.equal(twice.code, 2);
    const missing = await cli(['runs', 'create', '--column', 'env']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--table/);
  });

  test('refused env names and bad profiles come back from the API as exit 1 naming the field', async () => {
    const r = await cli(
      ['runs', 'create', '--table', tableId, '--column', 'env', '--env', 'NODE_OPTIONS=--require /tmp/x.js', '--secret-env', 'TOKEN', '--json'],
      {
        TOKEN: SECRET,
      },
    );
    assert.equal(r.code, 1);
    noSecret(r);
    const body = JSON.parse(r.stdout) as { error: { code: string; details: { field: string } } };
    assert.equal(body.error.code, 'validation_failed');
    assert.equal(body.error.details.field, 'overrides.env.NODE_OPTIONS');
    assert.match(r.stderr, /overrides\.env\.NODE_OPTIONS: NODE_OPTIONS cannot be overridden/);
    const profile = await cli(['runs', 'create', '--table', tableId, '--column', 'env', '--profile', 'gigantic']);
    assert.equal(profile.code, 1);
    assert.match(profile.stderr, /profile: unknown workload profile/);
  });
});

describe('runyard up: the secret key', () => {
  test('a malformed RUNYARD_SECRET_KEY stops the start (exit 1) naming the variable, never its value', async () => {
    const bad = 'not-a-key-0123456789';
    const r = await runCli(['up', '--port', '0', '--data-dir', join(dir, 'bad-key')], { RUNYARD_SECRET_KEY: bad });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot start: RUNYARD_SECRET_KEY: expected 64 hex characters or the base64 of 32 random bytes/);
    assert.ok(!r.stderr.includes(bad) && !r.stdout.includes(bad));
  });
});
