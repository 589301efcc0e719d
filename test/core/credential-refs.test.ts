/** Credential references in producer configs: discovery, planning leaves them unrendered, filling only where the producer fills. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { credentialRefs, fillPlaceholders, protectPlaceholders } from '../../src/core/credential-refs.js';
import { PermanentError } from '../../src/core/errors.js';
import { collectTemplateFields, renderDeep } from '../../src/core/template.js';

describe('credential references', () => {
  const config = {
    url: 'https://api.test/{{id}}',
    headers: { authorization: 'Bearer {{credentials.api-key.v2}}', 'x-both': '{{ credentials.other }}/{{id}}' },
    credentials: { API_KEY: 'api-key.v2', BAD: 3 },
  };

  test('finds placeholders at any depth and the entries of the credentials map, each with its field', () => {
    assert.deepEqual(credentialRefs(config), [
      { name: 'api-key.v2', field: 'config.headers.authorization', via: 'placeholder' },
      { name: 'other', field: 'config.headers.x-both', via: 'placeholder' },
      { name: 'api-key.v2', field: 'config.credentials.API_KEY', via: 'env', env: 'API_KEY' },
    ]);
    assert.deepEqual(credentialRefs(null), []);
  });

  test('planning renders row fields and leaves placeholders as they are; they are not row fields', () => {
    const rendered = renderDeep(config, { id: 7 }) as typeof config;
    assert.equal(rendered.headers.authorization, 'Bearer {{credentials.api-key.v2}}');
    assert.equal(rendered.headers['x-both'], '{{ credentials.other }}/7');
    assert.deepEqual(
      collectTemplateFields(config, 'config').map((r) => r.field),
      ['id', 'id'],
    );
    assert.equal(protectPlaceholders('\\{{credentials.x}}'), '\\{{credentials.x}}', 'an escaped placeholder stays escaped once');
  });

  test('fills only the given top-level fields; an unknown name fails with credential_not_found naming it', () => {
    const inputs = { url: 'https://x/{{credentials.k}}', headers: { a: 'Bearer {{credentials.k}}', list: ['{{credentials.k}}'] } };
    const filled = fillPlaceholders(inputs, ['headers'], new Map([['k', 's3cret']]));
    assert.deepEqual(filled, { url: 'https://x/{{credentials.k}}', headers: { a: 'Bearer s3cret', list: ['s3cret'] } });
    assert.equal(inputs.headers.a, 'Bearer {{credentials.k}}', 'the stored inputs are not changed');
    assert.throws(
      () => fillPlaceholders(inputs, ['headers'], new Map()),
      (err: unknown) => err instanceof PermanentError && err.code === 'credential_not_found' && err.message.includes('"k"'),
    );
  });
});
