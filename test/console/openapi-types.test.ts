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
    // The document compares as data (formatting aside); the types as text.
    const doc = (dir: string) => JSON.parse(readFileSync(join(dir, 'openapi.json'), 'utf8')) as unknown;
    assert.deepEqual(doc('console/src/api'), doc(out), `console/src/api/openapi.json is stale: ${FIX}`);
    const fresh = readFileSync(join(out, 'schema.d.ts'), 'utf8');
    const committed = readFileSync('console/src/api/schema.d.ts', 'utf8').replace(/\r\n/g, '\n');
    assert.ok(fresh === committed, `console/src/api/schema.d.ts is stale: ${FIX}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
