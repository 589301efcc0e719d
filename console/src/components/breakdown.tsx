/**
 * A run's duration breakdown (`breakdown` of `GET /v1/runs/{id}/timeline`): one stacked bar and
 * the parts in words — queued, running, waiting for input, paused, backing off (and idle when a
 * retry reopened it) — which add up to the total shown.
 */
import type { Schemas } from '../api/client';
import { duration } from './format';

type Breakdown = Schemas['RunBreakdown'];

const PARTS: { key: keyof Breakdown; label: string; seg: string }[] = [
  { key: 'queued_ms', label: 'Queued', seg: 'bd-queued' },
  { key: 'running_ms', label: 'Running', seg: 'bd-running' },
  { key: 'waiting_for_input_ms', label: 'Waiting for input', seg: 'bd-input' },
  { key: 'paused_ms', label: 'Paused', seg: 'bd-paused' },
  { key: 'backing_off_ms', label: 'Backing off', seg: 'bd-backoff' },
  { key: 'idle_ms', label: 'Finished, before a retry reopened it', seg: 'bd-idle' },
];

export function BreakdownView({ breakdown: b }: { breakdown: Breakdown }) {
  const total = Math.max(1, b.total_ms);
  const shown = PARTS.filter((p) => p.key !== 'idle_ms' || b.idle_ms > 0);
  return (
    <div className="breakdown" data-testid="breakdown">
      <span className="breakdown-bar" aria-hidden="true">
        {shown.map((p) => (
          <span key={p.key} className={p.seg} style={{ width: `${((b[p.key] as number) / total) * 100}%` }} />
        ))}
      </span>
      <dl className="facts">
        {shown.map((p) => (
          <div key={p.key}>
            <dt>
              <span className={`legend ${p.seg}`} /> {p.label}
            </dt>
            <dd data-testid={`breakdown-${p.key}`} data-ms={b[p.key] as number}>
              {duration(b[p.key] as number)}
            </dd>
          </div>
        ))}
        <div>
          <dt>Total</dt>
          <dd data-testid="breakdown-total_ms" data-ms={b.total_ms}>
            {duration(b.total_ms)}
            {b.complete ? '' : ' (split from the first events only)'}
          </dd>
        </div>
      </dl>
    </div>
  );
}
