/**
 * Triggers (issue 15 §6): what starts runs without a person.
 * - `/triggers`: rules, schedules and webhook endpoints, each listed with status, Pause/Resume
 *   and a link to its page, and a form to create one (`POST /v1/rules|schedules|hooks`; a 422
 *   names the field and nothing is saved). `?target=<JSON>` (e.g.
 *   `{"type":"column","table_id":"tbl_…"}`) shows only the rules and schedules whose target has
 *   those values, and pre-fills the new rule's target: a target's page links here as "Rules",
 *   beside its manual run (seed 000: "Manual run — do one task now"; "Rules — reuse this
 *   trigger automatically later").
 * - The pages of one rule, schedule, hook or received event: routes/trigger-detail.tsx.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, must, type Schemas } from '../api/client';
import { Clip, ErrorBox, PageHeader, StatusChip } from '../components/ui';
import { useCan } from '../session';

export type Rule = Schemas['Rule'];
export type Schedule = Schemas['Schedule'];
export type Hook = Schemas['Hook'];

/** Parses a JSON text field; the message names the field. */
export function parseJson(text: string, field: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${field}: not valid JSON`);
  }
}

/** Whether a target has every value of `want` (the `?target=` filter). */
function targets(target: Record<string, unknown>, want: Record<string, unknown> | null): boolean {
  return want === null || Object.entries(want).every(([k, v]) => target[k] === v);
}

/** A target in words: its kind and the ids it names. */
export function targetText(t: Record<string, unknown>): string {
  return Object.entries(t)
    .filter(([k, v]) => k !== 'type' && typeof v === 'string')
    .reduce((s, [k, v]) => `${s} · ${k}=${String(v)}`, String(t.type));
}

/** Pause or resume a rule, schedule or hook (`POST /v1/{kind}/{id}/pause|resume`). */
export async function pauseOrResume(kind: 'rules' | 'schedules' | 'hooks', id: string, action: 'pause' | 'resume'): Promise<void> {
  if (kind === 'rules')
    await must(api.POST(action === 'pause' ? '/v1/rules/{rule_id}/pause' : '/v1/rules/{rule_id}/resume', { params: { path: { rule_id: id } } }));
  else if (kind === 'schedules')
    await must(
      api.POST(action === 'pause' ? '/v1/schedules/{schedule_id}/pause' : '/v1/schedules/{schedule_id}/resume', { params: { path: { schedule_id: id } } }),
    );
  else await must(api.POST(action === 'pause' ? '/v1/hooks/{hook_id}/pause' : '/v1/hooks/{hook_id}/resume', { params: { path: { hook_id: id } } }));
}

export function TriggersPage() {
  const can = useCan();
  const [params] = useSearchParams();
  const wantText = params.get('target');
  let want: Record<string, unknown> | null = null;
  try {
    want = wantText ? (JSON.parse(wantText) as Record<string, unknown>) : null;
  } catch {
    want = null;
  }
  const [rules, setRules] = useState<Rule[] | null>(null);
  const [schedules, setSchedules] = useState<Schedule[] | null>(null);
  const [hooks, setHooks] = useState<Hook[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    must(api.GET('/v1/rules')).then((r) => setRules(r.data), setError);
    must(api.GET('/v1/schedules')).then((r) => setSchedules(r.data), setError);
    must(api.GET('/v1/hooks')).then((r) => setHooks(r.data), setError);
  }, [version]);

  async function toggle(kind: 'rules' | 'schedules' | 'hooks', id: string, status: string) {
    setError(null);
    try {
      await pauseOrResume(kind, id, status === 'active' ? 'pause' : 'resume');
      setVersion((v) => v + 1);
    } catch (err) {
      setError(err);
    }
  }

  const shownRules = rules?.filter((r) => targets(r.target, want)) ?? null;
  const shownSchedules = schedules?.filter((s) => targets(s.target, want)) ?? null;
  const pauseButton = (kind: 'rules' | 'schedules' | 'hooks', id: string, name: string, status: string) =>
    can('editor') ? (
      <button type="button" onClick={() => void toggle(kind, id, status)} aria-label={`${status === 'active' ? 'Pause' : 'Resume'} ${name}`}>
        {status === 'active' ? 'Pause' : 'Resume'}
      </button>
    ) : null;

  return (
    <section className="triggers-page">
      <PageHeader title={want ? `Rules of ${targetText(want)}` : 'Triggers'}>
        {want ? (
          <Link to="/triggers" className="button">
            All triggers
          </Link>
        ) : null}
      </PageHeader>
      <p className="muted small">Rules start runs when a matching event arrives; schedules on a cron; webhooks turn a signed call into an event.</p>
      <ErrorBox error={error} title="Could not load or change triggers" />

      <h2>Rules</h2>
      {shownRules === null ? (
        <p className="muted">Loading…</p>
      ) : shownRules.length === 0 ? (
        <p className="muted" data-testid="no-rules">
          No rules{want ? ' target this yet' : ' yet'}.
        </p>
      ) : (
        <ul className="column-list" data-testid="rules">
          {shownRules.map((r) => (
            <li key={r.id} data-rule={r.name}>
              <Link to={`/triggers/rules/${r.id}`} className="clip">
                {r.name}
              </Link>
              <span className="muted small">
                on <Clip text={r.on} /> · <Clip text={targetText(r.target)} /> · v{r.version}
              </span>
              <span className="actions">
                <StatusChip status={r.status} />
                {pauseButton('rules', r.id, r.name, r.status)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {can('editor') ? <RuleForm initialTarget={want} onSaved={() => setVersion((v) => v + 1)} /> : null}

      <h2>Schedules</h2>
      {shownSchedules === null ? (
        <p className="muted">Loading…</p>
      ) : shownSchedules.length === 0 ? (
        <p className="muted">No schedules yet.</p>
      ) : (
        <ul className="column-list" data-testid="schedules">
          {shownSchedules.map((s) => (
            <li key={s.id} data-schedule={s.name}>
              <Link to={`/triggers/schedules/${s.id}`} className="clip">
                {s.name}
              </Link>
              <span className="muted small">
                <code>{s.cron}</code> {s.timezone} · next {s.next_fire_times[0] ?? '—'}
              </span>
              <span className="actions">
                <StatusChip status={s.status} />
                {pauseButton('schedules', s.id, s.name, s.status)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {can('editor') ? <ScheduleForm initialTarget={want} onSaved={() => setVersion((v) => v + 1)} /> : null}

      {want ? null : (
        <>
          <h2>Webhooks</h2>
          {hooks === null ? (
            <p className="muted">Loading…</p>
          ) : hooks.length === 0 ? (
            <p className="muted">No webhook endpoints yet.</p>
          ) : (
            <ul className="column-list" data-testid="hooks">
              {hooks.map((h) => (
                <li key={h.id} data-hook={h.name}>
                  <Link to={`/triggers/hooks/${h.id}`} className="clip">
                    {h.name}
                  </Link>
                  <span className="muted small">
                    event <Clip text={h.event_name} />
                  </span>
                  <span className="actions">
                    <StatusChip status={h.status} />
                    {pauseButton('hooks', h.id, h.name, h.status)}
                  </span>
                </li>
              ))}
            </ul>
          )}
          {can('admin') ? <HookForm onSaved={() => setVersion((v) => v + 1)} /> : null}
        </>
      )}
    </section>
  );
}

/** The fields a rule form edits, as text. */
interface RuleFields {
  name: string;
  on: string;
  if: string;
  target: string;
  prompt: string;
  mode: string;
}

function ruleFields(r: Rule | null, target: Record<string, unknown> | null): RuleFields {
  return {
    name: r?.name ?? '',
    on: r?.on ?? '',
    if: r?.if ?? '',
    target: JSON.stringify(r?.target ?? target ?? { type: 'column', table_id: '', column: '' }),
    prompt: r?.prompt ?? '',
    mode: r?.mode ?? 'live',
  };
}

/**
 * Create a rule, or save a new version of `rule` (`PUT`, the other settings kept). The target is
 * JSON: any run kind's target, whose string values may be templates over the event.
 */
export function RuleForm({ rule, initialTarget, onSaved }: { rule?: Rule; initialTarget?: Record<string, unknown> | null; onSaved(r: Rule): void }) {
  const navigate = useNavigate();
  const [f, setF] = useState<RuleFields>(() => ruleFields(rule ?? null, initialTarget ?? null));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof RuleFields) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const kept = rule
        ? Object.fromEntries(
            Object.entries({
              debounce: rule.debounce,
              rate: rule.rate,
              concurrency: rule.concurrency,
              idempotency_key: rule.idempotency_key,
              profile: rule.profile,
              run_name: rule.run_name,
            }).filter(([, v]) => v !== null),
          )
        : {};
      const body = {
        ...kept,
        name: f.name,
        on: f.on,
        target: parseJson(f.target, 'target') as Rule['target'] & { type: string },
        ...(f.if.trim() ? { if: f.if } : {}),
        ...(f.prompt.trim() ? { prompt: f.prompt } : {}),
        mode: f.mode as 'live' | 'dry_run' | 'smoke_test',
      } as Schemas['RuleInput'];
      const saved = rule
        ? await must(api.PUT('/v1/rules/{rule_id}', { params: { path: { rule_id: rule.id } }, body }))
        : await must(api.POST('/v1/rules', { body }));
      onSaved(saved);
      if (!rule) navigate(`/triggers/rules/${saved.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const id = rule ? `rule-${rule.id}` : 'new-rule';
  return (
    <form className="card form" onSubmit={(e) => void submit(e)} aria-label={rule ? 'Edit rule' : 'New rule'}>
      <h3>{rule ? 'Edit rule (saves a new version)' : 'New rule'}</h3>
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} value={f.name} onChange={set('name')} required maxLength={200} />
      <label htmlFor={`${id}-on`}>On event</label>
      <input id={`${id}-on`} value={f.on} onChange={set('on')} required maxLength={200} placeholder="order.created" />
      <label htmlFor={`${id}-if`}>If (CEL, optional)</label>
      <input id={`${id}-if`} value={f.if} onChange={set('if')} maxLength={4096} placeholder="event.data.amount > 100" />
      <label htmlFor={`${id}-target`}>Target (JSON; values may use {'{{event.data.…}}'})</label>
      <textarea id={`${id}-target`} value={f.target} onChange={set('target')} rows={3} required />
      <label htmlFor={`${id}-prompt`}>Prompt (optional template)</label>
      <textarea id={`${id}-prompt`} value={f.prompt} onChange={set('prompt')} rows={2} />
      <label htmlFor={`${id}-mode`}>Mode</label>
      <select id={`${id}-mode`} value={f.mode} onChange={set('mode')}>
        <option value="live">live</option>
        <option value="dry_run">dry run</option>
        <option value="smoke_test">smoke test</option>
      </select>
      <ErrorBox error={error} title="Not saved" />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {rule ? 'Save version' : 'Create rule'}
        </button>
      </div>
    </form>
  );
}

/**
 * Create a schedule (cron, time zone, target), or edit one (`schedule` given): `PATCH
 * /v1/schedules/{id}` with the fields changed, saved as a new version (422 naming the field,
 * nothing saved).
 */
export function ScheduleForm({ schedule, initialTarget, onSaved }: { schedule?: Schedule; initialTarget?: Record<string, unknown> | null; onSaved(): void }) {
  const navigate = useNavigate();
  const [f, setF] = useState({
    name: schedule?.name ?? '',
    cron: schedule?.cron ?? '0 * * * *',
    timezone: schedule?.timezone ?? 'UTC',
    target: JSON.stringify(schedule?.target ?? initialTarget ?? { type: 'column', table_id: '', column: '' }),
  });
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const body = { name: f.name, cron: f.cron, timezone: f.timezone, target: parseJson(f.target, 'target') as Schedule['target'] & { type: string } };
      if (schedule) {
        await must(api.PATCH('/v1/schedules/{schedule_id}', { params: { path: { schedule_id: schedule.id } }, body }));
        onSaved();
        return;
      }
      const s = await must(api.POST('/v1/schedules', { body }));
      onSaved();
      navigate(`/triggers/schedules/${s.id}`);
    } catch (err) {
      setError(err);
    }
  }
  const id = schedule ? `schedule-${schedule.id}` : 'new-schedule';
  return (
    <form className="card form" onSubmit={(e) => void submit(e)} aria-label={schedule ? 'Edit schedule' : 'New schedule'}>
      <h3>{schedule ? 'Edit schedule (saves a new version)' : 'New schedule'}</h3>
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} value={f.name} onChange={set('name')} required maxLength={200} />
      <label htmlFor={`${id}-cron`}>Cron (5 fields, or 6 with seconds first)</label>
      <input id={`${id}-cron`} value={f.cron} onChange={set('cron')} required maxLength={200} />
      <label htmlFor={`${id}-tz`}>Time zone</label>
      <input id={`${id}-tz`} value={f.timezone} onChange={set('timezone')} required maxLength={100} />
      <label htmlFor={`${id}-target`}>Target (JSON)</label>
      <textarea id={`${id}-target`} value={f.target} onChange={set('target')} rows={2} required />
      <ErrorBox error={error} title="Not saved" />
      <div className="actions">
        <button type="submit" className="primary">
          {schedule ? 'Save schedule' : 'Create schedule'}
        </button>
      </div>
    </form>
  );
}

/** Create a webhook endpoint; its secret is shown once. */
function HookForm({ onSaved }: { onSaved(): void }) {
  const [name, setName] = useState('');
  const [eventName, setEventName] = useState('');
  const [created, setCreated] = useState<Hook | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      setCreated(await must(api.POST('/v1/hooks', { body: { name, ...(eventName.trim() ? { event_name: eventName } : {}) } })));
      onSaved();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form className="card form" onSubmit={(e) => void submit(e)} aria-label="New webhook">
      <h3>New webhook</h3>
      <label htmlFor="new-hook-name">Name</label>
      <input id="new-hook-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
      <label htmlFor="new-hook-event">Event name (default hook.&lt;name&gt;)</label>
      <input id="new-hook-event" value={eventName} onChange={(e) => setEventName(e.target.value)} maxLength={200} />
      <ErrorBox error={error} title="Not saved" />
      {created ? (
        <div className="notice" role="status" data-testid="hook-secret">
          URL <code>{created.url}</code> · secret (shown once) <code>{created.secret}</code>
        </div>
      ) : null}
      <div className="actions">
        <button type="submit" className="primary">
          Create webhook
        </button>
      </div>
    </form>
  );
}
