#!/usr/bin/env node
// `npm run bench:baseline [-- <rev>]`: measures the engine as it was at <rev> (default 0ad959d,
// the commit issue 11's "before" figures were taken at) with that commit's own benchmark, on
// this machine, and writes bench/baseline.json. `npm run bench` then prints and writes a
// before/after table next to its own figures (bench/lib/baseline.ts).
//
// How: a detached git worktree of <rev> in a temporary directory, sharing this checkout's
// node_modules (a symlink), built with its own tsc; its bench runs the sections that issue 11's
// targets name (throughput, comparator, latency; BENCH_* sizes are passed through) and writes
// its docs/benchmarks.md, whose Results table is read into the JSON. The worktree is removed at
// the end, also after a failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resultRows } from '../dist/bench/lib/baseline.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rev = process.argv[2] ?? '0ad959d';
const sections = process.env.BENCH_BASELINE_SECTIONS ?? 'throughput,comparator,latency';

function run(cmd, args, cwd) {
  const res = spawnSync(cmd, args, { cwd, stdio: 'inherit', env: process.env });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status ?? res.signal}`);
}

function main() {
  const sha = execFileSync('git', ['rev-parse', rev], { cwd: root, encoding: 'utf8' }).trim();
  const dir = join(mkdtempSync(join(tmpdir(), 'runyard-baseline-')), 'tree');
  const load = loadavg()[0].toFixed(2);
  const started = new Date();
  run('git', ['worktree', 'add', '--detach', dir, sha], root);
  try {
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
    run(process.execPath, ['dist/bench/index.js', '--only', sections, '--write'], dir);
    const md = readFileSync(join(dir, 'docs/benchmarks.md'), 'utf8');
    const rows = resultRows(md);
    if (rows.length === 0) throw new Error(`no results in ${join(dir, 'docs/benchmarks.md')}`);
    const sizes = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_')));
    const baseline = { rev: sha.slice(0, 7), taken_at: started.toISOString(), load_before: Number(load), sections: sections.split(','), sizes, rows };
    writeFileSync(join(root, 'bench/baseline.json'), `${JSON.stringify(baseline, null, 2)}\n`);
    console.log(`wrote bench/baseline.json: ${rows.length} figures of ${sha.slice(0, 7)} (load ${load} before)`);
  } finally {
    spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: 'inherit' });
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
