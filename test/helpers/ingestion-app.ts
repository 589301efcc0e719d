/**
 * An engine for ingestion tests (issue 16): a fresh store of either backend, the real executor,
 * a workload profile of the test's own, the API app in process (authedApp) and a real
 * paginated API on 127.0.0.1 (paged-api.ts) with `records` records; helpers to make tables and
 * sources, start runs and read what they report.
 */
import assert from 'node:assert/strict';
import type { WorkloadProfile } from '../../src/core/profile.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { SecretBox } from '../../src/engine/secrets.js';
import { createKindRegistry } from '../../src/kinds/index.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { authedApp } from './auth.js';
import type { Backend, OpenedStore } from './backends.js';
import { FAST, waitForRun } from './fixtures.js';
import { startPagedApi, type PagedApi } from './paged-api.js';

type Json = Record<string, unknown>;

export interface IngestionApp {
  engine: Engine;
  db: OpenedStore;
  api: PagedApi;
  /** A call to the API (admin); `json` is `{}` for an empty body. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json; text: string }>;
  /** A new empty table (one column `id`): its id. */
  newTable(name: string): Promise<string>;
  /** `POST /v1/ingestions` (asserts 201): the source id. */
  createSource(def: Json): Promise<string>;
  /** Starts a run of the source with the test's profile and `body` (asserts 201): the run id. */
  runSource(id: string, body?: Json): Promise<string>;
  /** Waits for the run to finish (`ms`), then its ingestion view `{run, summary, preview?}`. */
  finished(sourceId: string, runId: string, ms?: number): Promise<{ run: Json; summary: Json; preview?: Json }>;
  close(): Promise<void>;
}

/** Starts it; `runDefaults` go into every run request (e.g. secrets overrides). */
export async function startIngestionApp(backend: Backend, o: { profile: WorkloadProfile; records: number; runDefaults?: Json }): Promise<IngestionApp> {
  const api = await startPagedApi(o.records);
  const db = await backend.open();
  const engine = createEngine({
    store: db.store,
    producers: createProducerRegistry(),
    options: FAST,
    kinds: createKindRegistry(),
    secrets: SecretBox.random(),
    profiles: { [o.profile.name]: o.profile },
  });
  const app = await authedApp(engine);
  await engine.startExecutor();
  const call: IngestionApp['call'] = async (method, path, body) => {
    const init: RequestInit = { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) };
    const res = await app.request(path, init);
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, text };
  };
  return {
    engine,
    db,
    api,
    call,
    async newTable(name) {
      const t = await call('POST', '/v1/tables', { name, format: 'csv', data: 'id\n' });
      assert.equal(t.status, 201, t.text);
      return t.json.id as string;
    },
    async createSource(def) {
      const res = await call('POST', '/v1/ingestions', def);
      assert.equal(res.status, 201, res.text);
      assert.match(res.json.id as string, /^ing_/);
      return res.json.id as string;
    },
    async runSource(id, body = {}) {
      const res = await call('POST', `/v1/ingestions/${id}/runs`, { profile: o.profile.name, ...o.runDefaults, ...body });
      assert.equal(res.status, 201, res.text);
      return (res.json.run as Json).id as string;
    },
    async finished(sourceId, runId, ms = 60_000) {
      await waitForRun(engine, runId, ms);
      const res = await call('GET', `/v1/ingestions/${sourceId}/runs/${runId}`);
      assert.equal(res.status, 200, res.text);
      return res.json as { run: Json; summary: Json; preview?: Json };
    },
    async close() {
      await engine.stopExecutor();
      await engine.store.close();
      await api.close();
    },
  };
}
