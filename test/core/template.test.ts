/** Templates: strict rendering over nested config, type-keeping whole placeholders, field discovery. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RunyardError } from '../../src/core/errors.js';
import { collectTemplateFields, renderDeep, templateFields } from '../../src/core/template.js';

const NUM_RUNS = 200;

/** Runs `fn`, expecting a RunyardError with `code`; returns it. */
function expectCode(code: string, fn: () => unknown): RunyardError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RunyardError, `expected RunyardError, got ${String(err)}`);
    assert.equal(err.code, code);
    return err;
  }
  assert.fail(`expected ${code}`);
}

describe('template: renderDeep', () => {
  const row = { name: 'Ada', n: 42, obj: { a: [1, 2] }, flag: false, zero: 0, html: '<a&b>' };

  test('renders strings inside nested objects and arrays; other values are kept', () => {
    const config = { url: 'https://x.test/{{name}}?n={{n}}', body: { list: ['{{name}}', 'lit', 7, null, true], deep: { s: 'hi {{ name }}' } }, timeout: 5 };
    assert.deepEqual(renderDeep(config, row), {
      url: 'https://x.test/Ada?n=42',
      body: { list: ['Ada', 'lit', 7, null, true], deep: { s: 'hi Ada' } },
      timeout: 5,
    });
  });

  test('a whole-placeholder field keeps its type', () => {
    assert.equal(renderDeep('{{n}}', row), 42);
    assert.deepEqual(renderDeep({ v: '{{ obj }}' }, row), { v: { a: [1, 2] } });
    assert.equal(renderDeep('{{flag}}', row), false);
    assert.equal(renderDeep('{{zero}}', row), 0);
    assert.equal(renderDeep('{{n}} ', row), '42 ', 'not a whole placeholder: rendered as text');
  });

  test('does not HTML-escape', () => {
    assert.equal(renderDeep('v={{html}}', row), 'v=<a&b>');
    assert.equal(renderDeep('{{html}}', row), '<a&b>');
    assert.equal(renderDeep('"{{html}}" & \'x\'', row), '"<a&b>" & \'x\'');
  });

  test('a missing field is template_error naming the path, never an empty string', () => {
    const err = expectCode('template_error', () => renderDeep({ body: { list: ['ok', 'x {{missing}}'] } }, row));
    assert.equal(err.details?.['field'], 'config.body.list[1]');
    assert.match(err.message, /config\.body\.list\[1\]/);
    assert.match(err.message, /missing/);
    const whole = expectCode('template_error', () => renderDeep({ a: '{{missing}}' }, row, 'input'));
    assert.equal(whole.details?.['field'], 'input.a');
    expectCode('template_error', () => renderDeep('{{obj.nope.deeper}}', row));
  });

  test('a missing field that shares a name with an Object.prototype member is still an error', () => {
    for (const t of ['{{constructor}}', 'x {{toString}}', '{{__proto__}}']) expectCode('template_error', () => renderDeep(t, {}));
  });

  test('property: text without placeholders is returned unchanged', () => {
    const literal = fc.string({ maxLength: 80 }).filter((s) => !s.includes('{{'));
    fc.assert(
      fc.property(literal, (s) => {
        assert.equal(renderDeep(s, {}), s);
        assert.deepEqual(renderDeep({ a: [s, { b: s }] }, { x: 1 }), { a: [s, { b: s }] });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('property: a template of literal text around placeholders renders the values verbatim', () => {
    const text = fc.string({ maxLength: 20 }).filter((s) => !/[{}\\]/.test(s));
    const value = fc.string({ maxLength: 20 });
    fc.assert(
      fc.property(text, value, text, (before, v, after) => {
        assert.equal(renderDeep(`${before}{{v}}${after}`, { v }), `${before}${v}${after}`);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('template: field discovery', () => {
  test('collectTemplateFields finds fields with their paths', () => {
    const found = collectTemplateFields({ url: '{{a}}/{{b.c}}', args: ['x', '{{ d }}'], n: 3, nested: { deep: '{{#if e}}{{f}}{{/if}}' } }, 'config');
    assert.deepEqual(
      found.map((f) => `${f.path}:${f.field}`).sort(),
      ['config.args[1]:d', 'config.nested.deep:e', 'config.nested.deep:f', 'config.url:a', 'config.url:b'].sort(),
    );
  });

  test('helpers and @data variables are not fields', () => {
    assert.deepEqual(templateFields('{{#each xs}}{{@index}}{{/each}}{{#if y}}{{/if}}').sort(), ['xs', 'y']);
    assert.deepEqual(templateFields('no placeholders'), []);
  });

  test('bad syntax is validation_failed naming the path', () => {
    const err = expectCode('validation_failed', () => collectTemplateFields({ a: ['ok', '{{#if x}}unclosed'] }, 'config'));
    assert.equal(err.details?.['field'], 'config.a[1]');
    expectCode('validation_failed', () => collectTemplateFields('{{', 'input'));
  });
});
