#!/usr/bin/env node
// Derives examples/countries.csv from world-countries@5.1.0 (countries.json, ODbL 1.0).
// Usage: node examples/build-countries-csv.mjs <path/to/world-countries/countries.json> > examples/countries.csv
// Deterministic: rows keep the source order (sorted by cca3); arrays are joined with "|";
// a missing capital or calling code stays an empty cell. No other change is made to values.
import { readFileSync } from 'node:fs';

const src = process.argv[2];
if (!src) {
  console.error('usage: node examples/build-countries-csv.mjs <countries.json>');
  process.exit(2);
}
const countries = JSON.parse(readFileSync(src, 'utf8'));

const columns = [
  ['cca3', (c) => c.cca3],
  ['name', (c) => c.name.common],
  ['official_name', (c) => c.name.official],
  ['region', (c) => c.region],
  ['subregion', (c) => c.subregion],
  ['capital', (c) => (c.capital ?? []).join('|')],
  ['lat', (c) => c.latlng[0]],
  ['lng', (c) => c.latlng[1]],
  ['area_km2', (c) => c.area],
  ['landlocked', (c) => c.landlocked],
  ['un_member', (c) => c.unMember],
  ['idd_root', (c) => c.idd?.root ?? ''],
  ['idd_suffixes', (c) => (c.idd?.suffixes ?? []).join('|')],
];

// RFC 4180 quoting: quote a cell that holds a comma, a quote or a line break; double inner quotes.
const cell = (v) => {
  const s = String(v ?? '');
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

const lines = [columns.map(([name]) => name).join(',')];
for (const c of countries) lines.push(columns.map(([, get]) => cell(get(c))).join(','));
process.stdout.write(`${lines.join('\n')}\n`);
