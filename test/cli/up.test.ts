/** `runyard up` as a real process: prints its URL, serves, stops gracefully; start errors exit 1. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, closedPort, listening, root, runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'runyard-up-'));
const cli = runCli;

after(() => rmSync(dir, { recursive: true, force: true }));

describe('runyard up', () => {
  test('prints its URL, answers /healthz, exits 0 on SIGTERM', async () => {
    const data = join(dir, 'up');
    const child = spawn(process.execPath, [bin, 'up', '--port', '0', '--data-dir', data], {
      cwd: root,
      env: { ...process.env, RUNYARD_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no URL within 10 s; stdout: ${out}`)), 10_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) {
            clearTimeout(timer);
            resolve(out.split('\n')[0] ?? '');
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code} before printing its URL`)));
      });
      const m = /^Runyard is up at (http:\/\/127\.0\.0\.1:(\d+)) \(database: (.+)\)$/.exec(line);
      assert.ok(m, line);
      assert.notEqual(m[2], '0');
      assert.equal(m[3], `${data}/runyard.db`);
      const res = await fetch(`${m[1]}/healthz`);
      assert.deepEqual(await res.json(), { ok: true });
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('start errors exit 1 naming the problem: bad database URL, unreachable PostgreSQL, port in use', async () => {
    const pg = await cli(['up', '--port', '0', '--database', 'postgres://db']);
    assert.equal(pg.code, 1);
    assert.match(pg.stderr, /database: no database name/);
    const down = await closedPort();
    const unreachable = await cli(['up', '--port', '0', '--database', `postgres://u:secret@127.0.0.1:${down}/x`]);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, new RegExp(`cannot use PostgreSQL at 127\\.0\\.0\\.1:${down}: .*ECONNREFUSED.*is the server running`));
    assert.doesNotMatch(unreachable.stderr, /secret/);
    const taken = await listening();
    try {
      const busy = await cli(['up', '--port', String(taken.port), '--data-dir', join(dir, 'busy')]);
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, new RegExp(`127\\.0\\.0\\.1:${taken.port}: the port is already in use`));
    } finally {
      taken.server.close();
    }
    const json = await cli(['up', '--port', '0', '--database', 'ftp://x', '--json']);
    assert.equal(json.code, 1);
    assert.match((JSON.parse(json.stdout) as { error: { message: string } }).error.message, /unsupported URL scheme/);
  });
});
