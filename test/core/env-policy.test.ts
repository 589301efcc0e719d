/** The per-run overrides policy: names, refused names, sizes, counts; messages never hold values. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ValidationError } from '../../src/core/errors.js';
import { OVERRIDE_LIMITS, refusedReason, validateOverrides } from '../../src/core/env-policy.js';

const VALUE = 'value-that-must-not-be-echoed';

/** Runs `validateOverrides` expecting a refusal; returns its message and field. */
function refusal(overrides: unknown): { message: string; field: unknown } {
  try {
    validateOverrides(overrides);
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    assert.equal(err.code, 'validation_failed');
    assert.ok(!err.message.includes(VALUE), err.message);
    assert.ok(!JSON.stringify(err.details).includes(VALUE));
    return { message: err.message, field: err.details?.field };
  }
  assert.fail(`accepted ${JSON.stringify(overrides).slice(0, 200)}`);
}

describe('env policy: refused names', () => {
  const refused = [
    'NODE_OPTIONS',
    'node_options',
    'NODE_PATH',
    'NODE_TLS_REJECT_UNAUTHORIZED',
    'NODE_EXTRA_CA_CERTS',
    'LD_PRELOAD',
    'LD_LIBRARY_PATH',
    'LD_AUDIT',
    'DYLD_INSERT_LIBRARIES',
    'PATH',
    'HOME',
    'SHELL',
    'BASH_ENV',
    'ENV',
    'PYTHONPATH',
    'PYTHONSTARTUP',
    'PERL5OPT',
    'RUBYOPT',
    'HTTP_PROXY',
    'https_proxy',
    'All_Proxy',
    'no_proxy',
    'RUNYARD_SECRET_KEY',
    'runyard_anything',
    'JAVA_TOOL_OPTIONS',
    '__proto__',
  ];
  for (const name of refused) {
    test(name, () => {
      assert.ok(refusedReason(name));
      for (const kind of ['env', 'secrets'] as const) {
        const r = refusal({ [kind]: { [name]: VALUE } });
        assert.equal(r.field, `overrides.${kind}.${name}`);
        assert.match(r.message, new RegExp(`^overrides\\.${kind}\\.${name}: ${name} cannot be overridden: `));
      }
    });
  }

  test('ordinary names pass', () => {
    for (const name of ['API_TOKEN', 'my_var', '_X', 'PATHS', 'HOMEPAGE', 'NODE_ENV', 'LANG', 'X1']) assert.equal(refusedReason(name), undefined, name);
    assert.deepEqual(validateOverrides({ env: { NODE_ENV: 'production', LANG: 'C' }, secrets: { API_TOKEN: VALUE } }), {
      env: { NODE_ENV: 'production', LANG: 'C' },
      secrets: { API_TOKEN: VALUE },
    });
  });
});

describe('env policy: bad input', () => {
  test('invalid names: =, NUL, leading digit, empty, too long', () => {
    for (const name of ['A=B', 'A\0B', '1ABC', '', 'A-B', 'A B', 'É']) {
      const r = refusal({ env: { [name]: VALUE } });
      assert.match(r.message, /is not a valid variable name/);
    }
    const long = 'A'.repeat(OVERRIDE_LIMITS.maxNameLength + 1);
    assert.match(refusal({ env: { [long]: VALUE } }).message, /at most 128 characters/);
    assert.equal(validateOverrides({ env: { ['A'.repeat(128)]: 'x' } }).env['A'.repeat(128)], 'x');
  });

  test('values: NUL, not a string, too large (bytes, not characters)', () => {
    assert.match(refusal({ env: { A: `${VALUE}\0` } }).message, /^overrides\.env\.A: the value contains a NUL character$/);
    assert.match(refusal({ secrets: { A: `\0${VALUE}` } }).message, /NUL/);
    assert.match(refusal({ env: { A: 1 } }).message, /expected a string value/);
    assert.match(refusal({ env: { A: VALUE.repeat(2000) } }).message, /larger than 32768 bytes/);
    const secretMax = 'x'.repeat(OVERRIDE_LIMITS.maxSecretBytes);
    assert.equal(validateOverrides({ secrets: { S: secretMax } }).secrets.S, secretMax);
    assert.match(refusal({ secrets: { S: `${secretMax}${VALUE}` } }).message, /^overrides\.secrets\.S: the value is larger than 8192 bytes$/);
    // 4 KiB of 3-byte characters is 12 KiB of UTF-8.
    assert.match(refusal({ secrets: { S: 'é'.repeat(4097) + VALUE } }).message, /larger than 8192 bytes/);
    assert.match(refusal({ secrets: { S: '' } }).message, /a secret cannot be empty/);
  });

  test('at most 100 variables, env and secrets together', () => {
    const vars = (n: number, p: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${p}${i}`, VALUE]));
    assert.equal(Object.keys(validateOverrides({ env: vars(60, 'E'), secrets: vars(40, 'S') }).env).length, 60);
    const r = refusal({ env: vars(61, 'E'), secrets: vars(40, 'S') });
    assert.equal(r.field, 'overrides');
    assert.match(r.message, /at most 100 variables per run .* got 101/);
    assert.match(refusal({ env: vars(10_000, 'E') }).message, /got 10000/);
  });

  test('shapes: not an object, arrays, unknown fields, a name in both maps', () => {
    assert.deepEqual(validateOverrides(undefined), { env: {}, secrets: {} });
    assert.deepEqual(validateOverrides({}), { env: {}, secrets: {} });
    assert.equal(refusal('x').field, 'overrides');
    assert.equal(refusal({ env: [VALUE] }).field, 'overrides.env');
    assert.equal(refusal({ secret: { A: VALUE } }).field, 'overrides.secret');
    const both = refusal({ env: { A: 'x' }, secrets: { A: VALUE } });
    assert.equal(both.field, 'overrides.secrets.A');
  });

  test('property: any refusal names its field and never echoes a value', () => {
    const name = fc.oneof(fc.constantFrom('NODE_OPTIONS', 'LD_PRELOAD', 'http_proxy', 'RUNYARD_X', 'OK_NAME'), fc.string({ maxLength: 10 }));
    const value = fc.oneof(fc.constant(VALUE), fc.constant(`${VALUE}\0`), fc.constant(VALUE.repeat(2000)));
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 5 }), fc.boolean(), (map, secret) => {
        try {
          validateOverrides(secret ? { secrets: map } : { env: map });
        } catch (err) {
          assert.ok(err instanceof ValidationError);
          assert.ok(!err.message.includes(VALUE));
          assert.match(String(err.details?.field), /^overrides\.(env|secrets)\./);
        }
      }),
      { numRuns: 300 },
    );
  });
});
