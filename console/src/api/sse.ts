/**
 * Following Server-Sent Events from the API (`?follow=true`): fetch + eventsource-parser, so
 * every event name is seen (EventSource only delivers names it was told about) and a dropped
 * stream resumes after the last `seq` received, without loss or repeats.
 */
import { createParser } from 'eventsource-parser';
import { useEffect, useRef } from 'react';
import type { Run, RunEvent } from './client';

export interface FollowHandlers {
  /** Each event, in `seq` order. */
  onEvent(e: RunEvent): void;
  /** A run stream's closing `end` event, with the final run. */
  onEnd?(run: Run): void;
  /** Connection state changes: `live` (connected), `retrying` (dropped, reconnecting). */
  onState?(state: 'live' | 'retrying'): void;
}

/** Opens the stream after `after`; resolves to its body (null when the request failed). */
export type OpenStream = (after: number, signal: AbortSignal) => Promise<ReadableStream<Uint8Array> | null | undefined>;

/** Delay before reconnecting a dropped stream, ms. */
const RETRY_MS = 1000;

/**
 * Follows a stream until `signal` aborts or (run streams) the `end` event arrives.
 * @param after resume point: only events with `seq > after` are delivered
 */
export async function follow(open: OpenStream, after: number, h: FollowHandlers, signal: AbortSignal): Promise<void> {
  let cursor = after;
  let ended = false;
  const parser = createParser({
    onEvent(msg) {
      if (msg.event === 'end') {
        ended = true;
        h.onEnd?.(JSON.parse(msg.data) as Run);
        return;
      }
      const e = JSON.parse(msg.data) as RunEvent;
      if (e.seq <= cursor) return;
      cursor = e.seq;
      h.onEvent(e);
    },
  });
  while (!signal.aborted && !ended) {
    try {
      const body = await open(cursor, signal);
      if (body) {
        h.onState?.('live');
        parser.reset();
        const reader = body.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(decoder.decode(value, { stream: true }));
        }
      }
    } catch {
      // dropped or refused: retry below unless aborted
    }
    if (signal.aborted || ended) break;
    h.onState?.('retrying');
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

/**
 * React hook: follows `open` from `after` while `enabled`, calling the latest handlers.
 * `key` restarts the stream (e.g. a different run).
 */
export function useFollow(key: string, open: OpenStream, after: number | null, handlers: FollowHandlers, enabled: boolean): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  const openRef = useRef(open);
  openRef.current = open;
  useEffect(() => {
    if (!enabled || after === null) return;
    const ac = new AbortController();
    void follow(
      (a, s) => openRef.current(a, s),
      after,
      {
        onEvent: (e) => ref.current.onEvent(e),
        onEnd: (r) => ref.current.onEnd?.(r),
        onState: (s) => ref.current.onState?.(s),
      },
      ac.signal,
    );
    return () => ac.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `after` is the start point only
  }, [key, enabled, after === null]);
}
