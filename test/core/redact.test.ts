/**
 * Redaction of per-run secrets: plain and transformed forms (base64 at every alignment,
 * base64url, URL-encoded, hex, JSON-escaped, lines of multi-line secrets), deep values, short
 * secrets ignored. Table-driven cases plus property tests.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createRedactor, MIN_REDACT_LENGTH, NO_REDACTION, REDACTED, secretForms } from '../../src/core/redact.js';

const SECRET = 'sk_live_9f8e7d6c5b4a';
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');
const hex = (s: string) => Buffer.from(s).toString('hex');

describe('redact: forms of one secret', () => {
  const { redactString } = createRedactor([SECRET]);
  const cases: [string, string][] = [
    ['plain', `token=${SECRET}; ok`],
    ['base64', `Authorization: Basic ${b64(SECRET)}`],
    ['base64 without padding', b64(SECRET).replace(/=+$/, '')],
    ['base64url', b64url(SECRET)],
    ['base64 of a longer text (offset 1)', b64(`x${SECRET}yz`)],
    ['base64 of a longer text (offset 2)', b64(`xy${SECRET}z`)],
    ['base64 of a longer text (offset 3)', b64(`user:${SECRET}`)],
    ['base64url of a longer text', b64url(`{"k":"${SECRET}"}`)],
    ['URL-encoded', `?q=${encodeURIComponent(SECRET + ' &/')}`],
    ['hex', hex(SECRET)],
    ['HEX', hex(SECRET).toUpperCase()],
    ['JSON-escaped', JSON.stringify({ v: SECRET })],
  ];
  for (const [name, text] of cases) {
    test(name, () => {
      const out = redactString(text);
      assert.notEqual(out, text, 'something was masked');
      assert.ok(out.includes(REDACTED));
      assert.ok(!out.includes(SECRET));
    });
  }

  test('special characters: URL-encoded (upper/lower escapes, form encoding) and JSON-escaped', () => {
    const s = 'p@ss "word"$HOME/\\ é\n2nd-line-value';
    const r = createRedactor([s]);
    for (const text of [
      s,
      encodeURIComponent(s),
      encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
      new URLSearchParams({ a: s }).toString(),
      JSON.stringify(s),
      JSON.stringify(JSON.stringify(s)),
      b64(s),
      hex(s),
    ]) {
      const out = r.redactString(`<<${text}>>`);
      assert.ok(out.includes(REDACTED), text);
      assert.ok(!out.includes(s));
    }
  });

  test('multi-line secrets: each line is masked on its own', () => {
    const pem = '-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n-----END KEY-----';
    const r = createRedactor([pem]);
    const out = r.redactString('line: MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf (printed alone)');
    assert.ok(!out.includes('MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf'));
    assert.equal(r.redactString(`a${pem}b`), `a${REDACTED}b`);
  });

  test('a secret containing another is masked whole', () => {
    const r = createRedactor(['abcd', 'xxabcdxx']);
    assert.equal(r.redactString('1 xxabcdxx 2 abcd'), `1 ${REDACTED} 2 ${REDACTED}`);
  });

  test(`secrets shorter than ${MIN_REDACT_LENGTH} characters are not patterns`, () => {
    const r = createRedactor(['e', 'ab', 'xyz']);
    assert.equal(r.active, false);
    assert.equal(r.redactString('the xyz abc e'), 'the xyz abc e');
  });

  test('regular-expression characters in secrets are literal', () => {
    const r = createRedactor(['a.b*c+(d)[e]$']);
    assert.equal(r.redactString('axbbc a.b*c+(d)[e]$'), `axbbc ${REDACTED}`);
  });
});

describe('redact: values', () => {
  const r = createRedactor([SECRET]);

  test('deep objects, arrays and keys; other values kept', () => {
    const value = { a: [1, true, null, `x${SECRET}`], [SECRET]: { b: b64(SECRET) }, n: 3 };
    const out = r.redact(value);
    assert.deepEqual(out, { a: [1, true, null, `x${REDACTED}`], [REDACTED]: { b: REDACTED }, n: 3 });
    assert.ok(value.a[3]?.toString().includes(SECRET), 'the input is not mutated');
  });

  test('non-plain objects are reduced to their JSON form first', () => {
    class Box {
      constructor(readonly inner = SECRET) {}
    }
    assert.deepEqual(r.redact({ box: new Box(), at: new Date(0) }), { box: { inner: REDACTED }, at: '1970-01-01T00:00:00.000Z' });
    const err = r.redact({ code: 'x', message: `failed with ${SECRET}`, retryable: false, detail: { stderr: SECRET } });
    assert.deepEqual(err, { code: 'x', message: `failed with ${REDACTED}`, retryable: false, detail: { stderr: REDACTED } });
  });

  test('__proto__ keys stay own keys (no prototype change)', () => {
    const input = JSON.parse(`{"__proto__": {"polluted": "${SECRET}"}}`) as Record<string, unknown>;
    const out = r.redact(input);
    assert.ok(Object.hasOwn(out, '__proto__'));
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('NO_REDACTION returns the value itself', () => {
    const v = { a: SECRET };
    assert.equal(NO_REDACTION.redact(v), v);
  });
});

describe('redact: properties', () => {
  const secretArb = fc.string({ minLength: 6, maxLength: 64, unit: 'binary' });
  const textArb = fc.string({ maxLength: 40, unit: 'binary' });

  test('the plain secret never survives, whatever surrounds it', () => {
    fc.assert(
      fc.property(secretArb, textArb, textArb, (secret, pre, post) => {
        const out = createRedactor([secret]).redactString(pre + secret + post);
        assert.ok(!out.includes(secret));
      }),
      { numRuns: 300 },
    );
  });

  test('base64 of any text holding the secret: no whole aligned group of it survives', () => {
    fc.assert(
      fc.property(secretArb, fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), fc.boolean(), (secret, pre, post, url) => {
        const bytes = Buffer.from(secret);
        const encoded = Buffer.concat([Buffer.from(pre), bytes, Buffer.from(post)]).toString(url ? 'base64url' : 'base64');
        const out = createRedactor([secret]).redactString(encoded);
        assert.ok(out.includes(REDACTED), `${JSON.stringify(secret)} in ${encoded}`);
        // The secret's bytes that fall on whole 3-byte groups encode to a fixed text: it is gone.
        const skip = (3 - (pre.length % 3)) % 3;
        const rest = bytes.subarray(skip);
        const whole = rest.subarray(0, rest.length - (rest.length % 3));
        if (whole.length >= 3) assert.ok(!out.includes(whole.toString(url ? 'base64url' : 'base64')));
      }),
      { numRuns: 300 },
    );
  });

  test('URL-encoded, hex and JSON forms never survive', () => {
    fc.assert(
      fc.property(secretArb, textArb, (secret, pre) => {
        const r = createRedactor([secret]);
        for (const form of [encodeURIComponent(secret), hex(secret), JSON.stringify(secret).slice(1, -1)]) {
          assert.ok(!r.redactString(pre + form).includes(form), form);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('text holding no form of the secret is unchanged', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4, maxLength: 32 }), fc.string({ maxLength: 200 }), (secret, text) => {
        fc.pre(secretForms(secret).every((f) => f.length < MIN_REDACT_LENGTH || !text.includes(f)));
        assert.equal(createRedactor([secret]).redactString(text), text);
      }),
      { numRuns: 200 },
    );
  });
});
