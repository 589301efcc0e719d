/**
 * Live event streams over Server-Sent Events: one run's events until it is terminal (then an
 * `end` event carrying the final run), or a whole workspace's events until the client leaves.
 * `Last-Event-ID` (the event `seq`) resumes a dropped stream without loss.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { isTerminalRun } from '../core/status.js';
import type { Engine } from '../engine/engine.js';
import { presentEvent, presentOne } from './present.js';

/** Events read per query. */
const PAGE = 500;
/** Longest wait for a wake-up before polling the store again (other processes' writes), ms. */
const POLL_MS = 1000;

/** Streams events with `seq > after` of `runId` (or the workspace when null). */
export function streamEvents(c: Context, engine: Engine, baseUrl: string, runId: string | null, after: number): Response {
  const ws = engine.workspaceId;
  return streamSSE(c, async (stream) => {
    let cursor = after;
    let wake: (() => void) | undefined;
    const unsubscribe = runId === null ? engine.notifier.onAnyRun(() => wake?.()) : engine.notifier.onRun(runId, () => wake?.());
    stream.onAbort(() => wake?.());
    try {
      while (!stream.aborted) {
        const events = await engine.store.listEvents(ws, runId, cursor, PAGE);
        for (const e of events) {
          await stream.writeSSE({ id: String(e.seq), event: e.type, data: JSON.stringify(presentEvent(e)) });
          cursor = e.seq;
        }
        if (events.length === PAGE) continue;
        if (runId !== null) {
          const run = await engine.runs.getRun(ws, runId);
          if (isTerminalRun(run.status)) {
            if ((await engine.store.listEvents(ws, runId, cursor, 1)).length > 0) continue;
            await stream.writeSSE({ event: 'end', data: JSON.stringify(await presentOne(engine, baseUrl, run)) });
            break;
          }
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, POLL_MS);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    } finally {
      unsubscribe();
    }
  });
}
