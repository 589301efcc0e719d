/**
 * Live event streams over Server-Sent Events: one run's events until it is terminal (then an
 * `end` event carrying the final run), or a whole workspace's events until the client leaves.
 * `Last-Event-ID` (the event `seq`) resumes a dropped stream without loss.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { RunyardError } from '../core/errors.js';
import { isTerminalRun } from '../core/status.js';
import type { Engine } from '../engine/engine.js';
import { presentEvent, presentOne } from './present.js';
import { wsOf } from './auth/principal.js';

/** Events read per query. */
const PAGE = 500;
/** Longest wait for a wake-up before polling the store again (other processes' writes), ms. */
const POLL_MS = 1000;

/**
 * Answers an events request: a JSON page (`{ data: Event[] }`) or, with `follow=true` or
 * `Accept: text/event-stream`, a live stream resuming after `Last-Event-ID` (else `after`).
 */
export async function eventsResponse(
  c: Context,
  engine: Engine,
  baseUrl: string,
  runId: string | null,
  q: { after: number; limit: number; follow?: 'true' | 'false' | undefined },
): Promise<Response> {
  const follow = q.follow === 'true' || (q.follow === undefined && (c.req.header('accept') ?? '').includes('text/event-stream'));
  if (!follow) return c.json({ data: (await engine.store.listEvents(wsOf(c), runId, q.after, q.limit)).map(presentEvent) }, 200);
  const lastId = Number(c.req.header('last-event-id') ?? q.after);
  return streamEvents(c, engine, baseUrl, runId, Number.isFinite(lastId) ? lastId : 0);
}

/** Streams events with `seq > after` of `runId` (or the workspace when null). */
export function streamEvents(c: Context, engine: Engine, baseUrl: string, runId: string | null, after: number): Response {
  const ws = wsOf(c);
  const open = c.get('openStream') as (() => (() => void) | undefined) | undefined;
  const release = open ? open() : () => undefined;
  if (!release) throw new RunyardError('rate_limited', 'too many open event streams for this token; close one first', { field: 'follow' });
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
      release();
    }
  });
}
