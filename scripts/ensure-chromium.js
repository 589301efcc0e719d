#!/usr/bin/env node
// First step of `npm test`: the console tests drive a real Chromium (Debian's package, through
// playwright-core; no browser download). Finds it at RUNYARD_CHROMIUM or /usr/bin/chromium;
// when it is missing, installs Debian's `chromium` where this process may (root with apt-get,
// or passwordless sudo), and otherwise stops at once with the exact command to run. Never a
// silent skip: a test run without the browser would not test the console.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const path = process.env.RUNYARD_CHROMIUM ?? '/usr/bin/chromium';
const INSTALL = 'apt-get update && apt-get install -y chromium';

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function fail(message) {
  console.error(`\nensure-chromium: ${message}\n`);
  process.exit(1);
}

if (existsSync(path)) process.exit(0);
if (process.env.RUNYARD_CHROMIUM) fail(`RUNYARD_CHROMIUM=${path} does not exist. Point it at a Chromium binary, or unset it to use /usr/bin/chromium.`);
if (!has('apt-get')) fail(`no Chromium at ${path} and no apt-get here. Install Chromium, then run the tests with RUNYARD_CHROMIUM=/path/to/chromium.`);

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = !root && has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
if (!root && !sudo) fail(`no Chromium at ${path}. Install it with:\n\n  sudo sh -c '${INSTALL}'\n\nthen run npm test again.`);

console.error(`ensure-chromium: no Chromium at ${path}; installing Debian's chromium (${INSTALL})`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const run = (args) => spawnSync(root ? args[0] : 'sudo', root ? args.slice(1) : ['-n', ...args], { stdio: ['ignore', 'inherit', 'inherit'], env });
if (run(['apt-get', 'update']).status !== 0 || run(['apt-get', 'install', '-y', 'chromium']).status !== 0) {
  fail(`installing chromium failed (see above). Run it yourself:\n\n  ${root ? '' : 'sudo '}sh -c '${INSTALL}'`);
}
if (!existsSync(path)) fail(`apt-get installed chromium but ${path} is still missing; set RUNYARD_CHROMIUM to its path.`);
console.error(`ensure-chromium: installed ${path}`);
