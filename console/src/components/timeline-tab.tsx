/**
 * A run's timeline (`GET /v1/runs/{id}/timeline`): how long it queued and ran, where its wall
 * time went (queued, running, waiting for input, paused, backing off), a duration breakdown of its items (work time, p50, p95, slowest, retries), and each of its first
 * started items as a bar from the run's start: waiting (grey), then working (coloured by outcome).
 */
import { useEffect, useState } from 'react';
import { api, must, type Run, type Schemas } from '../api/client';
import { BreakdownView } from './breakdown';
import { count, duration, time } from './format';
import { Clip, ErrorBox, StatusChip } from './ui';

type Timeline = Schemas['Timeline'];
const SHOWN = 200;

export function TimelineTab({ run, version }: { run: Run; version: number }) {
  const [tl, setTl] = useState<Timeline | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stop = false;
    must(api.GET('/v1/runs/{run_id}/timeline', { params: { path: { run_id: run.id }, query: { limit: SHOWN } } })).then(
      (t) => !stop && (setTl(t), setError(null)),
      (err: unknown) => !stop && setError(err),
    );
    return () => {
      stop = true;
    };
  }, [run.id, version]);

  if (error) return <ErrorBox error={error} title="Could not load the timeline" />;
  if (!tl) return <p className="muted">Loading timeline…</p>;
  const start = tl.run.started_at ? Date.parse(tl.run.started_at) : null;
  const end = Math.max(
    tl.run.finished_at ? Date.parse(tl.run.finished_at) : Date.now(),
    ...tl.items.map((i) => (i.finished_at ? Date.parse(i.finished_at) : i.started_at ? Date.parse(i.started_at) : 0)),
  );
  const span = start === null ? 0 : Math.max(1, end - start);
  const pct = (ms: number) => `${Math.max(0, Math.min(100, (ms / span) * 100))}%`;
  const s = tl.stats;
  return (
    <div data-testid="timeline">
      <h2>Phases</h2>
      <dl className="facts">
        <Fact label="Queued" value={`${duration(tl.run.queued_ms)} (created ${time(tl.run.created_at)})`} />
        <Fact label="Running" value={tl.run.running_ms === null ? 'not started' : duration(tl.run.running_ms)} />
        <Fact label="Finished" value={time(tl.run.finished_at)} />
      </dl>
      <h2>Where the time went</h2>
      <BreakdownView breakdown={tl.breakdown} />
      <h2>Duration breakdown of the items</h2>
      <dl className="facts">
        <Fact label="Items started" value={`${count(s.items_started)} of ${count(run.items_total)}`} />
        <Fact label="Work time (sum of items)" value={duration(s.total_duration_ms)} />
        <Fact label="Median item" value={duration(s.p50_duration_ms)} />
        <Fact label="95th percentile item" value={duration(s.p95_duration_ms)} />
        <Fact label="Slowest item" value={duration(s.max_duration_ms)} />
        <Fact label="Attempts" value={`${count(s.attempts)} (${count(s.items_retried)} item${s.items_retried === 1 ? '' : 's'} retried)`} />
      </dl>
      <h2>Items from start to finish{tl.items.length < s.items_started ? ` (first ${tl.items.length} of ${count(s.items_started)})` : ''}</h2>
      {tl.items.length === 0 || start === null ? (
        <p className="muted">No item has started yet.</p>
      ) : (
        <div className="timeline" role="list">
          <p className="small muted">
            <span className="legend seg-wait" /> waiting since the run started · <span className="legend seg-ok" /> working (colour: outcome)
          </p>
          {tl.items.map((i) => {
            const at = i.started_at ? Date.parse(i.started_at) - start : 0;
            const took = i.duration_ms ?? (i.finished_at && i.started_at ? Date.parse(i.finished_at) - Date.parse(i.started_at) : Date.now() - start - at);
            const seg = i.status === 'succeeded' ? 'seg-ok' : i.status === 'failed' ? 'seg-fail' : 'seg-run';
            return (
              <div
                className="timeline-row"
                role="listitem"
                key={i.id}
                title={`${i.key}: waited ${duration(i.wait_ms)}, worked ${duration(took)}, ${i.attempt_count} attempt(s)`}
              >
                <span className="clip small">
                  {i.ordinal} · {i.key.slice(0, 200)}
                </span>
                <span className="timeline-bar" aria-hidden="true">
                  <span className="seg-wait" style={{ left: 0, width: pct(at) }} />
                  <span className={seg} style={{ left: pct(at), width: pct(took) }} />
                </span>
                <span className="small">
                  <StatusChip status={i.status} /> {duration(took)}
                </span>
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        <Clip text={value} />
      </dd>
    </div>
  );
}
