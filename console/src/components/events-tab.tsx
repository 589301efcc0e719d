/**
 * A run's events: the first page from `GET /v1/runs/{id}/events` (more on request), then the
 * live ones the run page received over SSE since it opened (after a "load more" gap while
 * older pages are unread), merged by `seq` without repeats.
 */
import { useEffect, useMemo, useState } from 'react';
import { api, must, type RunEvent } from '../api/client';
import { jsonText, time } from './format';
import { Clip, ErrorBox } from './ui';

const PAGE = 200;

export function EventsTab({ runId, live }: { runId: string; live: readonly RunEvent[] }) {
  const [loaded, setLoaded] = useState<RunEvent[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const fetchAfter = async (after: number, prev: RunEvent[]) => {
    try {
      const res = await must(api.GET('/v1/runs/{run_id}/events', { params: { path: { run_id: runId }, query: { after, limit: PAGE } } }));
      const data = 'data' in (res as object) ? (res as { data: RunEvent[] }).data : [];
      setLoaded([...prev, ...data]);
      setMore(data.length === PAGE);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    setLoaded(null);
    void fetchAfter(0, []);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- a new run starts over
  }, [runId]);

  const last = loaded?.at(-1)?.seq ?? 0;
  // Live events newer than the loaded pages; while older pages remain unread they show after a gap.
  const newer = useMemo(() => live.filter((e) => e.seq > last), [live, last]);

  return (
    <div>
      <ErrorBox error={error} title="Could not load events" />
      {loaded === null ? (
        <p className="muted">Loading events…</p>
      ) : loaded.length === 0 && newer.length === 0 ? (
        <p className="muted">No events yet.</p>
      ) : (
        <ol className="events" aria-label="Events" data-testid="events">
          {loaded.map((e) => (
            <EventRow key={e.seq} e={e} />
          ))}
          {more ? (
            <li className="gap">
              <button type="button" onClick={() => void fetchAfter(last, loaded)}>
                Load more events
              </button>
              {newer.length > 0 ? <span className="muted small">Later events, received live, follow.</span> : null}
            </li>
          ) : null}
          {newer.map((e) => (
            <EventRow key={e.seq} e={e} />
          ))}
        </ol>
      )}
    </div>
  );
}

function EventRow({ e }: { e: RunEvent }) {
  return (
    <li>
      <span className="mono small">#{e.seq}</span>
      <span className="small wide">{time(e.created_at)}</span>
      <span className="mono small">{e.type}</span>
      <Clip className="small" text={(e.item_id ? `${e.item_id} ` : '') + jsonText(e.data)} />
    </li>
  );
}
