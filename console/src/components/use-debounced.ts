/** A debounced call for live pages: a burst of events becomes one re-read. */
import { useCallback, useEffect, useRef } from 'react';

/**
 * Returns a stable function that calls `fn` once, `ms` milliseconds after the first call of a
 * burst; calls in between are absorbed. The newest `fn` is the one called, so a timer set before
 * a filter change never reads the old filters. The pending call is dropped on unmount.
 * @param ms delay, milliseconds
 */
export function useDebounced(fn: () => void, ms: number): () => void {
  const latest = useRef(fn);
  useEffect(() => {
    latest.current = fn;
  }, [fn]);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, ms);
  }, [ms]);
}
