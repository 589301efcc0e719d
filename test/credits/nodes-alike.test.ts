/**
 * Every node charges and decrypts alike (issue 12, part 2), on SQLite and on PostgreSQL, with
 * real processes: the same runs (a `js` and an `http` column, priced per call) executed by
 * `runyard up` alone and by two `runyard worker` processes behind `up --no-executor` capture the
 * same credits (within 1%) and reconcile; a manual run with a secret (`--secret-env`) succeeds
 * on a worker; a node whose secret key is not the database's refuses to start, `worker` and `up`
 * alike, naming RUNYARD_SECRET_KEY and the key file; the node holding the right key starts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { harness, type Harness, type Json } from '../control/harness.js';
import { runCli } from '../cli/helpers.js';
import { spawnWorker, type WorkerProcess } from '../helpers/cluster.js';
import { tempDir, writeModule } from '../helpers/fixtures.js';
import { postgresForFile } from '../helpers/postgres.js';
import { spawnRunyard } from '../helpers/proc.js';

const CREDIT = 1_000_000;
const PRICES = { js_call: 50_000, http_call: 120_000 };
const ROWS = 120;
const postgres = postgresForFile();
/** How long a node may take to start, or to refuse to, on a busy machine, ms. */
const START_MS = 60_000;

const BACKENDS: [string, () => Promise<string | undefined>][] = [
  ['sqlite', async () => undefined],
  ['postgres', async () => (await postgres()).createDatabase()],
];

/** Grants credits, imports ROWS rows with a `js` and an `http` column, runs both to the end. */
async function pricedRuns(h: Harness, httpUrl: string): Promise<{ js: Json; http: Json; balance: Json }> {
  await h.call('POST', '/v1/credits/grants', { amount_micro: 1000 * CREDIT });
  const tableId = await h.table(
    'priced',
    Array.from({ length: ROWS }, (_, n) => ({ n, kind: 'ok', ms: 2 })),
    'standard',
  );
  const col = await h.call('POST', `/v1/tables/${tableId}/columns`, { name: 'ping', producer: 'http', config: { url: `${httpUrl}/ping/{{n}}` } });
  assert.equal(col.status, 201, JSON.stringify(col.json));
  const js = await h.start(tableId);
  const http = (await h.call('POST', `/v1/tables/${tableId}/columns/ping/runs`, {})).json;
  return {
    js: await h.waitTerminal(String(js.id), 60_000),
    http: await h.waitTerminal(String(http.id), 60_000),
    balance: (await h.call('GET', '/v1/credits/balance')).json,
  };
}

const within1pct = (a: number, b: number) => Math.abs(a - b) <= 0.01 * Math.max(Math.abs(a), Math.abs(b));

for (const [backend, database] of BACKENDS) {
  describe(`every node charges and decrypts alike on ${backend}`, () => {
    let up: Harness;
    let nodes: Harness;
    let second: WorkerProcess;
    let server: Server;
    let httpUrl = '';
    let nodesDb = '';
    // Workers have no loopback egress default (docs/security.md): the test's http server is on 127.0.0.1.
    const env = { RUNYARD_PRICES: JSON.stringify(PRICES), RUNYARD_EGRESS_ALLOW: '127.0.0.1/32' };

    before(async () => {
      server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const addr = server.address();
      httpUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
      const upDb = await database();
      up = await harness(env, [], upDb ? { database: upDb } : {});
      const pgDb = await database();
      nodes = await harness(env, [], { worker: true, ...(pgDb ? { database: pgDb } : {}) });
      nodesDb = pgDb ?? join(nodes.dir, 'r.db');
      second = await spawnWorker(nodesDb, [], { RUNYARD_DATA_DIR: join(nodes.dir, 'data'), ...env });
    });
    after(async () => {
      await Promise.all([up.close(), nodes.close(), second.kill('SIGTERM')]);
      await new Promise<void>((r) => server.close(() => r()));
    });

    test('runs executed by worker nodes capture what the same runs capture on up (within 1%)', { timeout: 180_000 }, async () => {
      const onUp = await pricedRuns(up, httpUrl);
      const upCalls = up.calls().length;
      const onNodes = await pricedRuns(nodes, httpUrl);
      const pids = new Set(nodes.calls().map((c) => c.pid));
      assert.ok(!pids.has(nodes.ry.pid), 'the API node executed nothing');
      assert.ok([...pids].every((p) => p === nodes.worker?.pid || p === second.pid));
      assert.equal(upCalls, ROWS);
      for (const kind of ['js', 'http'] as const) {
        const [a, b] = [onUp[kind], onNodes[kind]];
        const expected = ROWS * (kind === 'js' ? PRICES.js_call : PRICES.http_call);
        assert.deepEqual([a.status, b.status], ['succeeded', 'succeeded'], kind);
        assert.equal(a.credits_used_micro, expected, `${kind} on up`);
        assert.ok(
          within1pct(Number(b.credits_used_micro), Number(a.credits_used_micro)),
          `${kind}: workers captured ${String(b.credits_used_micro)}, up ${String(a.credits_used_micro)}`,
        );
        assert.equal(b.price_version, 1);
        assert.equal(b.credits_reserved_micro, Number(b.credits_used_micro) + Number(b.credits_released_micro), `${kind}: the ledger reconciles`);
      }
      assert.equal(onNodes.balance.captured_micro, onUp.balance.captured_micro);
      assert.equal(onNodes.balance.outstanding_micro, 0);
    });

    test('a manual run with a secret (--secret-env) succeeds on a worker', { timeout: 60_000 }, async () => {
      const secret = `s3cret-${randomBytes(8).toString('hex')}`;
      writeModule(
        nodes.dir,
        'env.mjs',
        `import { createHash } from 'node:crypto';
export default (input, ctx) => ({ n: input.n, token_sha: createHash('sha256').update(ctx.env.API_TOKEN ?? '').digest('hex'), pid: process.pid });`,
      );
      const tableId = await nodes.table(
        'secret',
        Array.from({ length: 20 }, (_, n) => ({ n, kind: 'ok' })),
      );
      const col = await nodes.call('POST', `/v1/tables/${tableId}/columns`, {
        name: 'env',
        producer: 'js',
        config: { module: join(nodes.dir, 'env.mjs'), input: { n: '{{n}}' } },
      });
      assert.equal(col.status, 201, JSON.stringify(col.json));
      const created = await runCli(['runs', 'create', '--table', tableId, '--column', 'env', '--secret-env', 'API_TOKEN', '--json', '--url', nodes.ry.url], {
        API_TOKEN: secret,
        RUNYARD_TOKEN: nodes.ry.token ?? '',
      });
      assert.equal(created.code, 0, created.stderr);
      const run = JSON.parse(created.stdout) as Json;
      const done = await nodes.waitTerminal(String(run.id));
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
      assert.equal(done.items_succeeded, 20);
      const items = await nodes.items(String(run.id));
      const sha = createHash('sha256').update(secret).digest('hex');
      assert.ok(
        items.every((i) => (i.outputs as { value: { token_sha: string } }).value.token_sha === sha),
        'every item saw the secret',
      );
      assert.ok(items.every((i) => [nodes.worker?.pid, second.pid].includes((i.outputs as { value: { pid: number } }).value.pid)));
    });

    test('a node whose secret key is not the database’s refuses to start, worker and up alike', { timeout: 300_000 }, async () => {
      const db = (await database()) ?? join(tempDir(), 'keys.db');
      const first = await spawnRunyard(['--database', db, '--no-executor'], { RUNYARD_DATA_DIR: join(tempDir(), 'data') }, START_MS);
      await first.kill('SIGTERM');
      const otherDir = join(tempDir(), 'data');
      const key = () => randomBytes(32).toString('hex');
      // One at a time (the machine may be busy); each must exit at once, naming what to fix.
      const refusals: [string, () => Promise<{ kill(): Promise<unknown> }>, RegExp][] = [
        [
          'worker, fresh data dir',
          () => spawnWorker(db, [], { RUNYARD_DATA_DIR: otherDir }, START_MS),
          /a new key generated into .*secret\.key \(RUNYARD_SECRET_KEY is unset/,
        ],
        ['worker, RUNYARD_SECRET_KEY', () => spawnWorker(db, [], { RUNYARD_SECRET_KEY: key() }, START_MS), /the key in RUNYARD_SECRET_KEY is not/],
        ['up, RUNYARD_SECRET_KEY', () => spawnRunyard(['--database', db], { RUNYARD_SECRET_KEY: key() }, START_MS), /the key in RUNYARD_SECRET_KEY is not/],
        // The key file generated by the first refusal now names itself as the place to fix.
        ['worker, key file', () => spawnWorker(db, [], { RUNYARD_DATA_DIR: otherDir }, START_MS), /the key in .*secret\.key \(RUNYARD_SECRET_KEY is unset\)/],
      ];
      for (const [who, start, pattern] of refusals) {
        const [r] = await Promise.allSettled([start()]);
        if (r.status === 'fulfilled') await r.value.kill();
        assert.equal(r.status, 'rejected', `${who} started`);
        const message = String(r.reason);
        assert.match(message, /exited with 1/, who);
        assert.match(message, pattern, who);
        assert.match(message, /every node of one database needs the same key: set RUNYARD_SECRET_KEY to the other nodes' key/, who);
      }
    });

    test('the right key, given as RUNYARD_SECRET_KEY or as the data dir’s file, starts a worker', { timeout: 60_000 }, async () => {
      const key = readFileSync(join(nodes.dir, 'data', 'secret.key'), 'utf8').trim();
      const byEnv = await spawnWorker(nodesDb, [], { RUNYARD_SECRET_KEY: key, RUNYARD_DATA_DIR: join(tempDir(), 'empty') }, START_MS);
      const byFile = await spawnWorker(nodesDb, [], { RUNYARD_DATA_DIR: join(nodes.dir, 'data') }, START_MS);
      assert.deepEqual(await Promise.all([byEnv.kill('SIGTERM'), byFile.kill('SIGTERM')]), [
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);
    });
  });
}
