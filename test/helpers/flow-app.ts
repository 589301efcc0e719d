/**
 * An engine with its HTTP API on 127.0.0.1 for flow tests (issue 13): real store (either
 * backend), real executor, real HTTP; helpers to create and run flows and wait on them.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Role } from '../../src/core/access.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { createApp } from '../../src/server/app.js';
import { tokenFor } from './auth.js';
import type { Backend } from './backends.js';
import { FAST, until } from './fixtures.js';

export type Json = Record<string, unknown>;

export interface FlowApp {
  engine: Engine;
  base: string;
  /** An HTTP call with the admin token (or `token`). */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>, token?: string): Promise<{ status: number; json: Json; text: string }>;
  /** A token of `role` named `name`. */
  token(role: Role, name: string): Promise<string>;
  createFlow(definition: unknown): Promise<string>;
  runFlow(flowId: string, inputs?: Json): Promise<string>;
  finished(runId: string, ms?: number): Promise<Json>;
  openWait(runId: string): Promise<Json>;
  items(runId: string): Promise<Json[]>;
  close(): Promise<void>;
}

/** Starts the engine (js modules resolve in `dir`) and its API. */
export async function startFlowApp(backend: Backend, dir: string): Promise<FlowApp> {
  const { store } = await backend.open();
  const engine = createEngine({ store, producers: createProducerRegistry({ baseDir: dir }), options: { ...FAST, waitReaperMs: 100 } });
  const admin = await tokenFor(engine, 'admin');
  let base = '';
  const server: ServerType = serve({ fetch: createApp(engine, { baseUrl: () => base }).fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await engine.startExecutor();
  const call: FlowApp['call'] = async (method, path, body, headers = {}, token = admin) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, text };
  };
  return {
    engine,
    base,
    call,
    token: (role, name) => tokenFor(engine, role, engine.workspaceId, name),
    async createFlow(definition) {
      const res = await call('POST', '/v1/flows', { definition });
      assert.equal(res.status, 201, res.text);
      return res.json.id as string;
    },
    async runFlow(flowId, inputs = {}) {
      const res = await call('POST', `/v1/flows/${flowId}/runs`, { inputs });
      assert.equal(res.status, 201, res.text);
      return res.json.id as string;
    },
    finished: (runId, ms = 20_000) =>
      until(`run ${runId} to finish`, ms, async () => {
        const r = await call('GET', `/v1/runs/${runId}`);
        return ['succeeded', 'partial', 'failed', 'canceled'].includes(r.json.status as string) ? r.json : undefined;
      }),
    openWait: (runId) =>
      until(`run ${runId} to wait`, 20_000, async () => ((await call('GET', `/v1/waits?status=open&run_id=${runId}`)).json.data as Json[])[0]),
    items: async (runId) => (await call('GET', `/v1/runs/${runId}/items?limit=1000`)).json.data as Json[],
    async close() {
      await engine.stopExecutor();
      await new Promise<void>((r) => server.close(() => r()));
      await engine.store.close();
    },
  };
}
