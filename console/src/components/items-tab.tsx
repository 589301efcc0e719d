/**
 * A run's items as a virtualized list (@tanstack/react-virtual): only the rows in view are in
 * the DOM, and only the slices in view are fetched (`GET /v1/runs/{id}/items/slice`, 100 per
 * request, random access by position), so a 100,000-item run scrolls without loading it all.
 * A status filter narrows the list; a row opens a drawer with the item's inputs, outputs,
 * error and attempts. `version` changes (live events) re-read the slices in view.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ITEM_STATUSES, must, type Item, type Run } from '../api/client';
import { duration, jsonText } from './format';
import { ItemDrawer } from './item-drawer';
import { Clip, ErrorBox, StatusChip } from './ui';
import { ItemName } from './item-name';

/** Items per slice request. */
const SLICE = 100;
const ROW_PX = 36;

export function ItemsTab({ run, status, onStatus, version }: { run: Run; status: string; onStatus(s: string): void; version: number }) {
  const [slices, setSlices] = useState<ReadonlyMap<number, Item[]>>(new Map());
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<string | null>(null);
  const inFlight = useRef(new Set<string>());
  const scroller = useRef<HTMLDivElement>(null);
  const key = `${run.id}|${status}`;
  const keyRef = useRef(key);

  const fetchSlice = useCallback(
    async (index: number, forKey: string, tag: string) => {
      const id = `${forKey}#${index}#${tag}`;
      if (inFlight.current.has(id)) return;
      inFlight.current.add(id);
      try {
        const res = await must(
          api.GET('/v1/runs/{run_id}/items/slice', {
            params: { path: { run_id: run.id }, query: { offset: index * SLICE, limit: SLICE, ...(status ? { status } : {}) } },
          }),
        );
        if (keyRef.current !== forKey) return;
        setSlices((prev) => new Map(prev).set(index, res.data));
        setTotal(res.total);
        setError(null);
      } catch (err) {
        if (keyRef.current === forKey) setError(err);
      } finally {
        inFlight.current.delete(id);
      }
    },
    [run.id, status],
  );

  // A new run or filter: start over from the first slice.
  useEffect(() => {
    keyRef.current = key;
    setSlices(new Map());
    setTotal(null);
    scroller.current?.scrollTo({ top: 0 });
    void fetchSlice(0, key, 'first');
  }, [key, fetchSlice]);

  const count = total ?? 0;
  const virtualizer = useVirtualizer({ count, getScrollElement: () => scroller.current, estimateSize: () => ROW_PX, overscan: 10 });
  const virtualRows = virtualizer.getVirtualItems();
  const firstIndex = virtualRows[0]?.index ?? 0;
  const lastIndex = virtualRows[virtualRows.length - 1]?.index ?? 0;

  // Fetch the slices in view that are missing.
  useEffect(() => {
    if (total === null) return;
    for (let s = Math.floor(firstIndex / SLICE); s <= Math.floor(lastIndex / SLICE); s++) if (!slices.has(s)) void fetchSlice(s, key, 'view');
  }, [firstIndex, lastIndex, slices, total, key, fetchSlice]);

  // Live changes: re-read the slices in view; drop the others (they are re-read when seen).
  const lastVersion = useRef(version);
  useEffect(() => {
    if (version === lastVersion.current) return;
    lastVersion.current = version;
    const inView = new Set<number>();
    for (let s = Math.floor(firstIndex / SLICE); s <= Math.floor(lastIndex / SLICE); s++) inView.add(s);
    if (inView.size === 0) inView.add(0);
    setSlices((prev) => new Map([...prev].filter(([s]) => inView.has(s))));
    for (const s of inView) void fetchSlice(s, keyRef.current, `v${version}`);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only a new version triggers this
  }, [version]);

  const itemAt = (i: number): Item | undefined => slices.get(Math.floor(i / SLICE))?.[i % SLICE];

  return (
    <div>
      <div className="filters">
        <label>
          Item status
          <select value={status} onChange={(e) => onStatus(e.target.value)} aria-label="Item status filter">
            <option value="">all</option>
            {ITEM_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small" data-testid="item-count" aria-live="polite">
          {total === null ? 'Loading items…' : `${count.toLocaleString()} item${count === 1 ? '' : 's'}${status ? ` ${status.replace(/_/g, ' ')}` : ''}`}
        </span>
      </div>
      <ErrorBox error={error} title="Could not load items" />
      {total === 0 ? (
        <div className="notice">{run.no_items ? 'This run has no items.' : status ? `No ${status.replace(/_/g, ' ')} items.` : 'No items yet.'}</div>
      ) : (
        <div
          className="vlist"
          ref={scroller}
          role="region"
          aria-label="Items"
          data-testid="items-list"
          tabIndex={0}
          style={{ height: Math.min(520, (count + 1) * ROW_PX + 4) }}
        >
          <div className="vrow vhead" aria-hidden="true">
            <span>#</span>
            <span>Status</span>
            <span className="wide">Record · key</span>
            <span>Output or error</span>
            <span>Attempts</span>
            <span className="wide">Duration</span>
          </div>
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualRows.map((v) => {
              const item = itemAt(v.index);
              return item ? (
                <button
                  key={v.key}
                  type="button"
                  className="vrow"
                  data-item-id={item.id}
                  style={{ top: 0, transform: `translateY(${v.start}px)` }}
                  onClick={() => setOpen(item.id)}
                  aria-label={`Item ${item.ordinal}${item.label ? ` (${item.label})` : ''}: ${item.status}. Open details`}
                >
                  <span className="num mono">{item.ordinal}</span>
                  <span>
                    <StatusChip status={item.status} />
                  </span>
                  <ItemName className="wide" item={item} />
                  <Clip text={item.error ? `${item.error.code}: ${item.error.message}` : jsonText(item.outputs)} />
                  <span className="num">{item.attempt_count}</span>
                  <span className="num wide">{duration(item.duration_ms)}</span>
                </button>
              ) : (
                <div key={v.key} className="vrow muted" style={{ top: 0, transform: `translateY(${v.start}px)` }}>
                  <span className="num mono">{v.index}</span>
                  <span>loading…</span>
                </div>
              );
            })}
          </div>
        </div>
      )}
      {open ? <ItemDrawer runId={run.id} itemId={open} version={version} onClose={() => setOpen(null)} /> : null}
    </div>
  );
}
