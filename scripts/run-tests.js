#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with node's test runner: the spec reporter
// on stdout for people, a TAP copy parsed for the totals, and a closing plain line
// "N passed, N failed, N skipped" that CI reads. Filter: `node scripts/run-tests.js store cli`.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
let files = find('dist').sort();
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files found under dist/');
  process.exit(1);
}
const tap = join(mkdtempSync(join(tmpdir(), 'runyard-tests-')), 'results.tap');
const res = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { stdio: 'inherit' },
);
const text = readFileSync(tap, 'utf8');
const total = (name) => [...text.matchAll(new RegExp(`^# ${name} (\\d+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
const passed = total('pass');
const failed = total('fail') + total('cancelled');
const skipped = total('skipped') + total('todo');
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(res.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
