#!/usr/bin/env node
// `npm run test:stress`: the whole suite (or the files matching the arguments, as in
// run-tests.js) while three CPU-bound processes share the machine with it. Tests that depend on
// timing must hold here: they wait for conditions, and budgets scale with measured load. The
// burners are started and stopped by this script, and each one also exits by itself after
// RUNYARD_STRESS_MAX_MS (default 60 min), so none outlives a killed run.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BURNERS = Number(process.env.RUNYARD_STRESS_BURNERS ?? 3);
const MAX_MS = Number(process.env.RUNYARD_STRESS_MAX_MS ?? 60 * 60 * 1000);
const burn = `const end = Date.now() + ${MAX_MS}; let x = 0; while (Date.now() < end) { for (let i = 0; i < 1e6; i++) x += i; }`;

const burners = Array.from({ length: BURNERS }, () => spawn(process.execPath, ['-e', burn], { stdio: 'ignore' }));
const stop = () => {
  for (const b of burners) b.kill('SIGKILL');
};
process.on('exit', stop);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stop();
    process.exit(130);
  });
}
console.log(`stress: ${BURNERS} CPU-bound processes beside the suite (pids ${burners.map((b) => b.pid).join(', ')})`);
const runner = fileURLToPath(new URL('./run-tests.js', import.meta.url));
const res = spawnSync(process.execPath, [runner, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, RUNYARD_TEST_STRESS: String(BURNERS) },
});
stop();
process.exit(res.status ?? 1);
