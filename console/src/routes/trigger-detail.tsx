/**
 * The pages of one trigger (issue 15 §5–6), each linking to the runs it started:
 * - `/triggers/rules/:id`: definition, Pause/Resume, Edit (a new version), Test against a sample
 *   event (`POST /v1/rules/{id}/test`: whether it matches and the run it would create; nothing
 *   starts), and the last fires with their events and runs.
 * - `/triggers/schedules/:id`: cron, time zone, next 5 fire times, Pause/Resume, Edit (`PATCH`, a
 *   new version), last fires.
 * - `/triggers/hooks/:id`: URL, Pause/Resume, refused calls, events it received.
 * - `/triggers/events/:id`: a received event, its data, each rule's fire and the runs it started.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api, must, type Schemas } from '../api/client';
import { Clip, ErrorBox, PageHeader, StatusChip } from '../components/ui';
import { useCan } from '../session';
import { RuleForm, ScheduleForm, parseJson, pauseOrResume, targetText, type Hook, type Rule, type Schedule } from './triggers';

type Fire = Schemas['TriggerFire'];
type TriggerEvent = Schemas['TriggerEvent'];

/** Fires as a table: cause (event link or slot), status, reason, run link. */
function FiresTable({ fires, label }: { fires: Fire[]; label: string }) {
  if (fires.length === 0) return <p className="muted">No fires yet.</p>;
  return (
    <div className="table-wrap">
      <table className="grid" aria-label={label} data-testid="fires">
        <thead>
          <tr>
            <th>{fires[0]?.source_type === 'schedule' ? 'Slot' : 'Event'}</th>
            <th>Status</th>
            <th>Reason</th>
            <th>Run</th>
          </tr>
        </thead>
        <tbody>
          {fires.map((f) => (
            <tr key={`${f.source_id}:${f.cause}`}>
              <td>{f.event_id ? <Link to={`/triggers/events/${f.event_id}`}>{f.event_id}</Link> : <Clip text={f.slot_at ?? f.cause} />}</td>
              <td>
                <StatusChip status={f.status} />
              </td>
              <td>
                <Clip text={f.reason ?? ''} />
              </td>
              <td>{f.run_id ? <Link to={`/runs/${f.run_id}`}>{f.run_id}</Link> : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A definition list of label → value. */
function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Load `fetcher` on mount and whenever `version` changes. */
function useLoad<T>(fetcher: () => Promise<T>, deps: unknown[]): [T | null, unknown, () => void] {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    fetcher().then((d) => (setData(d), setError(null)), setError);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, version]);
  return [data, error, () => setVersion((v) => v + 1)];
}

function StatusButton({ kind, id, status, onDone }: { kind: 'rules' | 'schedules' | 'hooks'; id: string; status: string; onDone(e: unknown): void }) {
  const can = useCan();
  if (!can('editor')) return null;
  const action = status === 'active' ? 'pause' : 'resume';
  return (
    <button type="button" onClick={() => void pauseOrResume(kind, id, action).then(() => onDone(null), onDone)}>
      {action === 'pause' ? 'Pause' : 'Resume'}
    </button>
  );
}

/**
 * A trigger source's page: its name, Pause/Resume (and Edit, when it has a form) for editors,
 * errors of those actions, its facts, the form while editing, then the page's own sections.
 */
function TriggerShell({
  kind,
  source,
  facts,
  form,
  reload,
  children,
}: {
  kind: 'rules' | 'schedules' | 'hooks';
  source: { id: string; name: string; status: string };
  facts: [string, ReactNode][];
  /** The edit form; `done` closes it and reloads. */
  form?: (done: () => void) => ReactNode;
  reload(): void;
  children: ReactNode;
}) {
  const can = useCan();
  const [actionError, setActionError] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);
  return (
    <section className="trigger-page">
      <PageHeader title={<Clip text={source.name} />}>
        <StatusButton kind={kind} id={source.id} status={source.status} onDone={(e) => (setActionError(e), reload())} />
        {form && can('editor') ? (
          <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing}>
            Edit
          </button>
        ) : null}
        <Link to="/triggers" className="button">
          All triggers
        </Link>
      </PageHeader>
      <ErrorBox error={actionError} title="Not changed" />
      <Facts rows={[['Status', <StatusChip key="s" status={source.status} />], ...facts]} />
      {editing && form ? form(() => (setEditing(false), reload())) : null}
      {children}
    </section>
  );
}

export function RulePage() {
  const { ruleId = '' } = useParams();
  const [rule, error, reload] = useLoad(() => must(api.GET('/v1/rules/{rule_id}', { params: { path: { rule_id: ruleId } } })), [ruleId]);
  if (!rule) return <Loading error={error} title="Rule" />;
  return (
    <TriggerShell
      kind="rules"
      source={rule}
      reload={reload}
      facts={[
        ['Version', `v${rule.version}`],
        ['On event', <code key="o">{rule.on}</code>],
        ['If', rule.if ? <code key="i">{rule.if}</code> : '—'],
        ['Target', <Clip key="t" text={targetText(rule.target)} />],
        ['Prompt', rule.prompt ?? '—'],
        ['Flow control', flowControl(rule)],
      ]}
      form={(done) => <RuleForm rule={rule} onSaved={done} />}
    >
      <RuleTest rule={rule} />
      <h2>Last fires</h2>
      <FiresTable fires={rule.recent_fires ?? []} label="Last fires" />
    </TriggerShell>
  );
}

function flowControl(r: Rule): string {
  const parts = [
    r.idempotency_key ? `key ${r.idempotency_key}` : '',
    r.debounce ? `debounce ${r.debounce.period}${r.debounce.key ? ` by ${r.debounce.key}` : ''}` : '',
    r.rate ? `rate ${r.rate.limit} per ${r.rate.period}` : '',
    r.concurrency ? `concurrency ${r.concurrency.limit} per ${r.concurrency.key}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : '—';
}

/** Test a rule against a sample event: nothing is written or started. */
function RuleTest({ rule }: { rule: Rule }) {
  const [name, setName] = useState(rule.on);
  const [data, setData] = useState('{}');
  const [result, setResult] = useState<Schemas['RuleTestResult'] | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      setResult(
        await must(api.POST('/v1/rules/{rule_id}/test', { params: { path: { rule_id: rule.id } }, body: { name, data: parseJson(data, 'data') ?? {} } })),
      );
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form className="card form" onSubmit={(e) => void submit(e)} aria-label="Test rule">
      <h3>Test against a sample event</h3>
      <label htmlFor="test-name">Event name</label>
      <input id="test-name" value={name} onChange={(e) => setName(e.target.value)} required />
      <label htmlFor="test-data">Event data (JSON)</label>
      <textarea id="test-data" value={data} onChange={(e) => setData(e.target.value)} rows={3} />
      <ErrorBox error={error} title="Could not test" />
      {result ? (
        <div className="notice" role="status" data-testid="rule-test-result">
          <strong>{result.match ? 'Matches' : 'Does not match'}</strong>
          {result.reason ? ` — ${result.reason}` : ''}
          {result.run ? <pre className="wrap">{JSON.stringify(result.run, null, 2)}</pre> : null}
        </div>
      ) : null}
      <div className="actions">
        <button type="submit">Test</button>
      </div>
    </form>
  );
}

export function SchedulePage() {
  const { scheduleId = '' } = useParams();
  const [s, error, reload] = useLoad<Schedule>(
    () => must(api.GET('/v1/schedules/{schedule_id}', { params: { path: { schedule_id: scheduleId } } })),
    [scheduleId],
  );
  if (!s) return <Loading error={error} title="Schedule" />;
  return (
    <TriggerShell
      kind="schedules"
      source={s}
      reload={reload}
      facts={[
        ['Version', `v${s.version}`],
        ['Cron', <code key="c">{s.cron}</code>],
        ['Time zone', s.timezone],
        ['Catch up', s.catch_up],
        ['Ends', s.end_at ?? '—'],
        ['Target', <Clip key="t" text={targetText(s.target)} />],
      ]}
      form={(done) => <ScheduleForm key={s.version} schedule={s} onSaved={done} />}
    >
      <h2>Next 5 fire times</h2>
      {s.next_fire_times.length === 0 ? (
        <p className="muted">None (paused, or past its end).</p>
      ) : (
        <ol data-testid="next-fire-times">
          {s.next_fire_times.map((t) => (
            <li key={t}>{t}</li>
          ))}
        </ol>
      )}
      <h2>Last fires</h2>
      <FiresTable fires={s.recent_fires ?? []} label="Last fires" />
    </TriggerShell>
  );
}

export function HookPage() {
  const { hookId = '' } = useParams();
  const [h, error, reload] = useLoad<Hook>(() => must(api.GET('/v1/hooks/{hook_id}', { params: { path: { hook_id: hookId } } })), [hookId]);
  const [rejections] = useLoad(() => must(api.GET('/v1/hooks/{hook_id}/rejections', { params: { path: { hook_id: hookId } } })), [hookId]);
  const [events] = useLoad(() => must(api.GET('/v1/trigger-events', { params: { query: { source_id: hookId, limit: 20 } } })), [hookId]);
  if (!h) return <Loading error={error} title="Webhook" />;
  return (
    <TriggerShell
      kind="hooks"
      source={h}
      reload={reload}
      facts={[
        ['URL', <code key="u">{h.url}</code>],
        ['Event name', <code key="e">{h.event_name}</code>],
        ['Largest body', `${h.max_body_bytes} bytes`],
      ]}
    >
      <h2>Events received</h2>
      <EventList events={events?.data ?? []} />
      <h2>Refused calls</h2>
      {(rejections?.data ?? []).length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul>
          {(rejections?.data ?? []).map((r) => (
            <li key={r.id}>
              {r.created_at} · {r.status} {r.reason} {r.webhook_id ? `· ${r.webhook_id}` : ''}
            </li>
          ))}
        </ul>
      )}
    </TriggerShell>
  );
}

function EventList({ events }: { events: TriggerEvent[] }) {
  if (events.length === 0) return <p className="muted">None yet.</p>;
  return (
    <ul>
      {events.map((e) => (
        <li key={e.id}>
          <Link to={`/triggers/events/${e.id}`}>{e.id}</Link> · {e.created_at} · {e.run_ids.length} run(s)
        </li>
      ))}
    </ul>
  );
}

export function TriggerEventPage() {
  const { eventId = '' } = useParams();
  const [e, error] = useLoad<TriggerEvent>(() => must(api.GET('/v1/trigger-events/{event_id}', { params: { path: { event_id: eventId } } })), [eventId]);
  if (!e) return <Loading error={error} title="Event" />;
  return (
    <section className="trigger-page">
      <PageHeader title={<Clip text={`Event ${e.name}`} />}>
        <Link to="/triggers" className="button">
          All triggers
        </Link>
      </PageHeader>
      <Facts
        rows={[
          ['Event id', <code key="i">{e.id}</code>],
          ['Sent id', e.client_id ?? '—'],
          [
            'Source',
            e.source.type === 'webhook' && e.source.id ? (
              <Link to={`/triggers/hooks/${e.source.id}`}>webhook {e.source.id}</Link>
            ) : (
              `api${e.actor ? ` · ${e.actor}` : ''}`
            ),
          ],
          ['Time', e.ts],
          ['Received', e.created_at],
        ]}
      />
      <h2>Runs it started</h2>
      {e.run_ids.length === 0 ? (
        <p className="muted" data-testid="no-event-runs">
          None.
        </p>
      ) : (
        <ul data-testid="event-runs">
          {e.run_ids.map((id) => (
            <li key={id}>
              <Link to={`/runs/${id}`}>{id}</Link>
            </li>
          ))}
        </ul>
      )}
      <h2>Rules</h2>
      {e.fires.length === 0 ? (
        <p className="muted">No rule listens to this event.</p>
      ) : (
        <ul>
          {e.fires.map((f) => (
            <li key={f.source_id}>
              <Link to={`/triggers/rules/${f.source_id}`}>{f.source_id}</Link> v{f.source_version} · <StatusChip status={f.status} />
              {f.reason ? ` ${f.reason}` : ''}
            </li>
          ))}
        </ul>
      )}
      <h2>Data</h2>
      <pre className="wrap" data-testid="event-data">
        {JSON.stringify(e.data, null, 2).slice(0, 20_000)}
      </pre>
    </section>
  );
}

function Loading({ error, title }: { error: unknown; title: string }) {
  return (
    <section>
      <PageHeader title={title} />
      {error ? <ErrorBox error={error} title={`Could not load the ${title.toLowerCase()}`} /> : <p className="muted">Loading…</p>}
      <Link to="/triggers">All triggers</Link>
    </section>
  );
}
