/**
 * Canary secrets end to end (reliability.md §4 S6; run-control issue part 4): a real
 * `runyard up` child process with debug logs, 11 distinct canaries planted through the API
 * (`POST /v1/runs`, the column-run route, a saved credential) and the CLI (`--secret-env`,
 * `--secret-stdin`), into
 * `js` and `shell` producers that echo them in outputs, error messages, base64, URL-encoded,
 * hex and JSON forms. Then every surface is searched for every form of every canary:
 * API responses, SSE streams, CLI output, the server's stdout/stderr, and the raw bytes of the
 * SQLite database and its -wal/-shm files (searched as bytes, nothing decoded). Expected: 0
 * hits, while the producers provably received every value.
 *
 * New surfaces (exports, …) are added in `test/helpers/canary.ts` (`exportScanPaths`).
 *
 * Twice: with `up` executing the items, and with a separate `runyard worker` process executing
 * them (`up --no-executor`; both share the data dir, so the key): the worker opens the secrets,
 * and its own stdout and stderr (debug logs) are scanned too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, root, runCli, useToken, type Result } from '../cli/helpers.js';
import { authFetch } from '../helpers/auth.js';
import { runCliWithInput } from '../cli/stdin.js';
import { findCanaries, scanPaths, exportScanPaths, spawnCapturedRunyard, type CapturedRunyard, type Hit } from '../helpers/canary.js';
import { spawnWorker, type WorkerProcess } from '../helpers/cluster.js';

const rand = () => randomBytes(9).toString('hex');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Eleven distinct canaries: plain, multi-line PEM, JSON with quotes, `$`/URL metacharacters,
 * non-ASCII, spaces, `%`; the last is a saved credential the `leak` column names
 * (`credentials: { CANARY_11: … }`), planted with `PUT /v1/credentials/{name}`.
 */
const CANARIES = [
  `cnry01-plain-${rand()}`,
  `-----BEGIN CANARY KEY-----\nMIIC${rand()}Qx\n${rand()}${rand()}\n-----END CANARY KEY-----`,
  `{"user":"cnry03","pass":"${rand()}"}`,
  `cnry04$HOME&x=1/+?#${rand()}`,
  `cnry05-é✓-${rand()}`,
  `cnry06 with spaces ${rand()}`,
  `cnry07'quoted'${rand()}`,
  `cnry08-cli-env-${rand()}`,
  `cnry09%41-cli-env-${rand()}`,
  `cnry10-cli-stdin-${rand()}`,
  `cnry11-saved-credential-${rand()}`,
] as const;
const name = (i: number) => `CANARY_${String(i + 1).padStart(2, '0')}`;
const canary = (i: number) => CANARIES[i] as string;

const LEAK_JS = `
import { appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
const forms = (v) => ({ plain: v, b64: Buffer.from(v).toString('base64'), b64url: Buffer.from(v).toString('base64url'),
  url: encodeURIComponent(v), form: new URLSearchParams({ v }).toString(), hex: Buffer.from(v).toString('hex'), json: JSON.stringify({ v }) });
export default (input, ctx) => {
  const names = Object.keys(ctx.env).filter((k) => k.startsWith('CANARY_')).sort();
  for (const n of names) appendFileSync(input.seen, n + ' ' + createHash('sha256').update(ctx.env[n]).digest('hex') + '\\n');
  if (input.row === 'boom') {
    const e = new Error('upstream refused: ' + names.map((n) => n + '=' + ctx.env[n] + ' b64=' + Buffer.from(ctx.env[n]).toString('base64') +
      ' url=' + encodeURIComponent(ctx.env[n])).join('; '));
    e.retryable = false;
    throw e;
  }
  const first = names[0] ? ctx.env[names[0]] : 'none';
  return { leaked: Object.fromEntries(names.map((n) => [n, forms(ctx.env[n])])), [first]: 'a secret as a key', mode: ctx.env.MODE ?? null };
};
`;

const LEAK_SH = `
import { appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
const [row, seen] = process.argv.slice(2);
const names = Object.keys(process.env).filter((k) => k.startsWith('CANARY_')).sort();
for (const n of names) {
  const v = process.env[n];
  appendFileSync(seen, n + ' ' + createHash('sha256').update(v).digest('hex') + '\\n');
  console.log(n, v, Buffer.from(v).toString('base64'), encodeURIComponent(v), Buffer.from(v).toString('hex'));
  console.error('debug:', n, JSON.stringify(v), Buffer.from(v).toString('base64url'));
}
if (row === 'boom') process.exit(3);
`;

/** The suite: `up` executes the items, or (`withWorker`) a `runyard worker` process does. */
const canaryLeaks = (withWorker: boolean) => () => {
  const dir = mkdtempSync(join(tmpdir(), 'runyard-canary-'));
  const dataDir = join(dir, 'data');
  const seenPath = join(dir, 'seen.txt');
  const surfaces: { where: string; text: string | Buffer }[] = [];
  const runIds: string[] = [];
  let server: CapturedRunyard;
  let worker: WorkerProcess | undefined;
  let token = '';
  let tableId = '';
  let rowIds: string[] = [];

  /** Fetches a path and keeps the answer's text as a scanned surface. */
  async function api(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await authFetch(token)(`${server.url}${path}`, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    surfaces.push({ where: `${method} ${path} → ${res.status}`, text });
    return { status: res.status, json: JSON.parse(text) as Record<string, unknown> };
  }

  /** Reads a run's SSE stream to its `end` event, keeping the whole stream. */
  async function follow(runId: string): Promise<Record<string, unknown>> {
    const res = await authFetch(token)(`${server.url}/v1/runs/${runId}/events?follow=true`, { headers: { accept: 'text/event-stream' } });
    const text = await res.text();
    surfaces.push({ where: `SSE ${runId}`, text });
    const end = text.split('\n\n').find((f) => f.startsWith('event: end'));
    assert.ok(end, `the stream of ${runId} ended with an end event`);
    return JSON.parse(/^data: (.*)$/m.exec(end)?.[1] ?? '{}') as Record<string, unknown>;
  }

  function keepCli(what: string, r: Result): Result {
    surfaces.push({ where: `CLI ${what} stdout`, text: r.stdout }, { where: `CLI ${what} stderr`, text: r.stderr });
    return r;
  }
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(args, { RUNYARD_URL: server.url, ...env }).then((r) => keepCli(args.slice(0, 2).join(' '), r));

  function databaseFiles(when: string): void {
    for (const suffix of ['', '-wal', '-shm']) {
      const p = join(dataDir, `runyard.db${suffix}`);
      if (existsSync(p)) surfaces.push({ where: `${when}: runyard.db${suffix} (${statSync(p).size} bytes)`, text: readFileSync(p) });
    }
  }

  before(async () => {
    writeFileSync(join(dir, 'leak.mjs'), LEAK_JS);
    writeFileSync(join(dir, 'leak-sh.mjs'), LEAK_SH);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CANARY_') && !k.startsWith('RUNYARD_')) env[k] = v;
    server = await spawnCapturedRunyard(bin, root, ['--data-dir', dataDir, ...(withWorker ? ['--no-executor'] : [])], {
      ...env,
      RUNYARD_LOG_LEVEL: 'debug',
      RUNYARD_JS_DIR: dir,
    });
    token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
    useToken(token);
    if (withWorker)
      worker = await spawnWorker(join(dataDir, 'runyard.db'), ['--data-dir', dataDir], { RUNYARD_LOG_LEVEL: 'debug', RUNYARD_JS_DIR: dir }, 60_000, {
        keepOutput: true,
        baseEnv: env,
      });
  });

  after(async () => {
    await worker?.kill('SIGTERM');
    if (server) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('plant 11 canaries through the API and the CLI; every run finishes', async () => {
    const table = await api('POST', '/v1/tables', { name: 'canary', format: 'csv', data: 'row\nok1\nboom\nok2\n' });
    assert.equal(table.status, 201);
    tableId = String(table.json.id);
    const rows = await api('GET', `/v1/tables/${tableId}/rows`);
    rowIds = (rows.json.data as { id: string }[]).map((r) => r.id);
    assert.equal((await api('PUT', '/v1/credentials/canary-credential', { value: canary(10) })).status, 200);
    const js = await api('POST', `/v1/tables/${tableId}/columns`, {
      name: 'leak',
      producer: 'js',
      config: { module: join(dir, 'leak.mjs'), input: { row: '{{row}}', seen: seenPath }, credentials: { [name(10)]: 'canary-credential' } },
    });
    assert.equal(js.status, 201);
    const sh = await api('POST', `/v1/tables/${tableId}/columns`, {
      name: 'leaksh',
      producer: 'shell',
      config: { command: process.execPath, args: [join(dir, 'leak-sh.mjs'), '{{row}}', seenPath] },
    });
    assert.equal(sh.status, 201);

    const secrets = (from: number, to: number) => Object.fromEntries(Array.from({ length: to - from }, (_, k) => [name(from + k), canary(from + k)]));
    const a = await api(
      'POST',
      '/v1/runs',
      {
        target: { type: 'column', table_id: tableId, column: 'leak' },
        prompt: 'leak everything',
        overrides: { env: { MODE: 'canary' }, secrets: secrets(0, 5) },
      },
      { 'idempotency-key': 'canary-a' },
    );
    assert.equal(a.status, 201);
    const replay = await api(
      'POST',
      '/v1/runs',
      {
        target: { type: 'column', table_id: tableId, column: 'leak' },
        prompt: 'leak everything',
        overrides: { env: { MODE: 'canary' }, secrets: secrets(0, 5) },
      },
      { 'idempotency-key': 'canary-a' },
    );
    assert.equal(replay.status, 200);
    const b = await api('POST', '/v1/runs', { target: { type: 'column', table_id: tableId, column: 'leaksh' }, overrides: { secrets: secrets(5, 6) } });
    assert.equal(b.status, 201);
    const c = await api('POST', `/v1/tables/${tableId}/columns/leaksh/runs`, { trigger: 'manual', overrides: { secrets: secrets(6, 7) } });
    assert.equal(c.status, 201);
    runIds.push(String(a.json.id), String(b.json.id), String(c.json.id));

    const d = await cli(['runs', 'create', '--table', tableId, '--column', 'leak', '--secret-env', name(7), '--secret-env', name(8), '--json'], {
      [name(7)]: canary(7),
      [name(8)]: canary(8),
    });
    assert.equal(d.code, 0, d.stderr);
    runIds.push((JSON.parse(d.stdout) as { id: string }).id);
    const e = keepCli(
      'runs create --secret-stdin',
      await runCliWithInput(['runs', 'create', '--table', tableId, '--column', 'leaksh', '--secret-stdin', name(9), '--watch', '--json'], `${canary(9)}\n`, {
        RUNYARD_URL: server.url,
      }),
    );
    assert.equal(e.code, 1, 'the watched run is partial (one row fails), so the CLI exits 1');
    const lines = e.stdout.trim().split('\n');
    runIds.push((JSON.parse(lines.at(-1) ?? '{}') as { id: string }).id);

    for (const id of runIds) {
      const final = await follow(id);
      assert.equal(final.status, 'partial', `run ${id}: ok1 and ok2 succeed, boom fails`);
      assert.ok((final.error as { message: string }).message.includes('[REDACTED]'), 'the error box shows the redacted message');
    }
  });

  test('the producers received every canary', () => {
    const seen = new Set(readFileSync(seenPath, 'utf8').trim().split('\n'));
    CANARIES.forEach((c, i) => assert.ok(seen.has(`${name(i)} ${sha(c)}`), `${name(i)} reached its producer`));
  });

  test('read every surface: API answers, CLI output, database files while running', async () => {
    const targets = { runIds, tableId, rowIds, columns: ['leak', 'leaksh'] };
    for (const path of scanPaths(targets)) {
      const r = await api('GET', path);
      assert.equal(r.status, 200, path);
    }
    for (const path of exportScanPaths(targets)) {
      const res = await authFetch(token)(`${server.url}${path}`);
      const text = await res.text();
      assert.equal(res.status, 200, path);
      assert.ok(text.length > 100, `${path} exported something`);
      surfaces.push({ where: `GET ${path} → ${res.status}`, text });
    }
    const items = surfaces.filter((s) => s.where.startsWith(`GET /v1/runs/${runIds[0]}/items?limit`)).map((s) => String(s.text));
    assert.ok(items.join('').includes('[REDACTED]'), 'outputs carry the redaction marker');
    for (const id of runIds) {
      await cli(['runs', 'get', id]);
      await cli(['runs', 'items', id, '--json']);
      await cli(['runs', 'watch', id, '--json']);
    }
    await cli(['runs', 'list', '--json']);
    await cli(['runs', 'list']);
    for (const row of rowIds) {
      await cli(['cells', 'inspect', tableId, row, 'leak']);
      await cli(['cells', 'inspect', tableId, row, 'leaksh', '--json']);
    }
    databaseFiles('running');
    const key = statSync(join(dataDir, 'secret.key'));
    assert.equal(key.mode & 0o777, 0o600, 'the generated key file is private');
  });

  test('0 hits for every form of every canary, on every surface (and in the logs after shutdown)', async () => {
    if (worker) {
      assert.deepEqual(await worker.kill('SIGTERM'), { code: 0, signal: null });
      surfaces.push({ where: 'worker stdout', text: worker.stdout() }, { where: 'worker stderr (debug logs)', text: worker.stderr() });
      assert.match(worker.stderr(), /"msg":"runyard worker up"/, 'the worker logs were captured');
    }
    assert.equal(await server.stop(), 0);
    databaseFiles('stopped');
    surfaces.push({ where: 'server stdout', text: server.stdout() }, { where: 'server stderr (debug logs)', text: server.stderr() });
    assert.match(server.stderr(), /"msg":"run created"/, 'debug logs were captured');
    assert.match(server.stderr(), /"secret_names":\["CANARY_01","CANARY_02","CANARY_03","CANARY_04","CANARY_05"\]/, 'logs carry names');
    const hits: Hit[] = surfaces.flatMap((s) => findCanaries(s.where, s.text, CANARIES));
    const report = hits.map((h) => `${h.where}: ${name(CANARIES.indexOf(h.canary as never))} as ${JSON.stringify(h.form.slice(0, 40))} ×${h.count}`);
    assert.deepEqual(report, []);
    assert.ok(surfaces.length > 90, `scanned ${surfaces.length} surfaces`);
    // Control: the scanner does find each form when it is there.
    const control = Buffer.concat([Buffer.from('…'), Buffer.from(Buffer.from(canary(3)).toString('base64')), Buffer.from(encodeURIComponent(canary(4)))]);
    assert.deepEqual([...new Set(findCanaries('control', control, CANARIES).map((h) => h.canary))], [canary(3), canary(4)]);
  });
};

describe('canary secrets never leak (runyard up as a child process)', canaryLeaks(false));
describe('canary secrets never leak (runyard up as a child process, items executed by a runyard worker process)', canaryLeaks(true));
