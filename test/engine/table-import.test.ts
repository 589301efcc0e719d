import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunyardError, ValidationError } from '../../src/core/errors.js';
import { detectFormat, parseTableData } from '../../src/engine/table-import.js';

/** Asserts `fn` throws an `import_failed` RunyardError whose message matches and whose details equal `details`. */
function assertImportError(fn: () => unknown, message: RegExp, details: Record<string, unknown>): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof RunyardError, `expected RunyardError, got ${String(err)}`);
    assert.equal(err.code, 'import_failed');
    assert.match(err.message, message);
    assert.deepEqual(err.details, details);
    return true;
  });
}

test('detectFormat maps extensions case-insensitively and returns undefined otherwise', () => {
  assert.equal(detectFormat('people.csv'), 'csv');
  assert.equal(detectFormat('dir.v2/People.CSV'), 'csv');
  assert.equal(detectFormat('rows.json'), 'json');
  assert.equal(detectFormat('rows.ndjson'), 'ndjson');
  assert.equal(detectFormat('rows.JSONL'), 'ndjson');
  assert.equal(detectFormat('rows.tsv'), undefined);
  assert.equal(detectFormat('csv'), undefined);
  assert.equal(detectFormat('rows.csv.gz'), undefined);
  assert.equal(detectFormat(''), undefined);
});

test('csv: header and rows, values stay strings', () => {
  const t = parseTableData('csv', 'id,score,active\n1,2.5,true\n2,,false\n');
  assert.deepEqual(t.fields, ['id', 'score', 'active']);
  assert.deepEqual(t.rows, [
    { id: '1', score: '2.5', active: 'true' },
    { id: '2', score: '', active: 'false' },
  ]);
});

test('csv: strips a UTF-8 BOM from the first header name', () => {
  const t = parseTableData('csv', '\uFEFFname,age\nAda,36\n');
  assert.deepEqual(t.fields, ['name', 'age']);
  assert.deepEqual(t.rows, [{ name: 'Ada', age: '36' }]);
});

test('csv: CRLF, LF and CR line ends (also mixed) leave no \\r in values', () => {
  const crlf = parseTableData('csv', 'a,b\r\n1,2\r\n3,4\r\n');
  assert.deepEqual(crlf.rows, [
    { a: '1', b: '2' },
    { a: '3', b: '4' },
  ]);
  const mixed = parseTableData('csv', 'a,b\n1,2\r\n3,4\r5,6');
  assert.deepEqual(mixed.rows, [
    { a: '1', b: '2' },
    { a: '3', b: '4' },
    { a: '5', b: '6' },
  ]);
});

test('csv: quoted fields keep embedded line breaks, doubled quotes and surrounding spaces', () => {
  const text = 'id,note\r\n1,"line one\r\nline two"\r\n2,"she said ""hi"""\r\n3,"  padded  "\r\n4,  bare  \r\n';
  const t = parseTableData('csv', text);
  assert.deepEqual(t.rows, [
    { id: '1', note: 'line one\r\nline two' },
    { id: '2', note: 'she said "hi"' },
    { id: '3', note: '  padded  ' },
    { id: '4', note: '  bare  ' },
  ]);
});

test('csv: delimiters and semicolons inside quotes are data', () => {
  const t = parseTableData('csv', 'k,v\n"a,b;c",x;y\n');
  assert.deepEqual(t.rows, [{ k: 'a,b;c', v: 'x;y' }]);
});

test('csv: unicode header names and values', () => {
  const t = parseTableData('csv', 'naïve,город,emoji\nçà,Москва,🚀✨\n');
  assert.deepEqual(t.fields, ['naïve', 'город', 'emoji']);
  assert.deepEqual(t.rows, [{ naïve: 'çà', город: 'Москва', emoji: '🚀✨' }]);
});

test('csv: empty lines are skipped', () => {
  const t = parseTableData('csv', '\n\na,b\n\n1,2\n\n\n3,4\n\n');
  assert.deepEqual(t.fields, ['a', 'b']);
  assert.deepEqual(t.rows, [
    { a: '1', b: '2' },
    { a: '3', b: '4' },
  ]);
});

test('csv: header only gives fields and no rows', () => {
  assert.deepEqual(parseTableData('csv', 'a,b,c\n'), { fields: ['a', 'b', 'c'], rows: [] });
  assert.deepEqual(parseTableData('csv', '\uFEFFa,b,c'), { fields: ['a', 'b', 'c'], rows: [] });
});

test('csv: a row with a different column count names its line number', () => {
  assertImportError(() => parseTableData('csv', 'a,b,c\n1,2,3\n4,5\n'), /^data line 3: row has 2 columns but the header \(line 1\) has 3$/, {
    field: 'data',
    line: 3,
    index: 1,
  });
  // Too many columns, after a quoted multi-line field and skipped empty lines (CRLF).
  assertImportError(() => parseTableData('csv', 'a,b\r\n"x\r\ny",z\r\n\r\n1,2,3\r\n'), /^data line 5: row has 3 columns/, {
    field: 'data',
    line: 5,
    index: 1,
  });
});

test('csv: duplicate header names are named', () => {
  assertImportError(() => parseTableData('csv', 'id,name,id,x,name\n1,2,3,4,5\n'), /^data line 1: duplicate header names "id", "name"$/, {
    field: 'data',
    line: 1,
  });
});

test('csv: an empty header cell is refused', () => {
  assertImportError(() => parseTableData('csv', 'a,,c\n1,2,3\n'), /^data line 1: header column 2 is empty$/, { field: 'data', line: 1 });
  assertImportError(() => parseTableData('csv', 'a, \n1,2\n'), /header column 2 is empty/, { field: 'data', line: 1 });
});

test('csv: prototype-polluting header names are refused', () => {
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    assertImportError(() => parseTableData('csv', `a,${key}\n1,{"polluted":true}\n`), new RegExp(`header column 2 "${key}" is not allowed`), {
      field: 'data',
      line: 1,
    });
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('csv: field name length and count limits', () => {
  const long = 'x'.repeat(201);
  assertImportError(() => parseTableData('csv', `a,${long}\n1,2\n`), /header column 2 "x+…" is longer than 200 characters/, {
    field: 'data',
    line: 1,
  });
  assert.deepEqual(parseTableData('csv', `${'y'.repeat(200)}\n1\n`).fields, ['y'.repeat(200)]);
  const many = Array.from({ length: 1001 }, (_, i) => `f${i}`).join(',');
  assertImportError(() => parseTableData('csv', `${many}\n`), /header has 1001 columns; at most 1000/, { field: 'data', line: 1 });
});

test('csv: an unclosed quote names the line where its row starts', () => {
  assertImportError(() => parseTableData('csv', 'a,b\n1,2\n"3,4\n5,6\n'), /^data line 3: a quoted field starting in this row is never closed$/, {
    field: 'data',
    line: 3,
  });
});

test('csv: a stray quote in an unquoted field is a CSV error with a line', () => {
  assertImportError(() => parseTableData('csv', 'a,b\n1,x"y\n'), /^data line 2: a quote appears inside an unquoted field/, {
    field: 'data',
    line: 2,
  });
});

test('empty input is refused for every format', () => {
  for (const format of ['csv', 'json', 'ndjson'] as const) {
    for (const text of ['', '\uFEFF', '  \n\r\n ']) {
      assertImportError(() => parseTableData(format, text), /^data: empty input$/, { field: 'data' });
    }
  }
});

test('maxRows: exactly maxRows is fine, one more is refused, for every format', () => {
  assert.equal(parseTableData('csv', 'a\n1\n2\n', { maxRows: 2 }).rows.length, 2);
  assertImportError(() => parseTableData('csv', 'a\n1\n2\n3\n4\n', { maxRows: 2 }), /^data line 4: more than 2 rows/, {
    field: 'data',
    line: 4,
    index: 2,
  });
  assert.equal(parseTableData('json', '[{"a":1},{"a":2}]', { maxRows: 2 }).rows.length, 2);
  assertImportError(() => parseTableData('json', '[{"a":1},{"a":2},{"a":3}]', { maxRows: 2 }), /^data: 3 rows is more than 2/, {
    field: 'data',
  });
  assertImportError(() => parseTableData('ndjson', '{"a":1}\n{"a":2}\n\n{"a":3}\n', { maxRows: 2 }), /^data line 4: more than 2 rows/, {
    field: 'data',
    line: 4,
    index: 2,
  });
  assert.deepEqual(parseTableData('csv', 'a\n', { maxRows: 0 }), { fields: ['a'], rows: [] });
  assert.throws(() => parseTableData('csv', 'a\n', { maxRows: -1 }), ValidationError);
  assert.throws(() => parseTableData('csv', 'a\n', { maxRows: 1.5 }), ValidationError);
});

test('json: array of objects; fields are the union of keys in first-seen order', () => {
  const t = parseTableData('json', '\uFEFF[{"b":1,"a":"x"},{"c":null,"a":"y"},{"d":{"nested":[1,2]}}]');
  assert.deepEqual(t.fields, ['b', 'a', 'c', 'd']);
  assert.deepEqual(t.rows, [{ b: 1, a: 'x' }, { c: null, a: 'y' }, { d: { nested: [1, 2] } }]);
  assert.deepEqual(parseTableData('json', '[]'), { fields: [], rows: [] });
});

test('json: a non-array document is refused', () => {
  assertImportError(() => parseTableData('json', '{"a":1}'), /^data: expected an array of objects, got object$/, { field: 'data' });
  assertImportError(() => parseTableData('json', '"rows"'), /^data: expected an array of objects, got string$/, { field: 'data' });
});

test('json: a non-object element names its index', () => {
  assertImportError(() => parseTableData('json', '[{"a":1},{"a":2},{"a":3},[1]]'), /^data\[3\]: expected an object, got an array$/, {
    field: 'data',
    index: 3,
  });
  assertImportError(() => parseTableData('json', '[{"a":1},null]'), /^data\[1\]: expected an object, got null$/, {
    field: 'data',
    index: 1,
  });
  assertImportError(() => parseTableData('json', '[7]'), /^data\[0\]: expected an object, got number$/, { field: 'data', index: 0 });
});

test('json: syntax errors name line and column', () => {
  assertImportError(() => parseTableData('json', '[\n{"a":1},\n{"a":2,}\n]'), /^data: invalid JSON \(line 3, column 8\): /, {
    field: 'data',
    line: 3,
  });
});

test('json: prototype keys are refused at the top level and nested, without polluting', () => {
  assertImportError(() => parseTableData('json', '[{"a":1},{"__proto__":{"polluted":true}}]'), /^data\[1\]: key "__proto__" is not allowed/, {
    field: 'data',
    index: 1,
  });
  assertImportError(() => parseTableData('json', '[{"constructor":{"prototype":{"polluted":true}}}]'), /^data\[0\]: key "constructor" is not allowed/, {
    field: 'data',
    index: 0,
  });
  assertImportError(() => parseTableData('json', '[{"ok":{"deep":[{"prototype":1}]}}]'), /^data\[0\]\.ok\.deep\[0\]: key "prototype" is not allowed/, {
    field: 'data',
    index: 0,
  });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
});

test('json: empty and over-long keys are refused', () => {
  assertImportError(() => parseTableData('json', '[{"":1}]'), /^data\[0\]: key "" is empty$/, { field: 'data', index: 0 });
  assertImportError(() => parseTableData('json', `[{"a":1},{"${'k'.repeat(201)}":1}]`), /^data\[1\]: key "k+…" is longer than 200/, {
    field: 'data',
    index: 1,
  });
});

test('ndjson: one object per non-empty line, BOM and CRLF allowed', () => {
  const t = parseTableData('ndjson', '\uFEFF{"id":1,"tags":["x"]}\r\n\r\n  \n{"id":2,"extra":"é"}\r\n');
  assert.deepEqual(t.fields, ['id', 'tags', 'extra']);
  assert.deepEqual(t.rows, [
    { id: 1, tags: ['x'] },
    { id: 2, extra: 'é' },
  ]);
});

test('ndjson: a bad line names its line number', () => {
  assertImportError(() => parseTableData('ndjson', '{"a":1}\n\n{"a":2\n{"a":3}\n'), /^data line 3: invalid JSON \(column 7\): /, {
    field: 'data',
    line: 3,
    index: 1,
  });
  assertImportError(() => parseTableData('ndjson', '{"a":1}\n[1,2]\n'), /^data line 2: expected an object, got an array$/, {
    field: 'data',
    line: 2,
    index: 1,
  });
  assertImportError(() => parseTableData('ndjson', '{"a":1}\n{"__proto__":{"polluted":true}}\n'), /^data line 2: key "__proto__" is not allowed/, {
    field: 'data',
    line: 2,
    index: 1,
  });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('an unknown format is refused', () => {
  assert.throws(
    () => parseTableData('xml' as 'csv', '<a/>'),
    (err: unknown) => err instanceof RunyardError && err.code === 'import_failed' && err.details?.field === 'format',
  );
});
