import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PermanentError, RetryableError, ValidationError } from '../../src/core/errors.js';
import { createShellProducer } from '../../src/producers/shell.js';
import { isAlive, makeCtx, rejection, thrown, waitDead } from './helpers.js';

const shell = createShellProducer();
const node = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'runyard-shell-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `node -e script ...args` through the producer. */
const runNode = (script: string, extra: Record<string, unknown> = {}, args: unknown[] = [], over = {}) =>
  shell.execute(makeCtx({ command: node, args: ['-e', script, ...args], ...extra }, over));

describe('shell producer', () => {
  test('success: value is trimmed stdout; outputs and usage are filled', async () => {
    const res = await runNode('process.stdout.write("  hello world\\n"); process.stderr.write("note")');
    assert.equal(res.value, 'hello world');
    assert.deepEqual(res.outputs, { stdout: '  hello world\n', stderr: 'note', exit_code: 0 });
    assert.equal(typeof res.usage?.command_ms, 'number');
    assert.ok((res.usage?.command_ms ?? -1) >= 0);
  });

  test('argv values with shell metacharacters reach the child literally', async () => {
    const evil = '; rm -rf / $(x) `y` \'q\' "d" | cat > /tmp/pwned & *\n$HOME';
    const res = await runNode('process.stdout.write(JSON.stringify(process.argv.slice(1)))', { parse: 'json' }, [evil, '--', '$PATH', 42, { a: 1 }, null]);
    assert.deepEqual(res.value, [evil, '--', '$PATH', '42', '{"a":1}', '']);
    // sh as the command is the user's choice; a value passed as a positional stays data.
    const viaSh = await shell.execute(makeCtx({ command: 'sh', args: ['-c', 'printf %s "$1"', 'sh', evil] }));
    assert.equal((viaSh.outputs as { stdout: string }).stdout, evil);
  });

  test('stdin is written then closed; non-strings are JSON-encoded', async () => {
    const echo = 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write("<"+s+">"))';
    assert.equal((await runNode(echo, { stdin: 'line1\nline2' })).value, '<line1\nline2>');
    assert.equal((await runNode(echo, { stdin: { n: 1 } })).value, '<{"n":1}>');
  });

  test('timeout kills the child and its grandchild (process group) and is retryable', async () => {
    const pids = join(dir, 'pids.txt');
    const script = `const { spawn } = require('node:child_process'); const fs = require('node:fs');
      const gc = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
      fs.writeFileSync(${JSON.stringify(pids)}, process.pid + ' ' + gc.pid); setInterval(() => {}, 1000);`;
    const t0 = Date.now();
    const err = await rejection(runNode(script, { timeout_ms: 700 }));
    assert.ok(err instanceof RetryableError, String(err));
    assert.equal(err.code, 'producer_timeout');
    assert.ok(Date.now() - t0 < 4000, 'the producer returned promptly');
    const [child, grandchild] = readFileSync(pids, 'utf8').split(' ').map(Number);
    assert.ok(child && grandchild, 'the child recorded both pids');
    assert.equal(isAlive(process.pid), true, 'the liveness probe sees live processes');
    assert.equal(await waitDead(child), true, 'child is dead');
    assert.equal(await waitDead(grandchild), true, 'grandchild is dead');
  });

  test('timeout defaults to ctx.timeoutMs', async () => {
    const err = await rejection(runNode('setInterval(()=>{},1000)', {}, [], { timeoutMs: 300 }));
    assert.equal(err.code, 'producer_timeout');
  });

  test('abort via ctx.signal kills the child; a pre-aborted signal never spawns', async () => {
    const pidFile = join(dir, 'abort-pid.txt');
    const ac = new AbortController();
    const p = runNode(`require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(()=>{},1000)`, {}, [], {
      signal: ac.signal,
    });
    setTimeout(() => ac.abort(), 400);
    const err = await rejection(p);
    assert.ok(err instanceof PermanentError, String(err));
    assert.equal(err.code, 'aborted');
    assert.equal(await waitDead(Number(readFileSync(pidFile, 'utf8'))), true);
    const pre = new AbortController();
    pre.abort();
    const marker = join(dir, 'never.txt');
    const err2 = await rejection(runNode(`require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x')`, {}, [], { signal: pre.signal }));
    assert.equal(err2.code, 'aborted');
    assert.throws(() => readFileSync(marker), /ENOENT/);
  });

  test('output cap: a child printing 50 MB is killed early and memory stays bounded', async () => {
    const pidFile = join(dir, 'big-pid.txt');
    const script = `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
      const b = Buffer.alloc(1 << 20, 97); for (let i = 0; i < 50; i++) process.stdout.write(b);`;
    const rss0 = process.memoryUsage().rss;
    const t0 = Date.now();
    const err = await rejection(runNode(script, { max_output_bytes: 256 * 1024 }));
    assert.ok(err instanceof PermanentError, String(err));
    assert.equal(err.code, 'output_too_large');
    const detail = err.detail as { bytes_read: number; max_output_bytes: number };
    assert.equal(detail.max_output_bytes, 256 * 1024);
    assert.ok(detail.bytes_read < 2 * 1024 * 1024, `stopped reading early (read ${detail.bytes_read})`);
    assert.ok(Date.now() - t0 < 5000);
    assert.ok(process.memoryUsage().rss - rss0 < 40 * 1024 * 1024, 'rss did not grow by the 50 MB the child printed');
    assert.equal(await waitDead(Number(readFileSync(pidFile, 'utf8'))), true, 'the child was killed');
  });

  test('output cap defaults to 1 MiB over stdout + stderr together', async () => {
    const script = 'const b = Buffer.alloc(700 * 1024, 98); process.stdout.write(b); process.stderr.write(b);';
    const err = await rejection(runNode(script));
    assert.equal(err.code, 'output_too_large');
    const ok = await runNode('process.stdout.write(Buffer.alloc(900 * 1024, 98))');
    assert.equal((ok.value as string).length, 900 * 1024);
  });

  test('non-zero exit is permanent with the code and the stderr tail; retry_exit_codes make it retryable', async () => {
    const script = 'process.stderr.write("HEAD" + "x".repeat(10000) + "boom-tail"); process.exit(3)';
    const err = await rejection(runNode(script));
    assert.ok(err instanceof PermanentError, String(err));
    assert.equal(err.code, 'command_failed');
    assert.match(err.message, /exited with code 3/);
    assert.match(err.message, /boom-tail/);
    assert.doesNotMatch(err.message, /HEAD/, 'only the last ~2 KB of stderr');
    assert.equal((err.detail as { exit_code: number }).exit_code, 3);
    const retry = await rejection(runNode(script, { retry_exit_codes: [75, 3] }));
    assert.ok(retry instanceof RetryableError, String(retry));
    assert.equal(retry.code, 'command_failed');
  });

  test('a missing executable is command_not_found; a missing cwd is invalid_cwd', async () => {
    const err = await rejection(shell.execute(makeCtx({ command: 'runyard-no-such-command-7f3a', args: ['x'] })));
    assert.ok(err instanceof PermanentError, String(err));
    assert.equal(err.code, 'command_not_found');
    const cwd = await rejection(shell.execute(makeCtx({ command: node, args: ['-e', '1'], cwd: join(dir, 'nope') })));
    assert.equal(cwd.code, 'invalid_cwd');
    const ok = await shell.execute(makeCtx({ command: node, args: ['-e', 'process.stdout.write(process.cwd())'], cwd: dir }));
    assert.equal(ok.value, dir);
  });

  test('parse: json parses stdout; invalid JSON is invalid_output', async () => {
    const res = await runNode('console.log(JSON.stringify({ a: [1, "two"] }))', { parse: 'json' });
    assert.deepEqual(res.value, { a: [1, 'two'] });
    const err = await rejection(runNode('console.log("not json")', { parse: 'json' }));
    assert.ok(err instanceof PermanentError);
    assert.equal(err.code, 'invalid_output');
  });

  test('env is isolated: engine variables stay out; config env, run env (winning) and RUNYARD_* get in', async () => {
    process.env.RUNYARD_TEST_SECRET = 's3cret';
    try {
      const script = `const e = process.env; process.stdout.write(JSON.stringify({ secret: e.RUNYARD_TEST_SECRET ?? null,
        key: e.RUNYARD_IDEMPOTENCY_KEY, run: e.RUNYARD_RUN_ID, item: e.RUNYARD_ITEM_ID, attempt: e.RUNYARD_ATTEMPT,
        a: e.FROM_RUN ?? null, b: e.FROM_CONFIG ?? null, path: typeof e.PATH }))`;
      const res = await runNode(script, { parse: 'json' }, [], { env: { FROM_RUN: 'run', FROM_CONFIG: 'overridden' } });
      assert.deepEqual(res.value, {
        secret: null,
        key: 'idem_run1_itm1',
        run: 'run_01TEST',
        item: 'itm_01TEST',
        attempt: '2',
        a: 'run',
        b: 'overridden',
        path: 'string',
      });
      const res2 = await runNode(script, { parse: 'json', env: { RUNYARD_TEST_SECRET: 'given', FROM_CONFIG: 7 } }, [], { env: { FROM_CONFIG: 'overridden' } });
      assert.equal((res2.value as { secret: string }).secret, 'given');
      // The run's overrides win over the column's saved env.
      assert.equal((res2.value as { b: string }).b, 'overridden');
    } finally {
      delete process.env.RUNYARD_TEST_SECRET;
    }
  });

  test('validate: bad config throws ValidationError naming the field', () => {
    const cases: [unknown, string, RegExp][] = [
      [{}, 'config.command', /^config\.command: expected a non-empty string$/],
      [{ command: '' }, 'config.command', /non-empty string/],
      [{ command: 'x', args: 'a b' }, 'config.args', /array/],
      [{ command: 'x', args: ['ok', {}] }, 'config.args[1]', /string/],
      [{ command: 'x', timeout_ms: -5 }, 'config.timeout_ms', /positive integer \(ms\)/],
      [{ command: 'x', max_output_bytes: 1.5 }, 'config.max_output_bytes', /bytes/],
      [{ command: 'x', parse: 'xml' }, 'config.parse', /"text" or "json"/],
      [{ command: 'x', env: { A: {} } }, 'config.env.A', /string/],
      [{ command: 'x', retry_exit_codes: ['1'] }, 'config.retry_exit_codes[0]', /./],
      [{ command: 'x', comand: 'typo' }, 'config.comand', /not a known field/],
      ['ls', 'config', /expected an object/],
    ];
    for (const [config, field, message] of cases) {
      const err = thrown(() => shell.validate(config));
      assert.ok(err instanceof ValidationError, `${JSON.stringify(config)}: ${String(err)}`);
      assert.equal(err.details?.field, field, JSON.stringify(config));
      assert.ok(err.message.startsWith(`${field}: `), err.message);
      assert.match(err.message, message);
    }
    shell.validate({ command: '{{cmd}}', args: ['{{a}}', 1], stdin: { x: '{{b}}' }, env: { K: '{{v}}' }, timeout_ms: 100, parse: 'json' });
  });
});
