import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RunyardError } from '../../src/core/errors.js';
import type { Producer } from '../../src/core/producer.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { makeCtx, thrown } from './helpers.js';

const custom: Producer = {
  name: 'echo',
  validate: () => undefined,
  execute: async (ctx) => ({ value: ctx.inputs.text }),
};

describe('producer registry', () => {
  test('holds the built-ins', () => {
    const reg = createProducerRegistry();
    assert.deepEqual(reg.names(), ['shell', 'http', 'js', 'input', 'ingest_page', 'llm', 'flow_step', 'worker_llm']);
    for (const name of ['shell', 'http', 'js', 'llm']) {
      assert.equal(reg.has(name), true);
      assert.equal(reg.get(name).name, name);
    }
  });

  test('an unknown producer is unknown_producer naming the choices', () => {
    const reg = createProducerRegistry({ baseDir: '/tmp' });
    assert.equal(reg.has('nope'), false);
    const err = thrown(() => reg.get('nope'));
    assert.ok(err instanceof RunyardError, String(err));
    assert.equal(err.code, 'unknown_producer');
    assert.equal(err.message, 'producer "nope" is not known; use one of shell, http, js, input, ingest_page, llm, flow_step, worker_llm');
    assert.equal(err.details?.field, 'producer');
  });

  test('custom producers can be registered once', async () => {
    const reg = createProducerRegistry();
    reg.register(custom);
    assert.deepEqual(reg.names(), ['shell', 'http', 'js', 'input', 'ingest_page', 'llm', 'flow_step', 'worker_llm', 'echo']);
    assert.equal((await reg.get('echo').execute(makeCtx({ text: 'hi' }))).value, 'hi');
    assert.match(thrown(() => reg.get('x')).message, /use one of shell, http, js, input, ingest_page, llm, flow_step, worker_llm, echo$/);
    const dup = thrown(() => reg.register({ ...custom }));
    assert.equal(dup.code, 'conflict');
    const bad = thrown(() => reg.register({ name: '', validate: () => undefined } as unknown as Producer));
    assert.equal(bad.code, 'validation_failed');
    assert.equal(createProducerRegistry().has('echo'), false, 'registries do not share state');
  });
});
