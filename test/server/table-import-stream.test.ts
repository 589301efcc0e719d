/**
 * `POST /v1/tables/import`: the raw file, streamed, over real loopback HTTP, on both databases.
 * The body is sent in two parts with the client pausing in between: while the server holds
 * half an import, it answers other requests and lists no half-written table; a bad row or
 * byte deep in the file leaves nothing behind; CSV and NDJSON rows land in order.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startRunyard, type RunningRunyard } from '../../src/server/start.js';
import { silentLogger } from '../../src/engine/logger.js';
import { tempDir } from '../helpers/fixtures.js';
import { authFetch } from '../helpers/auth.js';
import { postgresForFile } from '../helpers/postgres.js';

const pg = postgresForFile();

/** Sends `parts` as one chunked POST, calling `between(i)` after each part but the last. */
function postInParts(
  url: string,
  token: string | undefined,
  path: string,
  type: string,
  parts: (string | Buffer)[],
  between: (i: number) => Promise<void> = async () => undefined,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({
      host: hostname,
      port,
      method: 'POST',
      path,
      headers: { 'content-type': type, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    void (async () => {
      for (let i = 0; i < parts.length; i++) {
        req.write(parts[i]);
        if (i < parts.length - 1) await between(i);
      }
      req.end();
    })().catch(reject);
  });
}

const csvRows = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => `${from + i},"v ${from + i}"\n`).join('');

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`raw table import, streamed, on ${db}`, { timeout: 180_000 }, () => {
    let ry: RunningRunyard;
    let api: typeof fetch;
    before(async () => {
      const dir = tempDir();
      const databaseUrl = db === 'sqlite' ? `${dir}/r.db` : await (await pg()).createDatabase();
      ry = await startRunyard({ port: 0, dataDir: dir, databaseUrl, logger: silentLogger, executor: false });
      api = authFetch(ry.adminToken);
    });
    after(async () => ry.close(1000));

    const tableNames = async (): Promise<string[]> =>
      ((await (await api(`${ry.url}/v1/tables`)).json()) as { data: { name: string }[] }).data.map((t) => t.name);

    test('a CSV sent in two parts: invisible and the server answering while half of it is in, then every row in order', async () => {
      const ROWS = 30_000;
      const seenMidway: string[][] = [];
      const answer = await postInParts(
        ry.url,
        ry.adminToken,
        '/v1/tables/import?name=big',
        'text/csv',
        ['n,label\n' + csvRows(0, ROWS / 2), csvRows(ROWS / 2, ROWS)],
        async () => {
          // The server is holding half the file: it answers, and lists no half-written table.
          seenMidway.push(await tableNames());
        },
      );
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.deepEqual(seenMidway, [[]]);
      assert.equal(answer.body.row_count, ROWS);
      assert.deepEqual(answer.body.fields, ['n', 'label']);
      const id = String(answer.body.id);
      const first = (await (await api(`${ry.url}/v1/tables/${id}/rows?limit=2`)).json()) as { data: { data: Record<string, string> }[] };
      assert.deepEqual(
        first.data.map((r) => r.data),
        [
          { n: '0', label: 'v 0' },
          { n: '1', label: 'v 1' },
        ],
      );
      assert.deepEqual(await tableNames(), ['big']);
    });

    test('a bad row deep in the file: 422 naming its line, and no table or row is left', async () => {
      const answer = await postInParts(ry.url, ry.adminToken, '/v1/tables/import?name=broken&format=csv', 'application/octet-stream', [
        'n,label\n' + csvRows(0, 9000),
        '9000,"x",extra\n' + csvRows(9001, 9100),
      ]);
      assert.equal(answer.status, 422);
      const error = answer.body.error as { code: string; message: string; details: { line: number } };
      assert.equal(error.code, 'import_failed');
      assert.equal(error.details.line, 9002, error.message);
      assert.ok(!(await tableNames()).includes('broken'));
    });

    test('invalid UTF-8: 422 naming the byte offset, nothing written', async () => {
      const head = Buffer.from('n,label\n1,ok\n');
      const answer = await postInParts(ry.url, ry.adminToken, '/v1/tables/import?name=bytes', 'text/csv', [head, Buffer.from([0x32, 0x2c, 0xff, 0x0a])]);
      assert.equal(answer.status, 422);
      const error = answer.body.error as { code: string; details: { offset: number } };
      assert.equal(error.code, 'import_failed');
      assert.equal(error.details.offset, head.length + 2);
      assert.ok(!(await tableNames()).includes('bytes'));
    });

    test('NDJSON by its Content-Type, split inside a line; a missing format is refused naming it', async () => {
      const text = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ i, tags: ['a', i % 2 ? 'odd' : 'even'] })).join('\n');
      const cut = Math.floor(text.length / 2);
      const answer = await postInParts(ry.url, ry.adminToken, '/v1/tables/import?name=nd', 'application/x-ndjson', [text.slice(0, cut), text.slice(cut)]);
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.equal(answer.body.row_count, 5000);
      assert.deepEqual(answer.body.fields, ['i', 'tags']);

      const refused = await postInParts(ry.url, ry.adminToken, '/v1/tables/import?name=what', 'text/plain', ['a\n1\n']);
      assert.equal(refused.status, 422);
      assert.equal((refused.body.error as { details: { field: string } }).details.field, 'format');
    });

    test('a CSV over 1 Mi characters in the JSON body is parsed as a stream too: every row in order; a bad row deep in it leaves nothing', async () => {
      const ROWS = 100_000;
      const data = 'n,label\n' + csvRows(0, ROWS);
      assert.ok(data.length > 1024 * 1024);
      const post = (name: string, text: string) =>
        api(`${ry.url}/v1/tables`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name, format: 'csv', data: text }),
        });
      const ok = await post('whole', data);
      assert.equal(ok.status, 201);
      const t = (await ok.json()) as { id: string; row_count: number };
      assert.equal(t.row_count, ROWS);
      const rows = (await (await api(`${ry.url}/v1/tables/${t.id}/rows?limit=1`)).json()) as { data: { data: Record<string, string> }[] };
      assert.deepEqual(rows.data[0]?.data, { n: '0', label: 'v 0' });

      const bad = await post('whole-bad', data + '1,2,3\n');
      assert.equal(bad.status, 422);
      const error = ((await bad.json()) as { error: { code: string; details: { line: number } } }).error;
      assert.equal(error.code, 'import_failed');
      assert.equal(error.details.line, ROWS + 2);
      assert.ok(!(await tableNames()).includes('whole-bad'));
    });

    test('no token: 401 and nothing is read into a table', async () => {
      const answer = await postInParts(ry.url, undefined, '/v1/tables/import?name=anon', 'text/csv', ['n\n1\n']);
      assert.equal(answer.status, 401);
      assert.ok(!(await tableNames()).includes('anon'));
    });
  });
}
