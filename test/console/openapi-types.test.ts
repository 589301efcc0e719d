/**
 * The console's API types are generated, never hand-written: the committed
 * console/src/api/{openapi.json,schema.d.ts} equal what scripts/gen-openapi.js produces from
 * the server's current OpenAPI document.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FIX = 'the API changed: run `npm run gen:api` and commit console/src/api/';

test('committed console API types match /openapi.json', { timeout: 120_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), 'runyard-openapi-'));
  try {
    execFileSync(process.execPath, ['scripts/gen-openapi.js', '--out', out], { stdio: 'pipe' });
    for (const file of ['openapi.json', 'schema.d.ts']) {
      const fresh = readFileSync(join(out, file), 'utf8');
      const committed = readFileSync(join('console/src/api', file), 'utf8').replace(/\r\n/g, '\n');
      assert.ok(fresh === committed, `console/src/api/${file} is stale: ${FIX}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
