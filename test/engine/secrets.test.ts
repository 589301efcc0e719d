/**
 * SecretBox (AES-256-GCM) and the secret key: env, generated file (0600, once), bad keys; the
 * key fingerprint the database records from its first node, and the refusal of another key.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunyardError } from '../../src/core/errors.js';
import { loadSecretKey, parseSecretKey, SecretBox, SecretBoxError, SECRET_KEY_FILE } from '../../src/engine/secrets.js';
import { checkSecretKey } from '../../src/engine/secret-key-check.js';
import { sqliteStore, tempDir } from '../helpers/fixtures.js';

const SECRETS = { API_TOKEN: 'tok_live_0123456789', PEM: '-----BEGIN-----\nabc\n-----END-----', QUOTED: 'a "b" $c \\d é' };

describe('SecretBox', () => {
  test('seal → open round-trips; names in clear, values not', () => {
    const box = SecretBox.random();
    const stored = box.seal(SECRETS);
    assert.ok(stored);
    const parsed = JSON.parse(stored) as { names: string[]; kid: string; box: string };
    assert.deepEqual(parsed.names, ['API_TOKEN', 'PEM', 'QUOTED']);
    assert.equal(parsed.kid, box.keyId);
    for (const v of Object.values(SECRETS)) {
      assert.ok(!stored.includes(v));
      assert.ok(!stored.includes(Buffer.from(v).toString('base64')));
    }
    assert.deepEqual(box.open(stored), SECRETS);
    assert.equal(box.seal({}), null);
  });

  test('every seal uses a fresh IV', () => {
    const box = SecretBox.random();
    assert.notEqual(box.seal(SECRETS), box.seal(SECRETS));
  });

  test('a tampered ciphertext, tag or IV fails to open', () => {
    const box = SecretBox.random();
    const stored = JSON.parse(box.seal(SECRETS) ?? '') as { names: string[]; kid: string; box: string };
    const raw = Buffer.from(stored.box, 'base64');
    for (const at of [0, 12, 28, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[at] = (bad[at] ?? 0) ^ 1;
      assert.throws(() => box.open(JSON.stringify({ ...stored, box: bad.toString('base64') })), SecretBoxError);
    }
    assert.throws(() => box.open(JSON.stringify({ ...stored, box: raw.subarray(0, 20).toString('base64') })), /truncated/);
    assert.throws(() => box.open('not json'), SecretBoxError);
    assert.throws(() => box.open('{}'), /malformed/);
  });

  test('the names are bound to the box: renaming one breaks it', () => {
    const box = SecretBox.random();
    const stored = JSON.parse(box.seal(SECRETS) ?? '') as { names: string[] };
    assert.throws(() => box.open(JSON.stringify({ ...stored, names: ['API_TOKEN', 'PEM', 'OTHER'] })), SecretBoxError);
  });

  test('another key fails, naming the key ids; without a kid it still fails', () => {
    const a = SecretBox.random();
    const b = SecretBox.random();
    const stored = a.seal(SECRETS) ?? '';
    assert.throws(
      () => b.open(stored),
      (err: Error) => err instanceof SecretBoxError && err.message.includes(a.keyId) && err.message.includes(b.keyId),
    );
    const { kid: _kid, ...noKid } = JSON.parse(stored) as Record<string, unknown>;
    assert.throws(() => b.open(JSON.stringify(noKid)), /cannot be decrypted/);
    assert.deepEqual(a.open(JSON.stringify(noKid)), SECRETS);
  });

  test('fingerprints are keyed', () => {
    const key = randomBytes(32);
    assert.equal(new SecretBox(key).fingerprint('x'), new SecretBox(Buffer.from(key)).fingerprint('x'));
    assert.notEqual(new SecretBox(key).fingerprint('x'), SecretBox.random().fingerprint('x'));
    assert.notEqual(new SecretBox(key).fingerprint('x'), new SecretBox(key).fingerprint('y'));
  });
});

describe('secret key', () => {
  const key = randomBytes(32);

  test('RUNYARD_SECRET_KEY: 64 hex characters or base64 / base64url of 32 bytes', async () => {
    for (const text of [
      key.toString('hex'),
      key.toString('hex').toUpperCase(),
      key.toString('base64'),
      key.toString('base64url'),
      ` ${key.toString('hex')}\n`,
    ]) {
      assert.deepEqual(parseSecretKey(text), key);
    }
    const loaded = await loadSecretKey({ env: key.toString('base64'), dataDir: join(tempDir(), 'unused') });
    assert.equal(loaded.source, 'env');
    assert.deepEqual(loaded.key, key);
  });

  test('a malformed key is refused naming the variable, never echoing it', () => {
    for (const bad of ['short', 'g'.repeat(64), key.toString('hex').slice(2), randomBytes(16).toString('base64'), randomBytes(33).toString('base64')]) {
      assert.throws(
        () => parseSecretKey(bad),
        (err: Error) =>
          err instanceof RunyardError &&
          err.code === 'validation_failed' &&
          /^RUNYARD_SECRET_KEY: expected 64 hex characters/.test(err.message) &&
          !err.message.includes(bad),
      );
    }
  });

  test('generated once into the data dir with mode 0600, then reused', async () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const first = await loadSecretKey({ env: undefined, dataDir });
    assert.equal(first.source, 'generated');
    const path = join(dataDir, SECRET_KEY_FILE);
    assert.equal(first.path, path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.match(readFileSync(path, 'utf8'), /^[0-9a-f]{64}\n$/);
    const second = await loadSecretKey({ env: '', dataDir });
    assert.equal(second.source, 'file');
    assert.deepEqual(second.key, first.key);
  });

  test('concurrent first starts agree on one key', async () => {
    const dataDir = tempDir();
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadSecretKey({ env: undefined, dataDir })));
    for (const k of keys) assert.deepEqual(k.key, keys[0]?.key);
    assert.equal(keys.filter((k) => k.source === 'generated').length, 1);
  });

  test('a key file readable by group or others is refused with the chmod to run', async () => {
    const dataDir = tempDir();
    const path = join(dataDir, SECRET_KEY_FILE);
    writeFileSync(path, key.toString('hex'), { mode: 0o644 });
    chmodSync(path, 0o644);
    await assert.rejects(loadSecretKey({ env: undefined, dataDir }), (err: Error) => err instanceof RunyardError && err.message.includes(`chmod 600 ${path}`));
    chmodSync(path, 0o600);
    assert.deepEqual((await loadSecretKey({ env: undefined, dataDir })).key, key);
  });

  test('a corrupt key file is refused naming the file', async () => {
    const dataDir = tempDir();
    const path = join(dataDir, SECRET_KEY_FILE);
    writeFileSync(path, 'garbage', { mode: 0o600 });
    await assert.rejects(loadSecretKey({ env: undefined, dataDir }), (err: Error) => err.message.startsWith(`${path}: expected 64 hex characters`));
  });
});

describe('the key fingerprint recorded in the database', () => {
  test('the first node records it; the same key passes; another key is refused naming where it came from', async () => {
    const store = await sqliteStore();
    const key = randomBytes(32);
    const box = new SecretBox(key);
    assert.equal(box.keyFingerprint, new SecretBox(Buffer.from(key)).keyFingerprint);
    assert.match(box.keyFingerprint, /^[0-9a-f]{64}$/);
    assert.ok(!box.keyFingerprint.includes(key.toString('hex')) && box.keyFingerprint !== box.keyId);
    assert.deepEqual(await checkSecretKey(store, box, { source: 'generated', path: '/d/secret.key' }, 1), { recorded: true });
    assert.deepEqual(await checkSecretKey(store, box, { source: 'env' }, 2), { recorded: false });
    const other = SecretBox.random();
    const cases: [Parameters<typeof checkSecretKey>[2], RegExp][] = [
      [{ source: 'env' }, /^secret key: the key in RUNYARD_SECRET_KEY is not the key .*: set RUNYARD_SECRET_KEY to the other nodes' key/],
      [
        { source: 'file', path: '/d2/secret.key' },
        /^secret key: the key in \/d2\/secret\.key \(RUNYARD_SECRET_KEY is unset\) .*replace \/d2\/secret\.key with their secret\.key/,
      ],
      [{ source: 'generated', path: '/d3/secret.key' }, /^secret key: a new key generated into \/d3\/secret\.key/],
    ];
    for (const [origin, pattern] of cases) {
      await assert.rejects(checkSecretKey(store, other, origin, 3), (err: Error) => {
        assert.ok(err instanceof RunyardError && err.code === 'secret_key_mismatch' && err.details?.field === 'RUNYARD_SECRET_KEY');
        assert.match(err.message, pattern);
        assert.ok(err.message.includes(box.keyFingerprint.slice(0, 16)) && err.message.includes(other.keyFingerprint.slice(0, 16)));
        assert.ok(!err.message.includes(key.toString('hex')));
        return true;
      });
    }
    await store.close();
  });
});
