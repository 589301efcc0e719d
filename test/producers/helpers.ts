/** Shared fixtures for the producer tests: a ProducerContext builder and process probes. */
import { readFileSync } from 'node:fs';
import type { ProducerContext } from '../../src/core/producer.js';

/** A context for one attempt; `inputs` is the (already rendered) config. */
export function makeCtx(inputs: Record<string, unknown>, over: Partial<ProducerContext> = {}): ProducerContext {
  return {
    inputs,
    idempotencyKey: 'idem_run1_itm1',
    signal: new AbortController().signal,
    attempt: 2,
    runId: 'run_01TEST',
    itemId: 'itm_01TEST',
    env: {},
    timeoutMs: 10_000,
    ...over,
  };
}

/** Whether `pid` is a live (non-zombie) process. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** Polls until `pid` is gone; returns false if it is still alive after `ms`. */
export async function waitDead(pid: number, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !isAlive(pid);
}

/** Captures what a promise rejects with (fails the test if it resolves). */
export async function rejection(
  p: Promise<unknown>,
): Promise<Error & { code?: string; retryAfterMs?: number; detail?: unknown; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** Captures what a synchronous call throws. */
export function thrown(fn: () => unknown): Error & { code?: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the call to throw, but it returned');
}
