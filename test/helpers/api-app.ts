/**
 * An engine with its HTTP API on 127.0.0.1 for API tests: a real store (either backend), the
 * real executor (and, with `triggers`, the trigger loops), real HTTP with an admin token; helpers
 * to call it and wait on runs.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Role } from '../../src/core/access.js';
import { createEngine, type Engine, type EngineConfig } from '../../src/engine/engine.js';
import { SecretBox } from '../../src/engine/secrets.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { createApp } from '../../src/server/app.js';
import { tokenFor } from './auth.js';
import type { Backend } from './backends.js';
import { FAST, until } from './fixtures.js';

/** A JSON answer; `error` as the API shapes it. */
export type Json = Record<string, unknown> & { error?: { code: string; message: string; details: Record<string, unknown> } };

export interface ApiApp {
  engine: Engine;
  base: string;
  /** An HTTP call with the admin token (or `token`); `json` is `{}` for an empty body. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>, token?: string): Promise<{ status: number; json: Json; text: string }>;
  /** A token of `role` named `name`. */
  token(role: Role, name: string): Promise<string>;
  /** The run once it is succeeded, partial, failed or canceled (fails after `ms`). */
  finished(runId: string, ms?: number): Promise<Json>;
  /** A run's items, at most 1,000. */
  items(runId: string): Promise<Json[]>;
  close(): Promise<void>;
}

export interface ApiAppOptions {
  /** Where `js` and `command` producers resolve modules. */
  dir?: string;
  /** Engine options over {@link FAST}. */
  options?: EngineConfig['options'];
  /** Start the trigger loops with these timings. */
  triggers?: EngineConfig['triggers'];
  /** Seal run secrets with a fresh key (`secrets` overrides of runs). */
  secrets?: boolean;
}

/** Starts the engine on a fresh store of `backend` and its API on a free loopback port. */
export async function startApiApp(backend: Backend, opts: ApiAppOptions = {}): Promise<ApiApp> {
  const { store } = await backend.open();
  const engine = createEngine({
    store,
    producers: createProducerRegistry(opts.dir === undefined ? {} : { baseDir: opts.dir }),
    options: { ...FAST, ...opts.options },
    ...(opts.triggers === undefined ? {} : { triggers: opts.triggers }),
    ...(opts.secrets ? { secrets: SecretBox.random() } : {}),
  });
  const admin = await tokenFor(engine, 'admin');
  let base = '';
  const server: ServerType = serve({ fetch: createApp(engine, { baseUrl: () => base }).fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => server.once('listening', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await engine.startExecutor();
  if (opts.triggers !== undefined) engine.triggers.start();
  const call: ApiApp['call'] = async (method, path, body, headers = {}, token = admin) => {
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
    finished: (runId, ms = 20_000) =>
      until(`run ${runId} to finish`, ms, async () => {
        const r = await call('GET', `/v1/runs/${runId}`);
        return ['succeeded', 'partial', 'failed', 'canceled'].includes(r.json.status as string) ? r.json : undefined;
      }),
    items: async (runId) => (await call('GET', `/v1/runs/${runId}/items?limit=1000`)).json.data as Json[],
    async close() {
      if (opts.triggers !== undefined) await engine.triggers.stop();
      await engine.stopExecutor();
      await new Promise<void>((r) => server.close(() => r()));
      await engine.store.close();
    },
  };
}
