/**
 * A run's events: the first page from `GET /v1/runs/{id}/events` (more on request), then the
 * live ones the run page receives over SSE, merged by `seq` without repeats.
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

  const events = useMemo(() => {
    if (!loaded) return [];
    const last = loaded.at(-1)?.seq ?? 0;
    // While older pages remain, live events after them are shown once the pages catch up.
    return more ? loaded : [...loaded, ...live.filter((e) => e.seq > last)];
  }, [loaded, live, more]);

  return (
    <div>
      <ErrorBox error={error} title="Could not load events" />
      {loaded === null ? (
        <p className="muted">Loading events…</p>
      ) : events.length === 0 ? (
        <p className="muted">No events yet.</p>
      ) : (
        <ol className="events" aria-label="Events" data-testid="events">
          {events.map((e) => (
            <li key={e.seq}>
              <span className="mono small">#{e.seq}</span>
              <span className="small wide">{time(e.created_at)}</span>
              <span className="mono small">{e.type}</span>
              <Clip className="small" text={(e.item_id ? `${e.item_id} ` : '') + jsonText(e.data)} />
            </li>
          ))}
        </ol>
      )}
      {more && loaded ? (
        <p>
          <button type="button" onClick={() => void fetchAfter(loaded.at(-1)?.seq ?? 0, loaded)}>
            Load more events
          </button>
        </p>
      ) : null}
    </div>
  );
}
