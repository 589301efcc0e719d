/** The pino logger censors fields that can carry env values, secrets or credentials. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const SECRET = 'log-canary-7c1e2b9f';
const loggerUrl = new URL('../../src/engine/logger.js', import.meta.url).href;

test('overrides, secrets, env, authorization and body fields are censored at the top level and one level down', () => {
  const s = JSON.stringify(SECRET);
  const script = `
    import { createLogger } from ${JSON.stringify(loggerUrl)};
    const log = createLogger('debug');
    log.info('top', { run_id: 'run_1', overrides: { secrets: { A: ${s} } }, secret_names: ['A'] });
    log.warn('nested', { request: { body: ${s}, authorization: 'Bearer ' + ${s} } });
    log.debug('env', { env: { A: ${s} }, secrets: [${s}], sealed_secrets: 'x' });
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '', 'logs go to stderr');
  const lines = r.stderr
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.map((l) => l.msg),
    ['top', 'nested', 'env'],
  );
  assert.ok(!r.stderr.includes(SECRET), r.stderr);
  assert.equal(lines[0]?.overrides, '[REDACTED]');
  assert.deepEqual(lines[0]?.secret_names, ['A'], 'names stay readable');
  assert.deepEqual(lines[1]?.request, { body: '[REDACTED]', authorization: '[REDACTED]' });
  assert.equal(lines[2]?.env, '[REDACTED]');
  assert.equal(lines[2]?.secrets, '[REDACTED]');
});
