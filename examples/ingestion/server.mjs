#!/usr/bin/env node
// A small paginated API for the ingestion example: the 312 time zones of the IANA tz database's
// zone1970.tab (public domain; see examples/ingestion/README.md), served from 127.0.0.1 in two
// pagination styles. Node only, no dependencies.
//
//   GET /cursor/zones?cursor=C&limit=N   → { "data": [zone…], "next_cursor": "…" | null }
//   GET /pages/zones?page=P&per_page=N   → { "zones": [zone…], "page": P, "per_page": N, "total": 312 }
//
// A zone is { zone, country_codes, coordinates, latitude, longitude, comments }: `zone` is the TZ
// name (the key), `country_codes` the comma-separated ISO 3166 codes, `coordinates` the ISO 6709
// string as in the file, `latitude`/`longitude` the same in decimal degrees (4 decimals).
// N is 1…100 (default 50). Cursors are opaque (base64url of the offset); a bad one is a 400.
// Pages past the end are empty.
//
// Usage: node examples/ingestion/server.mjs [--port 4600] [--delay-ms 0]
//   --port 0 picks a free port; the first line on stdout names the URL.
//   --delay-ms makes every answer wait that long (to watch a run's pages arrive).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '4600' }, 'delay-ms': { type: 'string', default: '0' } } });
const port = Number(values.port);
const delayMs = Number(values['delay-ms']);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected 0…65535, got ${values.port}`);
if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`--delay-ms: expected a number ≥ 0, got ${values['delay-ms']}`);

/** ISO 6709 ±DDMM[SS] / ±DDDMM[SS] → decimal degrees, 4 decimals. */
function degrees(s, degDigits) {
  const sign = s[0] === '-' ? -1 : 1;
  const d = Number(s.slice(1, 1 + degDigits));
  const m = Number(s.slice(1 + degDigits, 3 + degDigits));
  const sec = s.length > 3 + degDigits ? Number(s.slice(3 + degDigits)) : 0;
  return (sign * Math.round((d + m / 60 + sec / 3600) * 10_000)) / 10_000;
}

/** The zones of zone1970.tab, in file order. */
function loadZones(path = new URL('./data/zone1970.tab', import.meta.url)) {
  const zones = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [codes, coordinates, zone, comments = ''] = line.split('\t');
    const m = /^([+-]\d+)([+-]\d+)$/.exec(coordinates);
    if (!m) throw new Error(`zone1970.tab: bad coordinates ${coordinates} for ${zone}`);
    zones.push({
      zone,
      country_codes: codes,
      coordinates,
      latitude: degrees(m[1], 2),
      longitude: degrees(m[2], 3),
      comments,
    });
  }
  return zones;
}

const zones = loadZones();
const encode = (offset) => Buffer.from(`o:${offset}`).toString('base64url');
const decode = (cursor) => {
  const m = /^o:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
};

/** `name` of `q` as an integer in min…max, `fallback` when absent; undefined when invalid. */
function intParam(q, name, min, max, fallback) {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

const server = createServer((req, res) => {
  const u = new URL(req.url ?? '/', 'http://127.0.0.1');
  const send = (status, body) =>
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    }, delayMs);
  if (req.method !== 'GET') return send(405, { error: 'only GET' });
  const q = u.searchParams;
  if (u.pathname === '/cursor/zones') {
    const limit = intParam(q, 'limit', 1, 100, 50);
    const cursor = q.get('cursor');
    const offset = cursor === null || cursor === '' ? 0 : decode(cursor);
    if (limit === undefined) return send(400, { error: 'limit: expected an integer from 1 to 100' });
    if (offset === undefined) return send(400, { error: 'cursor: not a cursor this API gave out' });
    const data = zones.slice(offset, offset + limit);
    return send(200, { data, next_cursor: offset + limit < zones.length ? encode(offset + limit) : null });
  }
  if (u.pathname === '/pages/zones') {
    const page = intParam(q, 'page', 1, 1_000_000, 1);
    const perPage = intParam(q, 'per_page', 1, 100, 50);
    if (page === undefined) return send(400, { error: 'page: expected an integer ≥ 1' });
    if (perPage === undefined) return send(400, { error: 'per_page: expected an integer from 1 to 100' });
    const from = (page - 1) * perPage;
    return send(200, { zones: zones.slice(from, from + perPage), page, per_page: perPage, total: zones.length });
  }
  return send(404, { error: `no route ${u.pathname}; try /cursor/zones or /pages/zones` });
});

server.listen(port, '127.0.0.1', () => {
  console.log(`zones API on http://127.0.0.1:${server.address().port} (${zones.length} zones)`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
