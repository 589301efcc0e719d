import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { toItemError } from '../../src/core/errors.js';
import { parseTableData } from '../../src/engine/table-import.js';

// Compiled to dist/test/engine/; the repo root is three levels up.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const csv = readFileSync(`${root}examples/countries.csv`, 'utf8');
const table = parseTableData('csv', csv);
const byCode = new Map(table.rows.map((r) => [r.cca3, r]));

function row(cca3: string): Record<string, unknown> {
  const r = byCode.get(cca3);
  assert.ok(r, `row ${cca3} is in the CSV`);
  return r;
}

interface ColumnFile {
  name: string;
  producer: 'js' | 'shell';
  config: Record<string, unknown>;
}
const column = (file: string): ColumnFile => JSON.parse(readFileSync(`${root}examples/${file}`, 'utf8')) as ColumnFile;

test('examples/countries.csv parses: 250 rows with the documented fields', () => {
  assert.deepEqual(table.fields, [
    'cca3',
    'name',
    'official_name',
    'region',
    'subregion',
    'capital',
    'lat',
    'lng',
    'area_km2',
    'landlocked',
    'un_member',
    'idd_root',
    'idd_suffixes',
  ]);
  assert.equal(table.rows.length, 250);
  assert.deepEqual(table.rows[0], {
    cca3: 'ABW',
    name: 'Aruba',
    official_name: 'Aruba',
    region: 'Americas',
    subregion: 'Caribbean',
    capital: 'Oranjestad',
    lat: '12.5',
    lng: '-69.96666666',
    area_km2: '180',
    landlocked: 'false',
    un_member: 'false',
    idd_root: '+2',
    idd_suffixes: '97',
  });
  assert.equal(row('SHN').official_name, 'Saint Helena, Ascension and Tristan da Cunha');
  assert.equal(row('ALA').name, 'Åland Islands');
});

test('size_class column: the js module classifies rows and fails permanently without an area', async () => {
  const col = column('countries-size-class.column.json');
  assert.equal(col.producer, 'js');
  assert.equal(col.config.module, 'examples/size-class.mjs');
  const mod = (await import(`${root}examples/size-class.mjs`)) as { default: (input: unknown) => unknown };
  const run = (cca3: string) => mod.default({ name: row(cca3).name, area_km2: row(cca3).area_km2 });
  assert.equal(run('ABW'), 'micro'); // 180 km²
  assert.equal(run('BEL'), 'small'); // 30,528 km²
  assert.equal(run('AFG'), 'medium'); // 652,230 km²
  assert.equal(run('IND'), 'large'); // 3,287,590 km²
  assert.equal(run('USA'), 'very_large'); // 9,372,610 km²
  assert.throws(
    () => run('SJM'), // area recorded as -1 in the source
    (err: unknown) => {
      const e = toItemError(err);
      return e.code === 'missing_area' && !e.retryable && /Svalbard and Jan Mayen/.test(e.message);
    },
  );
  const failing = table.rows.filter((r) => {
    try {
      mod.default({ name: r.name, area_km2: r.area_km2 });
      return false;
    } catch {
      return true;
    }
  });
  assert.deepEqual(
    failing.map((r) => r.cca3),
    ['SJM'],
  );
});

test('dial_prefixes column: the shell script prints prefixes and exits 1 without a calling code', () => {
  const col = column('countries-dial-prefixes.column.json');
  assert.equal(col.producer, 'shell');
  assert.deepEqual(col.config.args, ['examples/dial-prefixes.mjs', '{{idd_root}}', '{{idd_suffixes}}']);
  const run = (cca3: string) =>
    spawnSync(process.execPath, ['examples/dial-prefixes.mjs', String(row(cca3).idd_root), String(row(cca3).idd_suffixes)], {
      cwd: root,
      encoding: 'utf8',
    });
  assert.equal(run('ABW').stdout.trim(), '+297');
  assert.equal(run('DOM').stdout.trim(), '+1809, +1829, +1849');
  assert.equal(run('SHN').stdout.trim(), '+290, +247');
  assert.equal(run('USA').stdout.trim(), '+1 (380 suffixes)');
  const ata = run('ATA');
  assert.equal(ata.status, 1);
  assert.equal(ata.stdout, '');
  assert.match(ata.stderr, /no international calling code/);
});
