/** `runyard worker` as a real process: its JSON line, SIGTERM exit, usage and start errors. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bin, closedPort, root, runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'runyard-worker-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('runyard worker', () => {
  test('prints {"node_id", "database"} once running (here on SQLite) and exits 0 on SIGTERM', async () => {
    const db = join(dir, 'w.db');
    const child = spawn(process.execPath, [bin, 'worker', '--json', '--database', db, '--grace-ms', '500'], {
      cwd: root,
      env: { ...process.env, RUNYARD_LOG_LEVEL: 'silent', RUNYARD_DATA_DIR: join(dir, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no JSON line within 15 s')), 15_000);
        createInterface({ input: child.stdout }).once('line', (l) => {
          clearTimeout(timer);
          resolve(l);
        });
      });
      const msg = JSON.parse(line) as { node_id: string; database: string };
      assert.match(msg.node_id, /^nod_[0-9a-z]{26}$/);
      assert.equal(msg.database, db);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('an unreachable PostgreSQL: exit 1 naming host:port and what to check, never the password', async () => {
    const port = await closedPort();
    const r = await runCli(['worker', '--database', `postgres://u:hunter2@127.0.0.1:${port}/x`], { RUNYARD_DATA_DIR: join(dir, 'data') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot start: cannot use PostgreSQL at 127\\.0\\.0\\.1:${port}: .*is the server running`));
    assert.doesNotMatch(r.stderr + r.stdout, /hunter2/);
    const json = await runCli(['worker', '--json', '--database', 'postgres://nohost'], { RUNYARD_DATA_DIR: join(dir, 'data') });
    assert.equal(json.code, 1);
    const body = JSON.parse(json.stdout) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'start_failed');
    assert.match(body.error.message, /database: no database name/);
  });

  test('usage errors exit 2: a heartbeat longer than half the lease, a bad number', async () => {
    const slow = await runCli(['worker', '--lease-ms', '1000', '--heartbeat-ms', '800', '--database', join(dir, 'u.db')]);
    assert.equal(slow.code, 2);
    assert.match(slow.stderr, /--heartbeat-ms \(800\) must be at most half of --lease-ms \(1000\)/);
    const bad = await runCli(['worker', '--grace-ms', 'soon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--grace-ms/);
  });
});
