/**
 * Inbox (`/inbox`, issue 13 item 6): every open wait across runs, oldest first
 * (`GET /v1/waits?status=open`), with its run, step and phase, its age and the time left before
 * its `on_timeout` applies, coloured by the share of its answer window left (SLA: green over half,
 * amber over a tenth, red below). **Answer** opens the wait's form in place
 * (components/wait-form.tsx); an answered wait leaves the list. The list is re-read every 5 s
 * and after each answer, so ages, times left and waits answered elsewhere stay true.
 */
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api, must } from '../api/client';
import { duration } from '../components/format';
import { Clip, ErrorBox, PageHeader, StatusChip } from '../components/ui';
import { WaitForm, type Wait } from '../components/wait-form';
import { useCan } from '../session';

/** How often the list is re-read, ms. */
const REFRESH_MS = 5000;

/** SLA colour by the share of the answer window left. */
export function slaOf(w: Pick<Wait, 'age_ms' | 'time_left_ms'>): 'ok' | 'soon' | 'late' {
  const window = w.age_ms + w.time_left_ms;
  const left = window > 0 ? w.time_left_ms / window : 0;
  return left > 0.5 ? 'ok' : left > 0.1 ? 'soon' : 'late';
}
const SLA_WORDS = { ok: 'on time', soon: 'due soon', late: 'almost expired' } as const;

export function InboxPage() {
  const operator = useCan()('operator');
  const [waits, setWaits] = useState<Wait[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const load = useCallback(() => {
    must(api.GET('/v1/waits', { params: { query: { status: 'open', limit: 500 } } })).then(
      (r) => {
        setWaits(r.data);
        setError(null);
      },
      (err: unknown) => setError(err),
    );
  }, []);
  useEffect(() => {
    load();
    const t = setInterval(load, REFRESH_MS);
    return () => clearInterval(t);
  }, [load]);

  return (
    <section className="inbox-page">
      <PageHeader title="Inbox" />
      <p className="muted">
        Runs waiting on people, oldest first. A run holds no executor slot while it waits; past its time left, the wait’s on-timeout rule applies.
      </p>
      <ErrorBox error={error} title="Could not load the inbox" />
      {done ? (
        <p role="status" className="small" data-testid="inbox-answered">
          {done}
        </p>
      ) : null}
      {waits === null ? (
        error ? null : (
          <p className="muted">Loading…</p>
        )
      ) : waits.length === 0 ? (
        <div className="notice" data-testid="inbox-empty">
          Nothing is waiting for an answer.
        </div>
      ) : (
        <ul className="inbox" data-testid="inbox">
          {waits.map((w) => {
            const sla = slaOf(w);
            return (
              <li key={w.id} className={`inbox-row sla-${sla}`} data-wait-id={w.id}>
                <div className="inbox-head">
                  <span className={`sla sla-${sla}`} title={`${SLA_WORDS[sla]}: on timeout it will ${w.on_timeout}`}>
                    {SLA_WORDS[sla]}
                  </span>
                  <span className="inbox-title">
                    <strong className="clip">{w.title ?? `Step ${w.step_id}`}</strong>
                    <span className="small clip">
                      <Link to={`/runs/${w.run_id}`}>{w.run_name}</Link> · {w.step_id}
                      {w.phase ? ` · ${w.phase.replace(/_/g, ' ')}` : ''}
                    </span>
                  </span>
                  <span className="small inbox-times">
                    <span data-testid="wait-age">waiting {duration(w.age_ms)}</span> · <span data-testid="wait-left">{duration(w.time_left_ms)} left</span>
                  </span>
                  <StatusChip status={w.run_status} />
                  <button type="button" aria-expanded={open === w.id} onClick={() => setOpen(open === w.id ? null : w.id)}>
                    {open === w.id ? 'Close' : 'Answer'}
                  </button>
                </div>
                {open === w.id ? (
                  <WaitForm
                    wait={w}
                    canAnswer={operator}
                    onAnswered={(res) => {
                      setOpen(null);
                      setDone(`${res.wait.title ?? res.wait.step_id} (${w.run_name}): answered by ${res.wait.responded_by ?? 'you'}`);
                      load();
                    }}
                  />
                ) : (
                  <Clip text={w.prompt} className="small muted" />
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
