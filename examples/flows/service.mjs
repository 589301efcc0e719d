#!/usr/bin/env node
// A tiny local service for the incident-triage flow (examples/flows/README.md): it starts
// degraded, answers its health check, and comes back healthy when it is restarted.
//
//   GET  /health   → 200 text/plain "degraded" (until restarted) or "ok"
//   POST /restart  → 200 application/json {"restarted": true, "restarts": N}; /health is "ok" after
//   GET  /stats    → 200 application/json {"health": "...", "restarts": N, "health_checks": N}
//
// Usage: node examples/flows/service.mjs [--port 4610] [--healthy]
//   --port 0 picks a free port; the first line on stdout names the URL. --healthy starts healthy.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '4610' }, healthy: { type: 'boolean', default: false } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected 0…65535, got ${values.port}`);

const state = { health: values.healthy ? 'ok' : 'degraded', restarts: 0, health_checks: 0 };

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type });
  res.end(type === 'application/json' ? JSON.stringify(body) : body);
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method === 'GET' && path === '/health') {
    state.health_checks += 1;
    return send(res, 200, `${state.health}\n`, 'text/plain');
  }
  if (req.method === 'POST' && path === '/restart') {
    state.restarts += 1;
    state.health = 'ok';
    return send(res, 200, { restarted: true, restarts: state.restarts });
  }
  if (req.method === 'GET' && path === '/stats') return send(res, 200, state);
  return send(res, 404, { error: `no route ${req.method} ${path}` });
});

server.listen(port, '127.0.0.1', () => {
  console.log(`service on http://127.0.0.1:${server.address().port} (${state.health})`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
