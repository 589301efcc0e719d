#!/usr/bin/env node
// The `runyard` command: runs the compiled CLI (build first with `npm run build`).
import process from 'node:process';
let cli;
try {
  cli = await import('../dist/src/cli/main.js');
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('runyard: the CLI is not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
}
await cli.main(process.argv);
