/**
 * A real paginated HTTP API on 127.0.0.1 for ingestion tests: one dataset of `records`
 * (`{id, name, n}`), served
 * - `GET /numbered?page=N&per_page=S` → `{data: [...], page}` (page 1 is the first; past the end: `[]`)
 * - `GET /cursor?cursor=C&limit=S` → `{items: [...], next: C' | null}` (C = the offset, base-36)
 * - `GET /link?page=N&per_page=S` → `[...]` with `Link: <...page=N+1...>; rel="next"` while more remain
 * - `GET /loop?cursor=C` → one record and always the same next cursor (a loop)
 * - `GET /text` → not JSON; `GET /empty` → `{}` (no records at the path)
 * - Files, one page of every record: `GET /file.ndjson`, `GET /file.csv` (`id,name,n`), `GET
 *   /file.json` (an array); bad ones: `GET /bad.ndjson` (line 3 is no JSON), `GET /bad.csv` (an
 *   unclosed quote)
 *
 * Failure injection by page number (1-based; for cursors, the page the offset falls on):
 * `failing` pages answer 500 (`Retry-After: 0`) until {@link PagedApi.heal}; `throttled` pages
 * answer 429 with `Retry-After: 1` to their next request only (then leave the set). `auth`, when set, is the bearer
 * token every request must carry (401 otherwise). Every request is logged with its time.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PagedApi {
  url: string;
  records: { id: string; name: string; n: number }[];
  /** Requests served: path+query, page, status, time (ms). */
  log: { path: string; page: number; status: number; at: number }[];
  failing: Set<number>;
  throttled: Set<number>;
  auth: string | undefined;
  /** Each answer waits this long first, ms (a slow provider). @default 0 */
  delayMs: number;
  heal(): void;
  close(): Promise<void>;
}

export async function startPagedApi(count: number): Promise<PagedApi> {
  const records = Array.from({ length: count }, (_, i) => ({ id: `r${String(i).padStart(5, '0')}`, name: `record ${i}`, n: i }));
  const api: PagedApi = {
    url: '',
    records,
    log: [],
    failing: new Set(),
    throttled: new Set(),
    auth: undefined,
    delayMs: 0,
    heal: () => api.failing.clear(),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}, page = 0): void => {
      if (api.delayMs > 0) {
        const ms = api.delayMs;
        setTimeout(() => reply(status, body, headers, page), ms);
        return;
      }
      reply(status, body, headers, page);
    };
    const reply = (status: number, body: unknown, headers: Record<string, string>, page: number): void => {
      api.log.push({ path: `${u.pathname}${u.search}`, page, status, at: Date.now() });
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (api.auth !== undefined && req.headers.authorization !== `Bearer ${api.auth}`) return send(401, { error: 'unauthorized' });
    const csvCell = (v: string | number) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
    switch (u.pathname) {
      case '/file.ndjson':
        return send(200, records.map((r) => JSON.stringify(r)).join('\n') + '\n', { 'content-type': 'application/x-ndjson' }, 1);
      case '/file.csv':
        return send(200, ['id,name,n', ...records.map((r) => [r.id, r.name, r.n].map(csvCell).join(','))].join('\r\n'), { 'content-type': 'text/csv' }, 1);
      case '/file.json':
        return send(200, records, {}, 1);
      case '/bad.ndjson':
        return send(200, '{"id":"a"}\n{"id":"b"}\nnot json\n', { 'content-type': 'application/x-ndjson' }, 1);
      case '/bad.csv':
        return send(200, 'id,name\na,"unclosed\n', { 'content-type': 'text/csv' }, 1);
    }
    const size = Number(u.searchParams.get('per_page') ?? u.searchParams.get('limit') ?? 10);
    let offset: number;
    if (u.pathname === '/cursor' || u.pathname === '/loop') offset = parseInt(u.searchParams.get('cursor') ?? '0', 36);
    else offset = (Number(u.searchParams.get('page') ?? 1) - 1) * size;
    const page = Math.floor(offset / size) + 1;
    if (api.failing.has(page)) return send(500, { error: 'boom' }, { 'retry-after': '0' }, page);
    if (api.throttled.has(page)) {
      api.throttled.delete(page);
      return send(429, { error: 'slow down' }, { 'retry-after': '1' }, page);
    }
    const slice = records.slice(offset, offset + size);
    const more = offset + size < records.length;
    switch (u.pathname) {
      case '/numbered':
        return send(200, { data: slice, page }, {}, page);
      case '/cursor':
        return send(200, { items: slice, next: more ? (offset + size).toString(36) : null }, {}, page);
      case '/link': {
        const next = new URL(u.href);
        next.searchParams.set('page', String(page + 1));
        return send(200, slice, more ? { link: `<${next.pathname}${next.search}>; rel="next"` } : {}, page);
      }
      case '/loop':
        return send(200, { items: slice.slice(0, 1), next: 'a' }, {}, page);
      case '/text':
        return send(200, 'not json at all', { 'content-type': 'text/plain' }, page);
      case '/empty':
        return send(200, {}, {}, page);
      default:
        return send(404, { error: 'no such path' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}
