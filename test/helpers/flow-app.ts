/**
 * An engine with its HTTP API on 127.0.0.1 for flow tests (issue 13): the API app
 * (api-app.ts) with helpers to create and run flows and wait on them.
 */
import assert from 'node:assert/strict';
import { startApiApp, type ApiApp, type Json } from './api-app.js';
import type { Backend } from './backends.js';
import { until } from './fixtures.js';

export type { Json };

export interface FlowApp extends ApiApp {
  createFlow(definition: unknown): Promise<string>;
  runFlow(flowId: string, inputs?: Json): Promise<string>;
  openWait(runId: string): Promise<Json>;
}

/** Starts the engine (js modules resolve in `dir`) and its API. */
export async function startFlowApp(backend: Backend, dir: string): Promise<FlowApp> {
  const app = await startApiApp(backend, { dir, options: { waitReaperMs: 100 } });
  const { call } = app;
  return {
    ...app,
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
    openWait: (runId) =>
      until(`run ${runId} to wait`, 20_000, async () => ((await call('GET', `/v1/waits?status=open&run_id=${runId}`)).json.data as Json[])[0]),
  };
}
