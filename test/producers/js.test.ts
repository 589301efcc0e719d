import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PermanentError, RetryableError, ValidationError } from '../../src/core/errors.js';
import { createJsProducer } from '../../src/producers/js.js';
import { makeCtx, rejection, thrown } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'runyard-js-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// User modules import the same compiled errors module the producer uses.
const errorsUrl = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), '../../src/core/errors.js')).href;

const write = (name: string, source: string): string => {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, source);
  return path;
};

write(
  'double.mjs',
  `export default (input, ctx) => ({ doubled: input.n * 2, key: ctx.idempotencyKey, attempt: ctx.attempt,
  run: ctx.runId, item: ctx.itemId, env: ctx.env, hasSignal: ctx.signal instanceof AbortSignal });`,
);
write(
  'lib/named.mjs',
  `export async function shout(input) { await new Promise((r) => setTimeout(r, 5)); return String(input).toUpperCase(); }
export const notFn = 5;`,
);
write('counter.mjs', 'let n = 0; export default () => ++n;');
write(
  'throws.mjs',
  `import { PermanentError, RetryableError } from ${JSON.stringify(errorsUrl)};
export const permanent = () => { throw new PermanentError('bad_row', 'row 7 has no email'); };
export const retryable = async () => { throw new RetryableError('rate_limited', 'slow down', 1500); };
export const plain = () => { throw { retryable: false, code: 'custom', message: 'plain object' }; };`,
);
write(
  'waits.mjs',
  `export async function honours(input, ctx) {
  await new Promise((r) => ctx.signal.addEventListener('abort', r, { once: true }));
  globalThis.__runyardJsSawAbort = ctx.signal.aborted;
}
export const ignores = () => new Promise(() => {});`,
);
write('broken.mjs', 'export default ( => 1;');

const js = createJsProducer({ baseDir: dir });
const call = (cfg: Record<string, unknown>, over = {}) => js.execute(makeCtx(cfg, over));

describe('js producer', () => {
  test('default export: called with input and the attempt context; outputs = { value }', async () => {
    const res = await call({ module: 'double.mjs', input: { n: 21 } }, { env: { REGION: 'eu' } });
    const expected = { doubled: 42, key: 'idem_run1_itm1', attempt: 2, run: 'run_01TEST', item: 'itm_01TEST', env: { REGION: 'eu' }, hasSignal: true };
    assert.deepEqual(res.value, expected);
    assert.deepEqual(res.outputs, { value: expected });
  });

  test('named export, relative to baseDir, absolute path and file: URL all resolve', async () => {
    assert.equal((await call({ module: './lib/named.mjs', export: 'shout', input: 'hi' })).value, 'HI');
    assert.equal((await call({ module: join(dir, 'lib/named.mjs'), export: 'shout', input: 'abs' })).value, 'ABS');
    assert.equal((await call({ module: pathToFileURL(join(dir, 'lib/named.mjs')).href, export: 'shout', input: 'url' })).value, 'URL');
    const other = createJsProducer({ baseDir: join(dir, 'lib') });
    assert.equal((await other.execute(makeCtx({ module: 'named.mjs', export: 'shout', input: 'x' }))).value, 'X');
  });

  test('the module is imported once and cached', async () => {
    assert.equal((await call({ module: 'counter.mjs' })).value, 1);
    assert.equal((await call({ module: './counter.mjs' })).value, 2);
  });

  test('a missing export or a non-function export is invalid_module listing the functions', async () => {
    const missing = await rejection(call({ module: 'lib/named.mjs' }));
    assert.ok(missing instanceof PermanentError, String(missing));
    assert.equal(missing.code, 'invalid_module');
    assert.match(missing.message, /"default" is not a function/);
    assert.match(missing.message, /exported functions: shout/);
    const notFn = await rejection(call({ module: 'lib/named.mjs', export: 'notFn' }));
    assert.equal(notFn.code, 'invalid_module');
  });

  test('a missing module is module_not_found; a syntax error is invalid_module', async () => {
    const missing = await rejection(call({ module: 'nope.mjs' }));
    assert.ok(missing instanceof PermanentError, String(missing));
    assert.equal(missing.code, 'module_not_found');
    assert.ok(missing.message.includes(join(dir, 'nope.mjs')), missing.message);
    const broken = await rejection(call({ module: 'broken.mjs' }));
    assert.ok(broken instanceof PermanentError, String(broken));
    assert.equal(broken.code, 'invalid_module');
  });

  test('PermanentError, RetryableError and plain objects thrown by the function pass through', async () => {
    const p = await rejection(call({ module: 'throws.mjs', export: 'permanent' }));
    assert.ok(p instanceof PermanentError, String(p));
    assert.equal(p.code, 'bad_row');
    assert.equal(p.message, 'row 7 has no email');
    const r = await rejection(call({ module: 'throws.mjs', export: 'retryable' }));
    assert.ok(r instanceof RetryableError, String(r));
    assert.equal(r.code, 'rate_limited');
    assert.equal(r.retryAfterMs, 1500);
    const o = await rejection(call({ module: 'throws.mjs', export: 'plain' }));
    assert.deepEqual(o, { retryable: false, code: 'custom', message: 'plain object' });
  });

  test('the signal is passed to the function; abort settles even if the function ignores it', async () => {
    const g = globalThis as { __runyardJsSawAbort?: boolean };
    delete g.__runyardJsSawAbort;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const err = await rejection(call({ module: 'waits.mjs', export: 'honours' }, { signal: ac.signal }));
    assert.ok(err instanceof PermanentError, String(err));
    assert.equal(err.code, 'aborted');
    await new Promise((r) => setImmediate(r));
    assert.equal(g.__runyardJsSawAbort, true, 'the function saw its signal abort');
    const ac2 = new AbortController();
    setTimeout(() => ac2.abort(), 50);
    const t0 = Date.now();
    assert.equal((await rejection(call({ module: 'waits.mjs', export: 'ignores' }, { signal: ac2.signal }))).code, 'aborted');
    assert.ok(Date.now() - t0 < 2000);
  });

  test('validate: bad config throws ValidationError naming the field', () => {
    const cases: [unknown, string][] = [
      [{}, 'config.module'],
      [{ module: '' }, 'config.module'],
      [{ module: 'a.mjs', export: '' }, 'config.export'],
      [{ module: 'a.mjs', export: 3 }, 'config.export'],
      [{ module: 'a.mjs', exports: 'x' }, 'config.exports'],
    ];
    for (const [config, field] of cases) {
      const err = thrown(() => js.validate(config));
      assert.ok(err instanceof ValidationError, `${JSON.stringify(config)}: ${String(err)}`);
      assert.equal(err.details?.field, field);
      assert.ok(err.message.startsWith(`${field}: `), err.message);
    }
    js.validate({ module: 'does-not-exist-yet.mjs', input: { id: '{{id}}' } });
  });
});
