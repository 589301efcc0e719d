import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { attachmentFilename, csvRows, exportStream, neutraliseCell, type CsvColumn, type ExportFormat } from '../../src/engine/export.js';

interface Rec {
  id: number;
  text: string;
}
const COLUMNS: CsvColumn<Rec>[] = [
  { header: 'id', value: (r) => r.id },
  { header: 'text', value: (r) => r.text },
];

async function* pagesOf<T>(pages: T[][], seen?: { n: number }): AsyncGenerator<T[]> {
  for (const p of pages) {
    if (seen) seen.n += 1;
    yield p;
  }
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

function spec(format: ExportFormat, pages: Rec[][], head = true) {
  return { format, listKey: 'items', pages: pagesOf(pages), csvColumns: COLUMNS, ...(head ? { head: { key: 'run', value: { id: 'run_1' } } } : {}) };
}

describe('CSV injection: neutraliseCell', () => {
  const dangerous: [string, string][] = [
    ['=', '=HYPERLINK("http://x","y")'],
    ['+', '+cmd|" /C calc"!A0'],
    ['-', '-1+1'],
    ['@', '@SUM(A1:A2)'],
    ['TAB', '\t=1+1'],
    ['CR', '\r=1+1'],
    ['NUL', '\0=1'],
    ['leading spaces then =', '   =1+1'],
    ['leading space then @', ' @SUM(1)'],
    ['full-width =', '\uFF1D1+1'],
    ['full-width +', '\uFF0B1'],
    ['full-width -', '\uFF0D1'],
    ['full-width @', '\uFF20SUM(1)'],
    ['TAB alone', '\tabc'],
    ['CR alone', '\rabc'],
  ];
  for (const [name, value] of dangerous) {
    test(`${name} → prefixed with '`, () => {
      assert.equal(neutraliseCell(value), `'${value}`);
    });
  }
  test('ordinary text, numbers as text, JSON and ISO times stay unchanged', () => {
    for (const v of ['abc', '12', '{"a":-1}', '2026-01-01T00:00:00.000Z', 'a=b', 'x-1', "'=already", '', ' plain']) assert.equal(neutraliseCell(v), v);
  });
  test('csvRows: quotes per RFC 4180 and neutralises strings, not numbers', () => {
    const text = csvRows([
      ['=1+1', -5, 'a,"b"\nc', null, true],
      ['ok', 0, '', null, false],
    ]);
    assert.equal(text, `'=1+1,-5,"a,""b""\nc",,true\r\nok,0,,,false\r\n`);
    assert.deepEqual(parse(text), [
      ["'=1+1", '-5', 'a,"b"\nc', '', 'true'],
      ['ok', '0', '', '', 'false'],
    ]);
  });
});

describe('exportStream', () => {
  const pages: Rec[][] = [
    [
      { id: 1, text: 'a' },
      { id: 2, text: '=b' },
    ],
    [{ id: 3, text: 'line\nbreak, "quoted"' }],
  ];

  test('json: {"run": …, "items": [every record]} across pages', async () => {
    const text = await readAll(exportStream(spec('json', pages)));
    assert.deepEqual(JSON.parse(text), { run: { id: 'run_1' }, items: pages.flat() });
  });

  test('json without a head, and with no records at all', async () => {
    assert.deepEqual(JSON.parse(await readAll(exportStream(spec('json', pages, false)))), { items: pages.flat() });
    assert.deepEqual(JSON.parse(await readAll(exportStream(spec('json', [], true)))), { run: { id: 'run_1' }, items: [] });
    assert.deepEqual(JSON.parse(await readAll(exportStream(spec('json', [[], []], false)))), { items: [] });
  });

  test('ndjson: the head on the first line, then one record per line', async () => {
    const lines = (await readAll(exportStream(spec('ndjson', pages)))).split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as unknown),
      [{ id: 'run_1' }, ...pages.flat()],
    );
  });

  test('csv: a header row, then one row per record, neutralised; parses back', async () => {
    const text = await readAll(exportStream(spec('csv', pages)));
    assert.deepEqual(parse(text, { columns: true }), [
      { id: '1', text: 'a' },
      { id: '2', text: "'=b" },
      { id: '3', text: 'line\nbreak, "quoted"' },
    ]);
    assert.equal(await readAll(exportStream(spec('csv', []))), 'id,text\r\n');
  });

  test('backpressure: a reader that stops after one chunk pulls at most one page ahead', async () => {
    const seen = { n: 0 };
    const many = Array.from({ length: 100 }, (_, i) => [{ id: i, text: 'x' }]);
    const stream = exportStream({ format: 'ndjson', listKey: 'items', pages: pagesOf(many, seen), csvColumns: COLUMNS });
    const reader = stream.getReader();
    await reader.read();
    await reader.read();
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(seen.n <= 3, `pages read: ${seen.n}`);
    await reader.cancel();
  });

  test('a fast reader does not starve the event loop: timers run between pages', async () => {
    const many = Array.from({ length: 200 }, (_, i) => [{ id: i, text: 'x' }]);
    let ticks = 0;
    let ticksAtEnd = -1;
    const timer = setInterval(() => (ticks += 1), 1);
    try {
      // Reading in a tight loop of already-resolved promises: only the stream's own yields
      // let the timer run before the last chunk.
      const reader = exportStream({ format: 'ndjson', listKey: 'items', pages: pagesOf(many), csvColumns: COLUMNS }).getReader();
      while (!(await reader.read()).done) ticksAtEnd = ticks;
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticksAtEnd > 0, `timer ticks while reading: ${ticksAtEnd}`);
  });

  test('a failure mid-stream errors the stream (never a clean end) and is reported', async () => {
    async function* failing(): AsyncGenerator<Rec[]> {
      yield [{ id: 1, text: 'a' }];
      throw new Error('disk on fire');
    }
    const reported: unknown[] = [];
    const stream = exportStream({ format: 'json', listKey: 'items', pages: failing(), csvColumns: COLUMNS, onError: (e) => reported.push(e) });
    await assert.rejects(readAll(stream), /disk on fire/);
    assert.equal(reported.length, 1);
  });
});

describe('attachmentFilename', () => {
  const cases: [string, string][] = [
    ['run_01jdabc', 'run_01jdabc.csv'],
    ['../../etc/passwd', 'etc_passwd.csv'],
    ['C:\\Windows\\evil', 'C_Windows_evil.csv'],
    ['CON', '_CON.csv'],
    ['name. ', 'name.csv'],
    ['"quoted"\r\nheader: x', 'quoted_header_x.csv'],
    ['', 'export.csv'],
    ['...', 'export.csv'],
    ['ünïcødé', 'n_c_d.csv'],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(attachmentFilename(input, 'csv'), expected));
  }
  test('long names are cut to 100 characters before the extension', () => {
    assert.equal(attachmentFilename('a'.repeat(300), 'ndjson'), `${'a'.repeat(100)}.ndjson`);
  });
});
