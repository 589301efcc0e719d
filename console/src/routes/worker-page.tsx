/**
 * `/workers/:workerId` (issue 14 items 2, 6 and 7): one AI worker — status with Pause / Resume
 * (operator), output mode and policy, template key, model, context sources, tool categories,
 * limits, the read-only instructions — of any version (`?version=N`, default the newest);
 * **Edit** (editor; components/worker-edit-form.tsx) saves a new version and shows its number;
 * a **Run** form taking a subject row (`POST /v1/workers/{id}/runs`; the answer's output notice
 * says what happens to an earlier output), and run cards of the recent runs
 * (components/worker-run-card.tsx), redrawn live from the workspace event stream while any of
 * them is queued or running. A card's Rerun / Retry failed is confirmed first with the output
 * notice (components/output-notice-confirm.tsx). Two picked cards open the comparison
 * (`/runs/compare?a=&b=`).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, isTerminal, must, type Run, type Schemas } from '../api/client';
import { useFollow } from '../api/sse';
import { jsonText, time } from '../components/format';
import { Clip, ErrorBox, PageHeader, StatusChip } from '../components/ui';
import { useDebounced } from '../components/use-debounced';
import { OutputNoticeConfirm } from '../components/output-notice-confirm';
import { WorkerEditForm } from '../components/worker-edit-form';
import { WorkerRunCard } from '../components/worker-run-card';
import { WorkerRunForm } from '../components/worker-run-form';
import { useCan } from '../session';

type Worker = Schemas['Worker'];
interface Def {
  model?: { provider?: string; model?: string; base_url?: string };
  output?: { mode?: string; slot?: string; policy?: string; field?: string; table_id?: string };
  limits?: Record<string, unknown>;
}

/** Run cards shown on a worker page. */
const RECENT = 20;
/** Coalescing window for live re-reads, ms. */
const LIVE_DEBOUNCE_MS = 400;

/** A context source in one line: its name, type and what it reads. */
function sourceText(s: Record<string, unknown>): string {
  const parts: string[] = [];
  if (s.table_id) parts.push(`table ${String(s.table_id)}`);
  if (Array.isArray(s.fields)) parts.push(`fields ${s.fields.join(', ')}`);
  if (s.match_field) parts.push(`${String(s.match_field)} = subject.${String(s.subject_field ?? s.match_field)}`);
  if (s.filter) parts.push(`filter ${jsonText(s.filter)}`);
  if (typeof s.text === 'string') parts.push(`“${s.text.length > 80 ? `${s.text.slice(0, 80)}…` : s.text}”`);
  if (s.max_chars) parts.push(`≤ ${String(s.max_chars)} chars`);
  return parts.join(' · ');
}

export function WorkerPage() {
  const { workerId = '' } = useParams();
  const [sp, setSp] = useSearchParams();
  const asked = Number(sp.get('version')) || undefined;
  const can = useCan();
  const operator = can('operator');
  const [worker, setWorker] = useState<Worker | null>(null);
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState<number | null>(null);
  const [confirm, setConfirm] = useState<{ run: Run; action: 'rerun' | 'retry' } | null>(null);
  const [started, setStarted] = useState<string | null>(null);
  const [runActionError, setRunActionError] = useState<unknown>(null);
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [picked, setPicked] = useState<string[]>([]);
  const [latestSeq, setLatestSeq] = useState<number | null>(null);

  // Only the newest read lands: an older answer arriving late never overwrites a newer one.
  const generation = useRef(0);
  const loadRuns = useCallback(async () => {
    const gen = ++generation.current;
    try {
      const p = await must(api.GET('/v1/workers/{worker_id}/runs', { params: { path: { worker_id: workerId }, query: { limit: RECENT } } }));
      if (gen !== generation.current) return;
      setRuns(p.data);
      setError(null);
    } catch (err) {
      if (gen === generation.current) setError(err);
    }
  }, [workerId]);

  useEffect(() => {
    let stop = false;
    must(api.GET('/v1/workers/{worker_id}', { params: { path: { worker_id: workerId }, query: asked ? { version: asked } : {} } })).then(
      (w) => !stop && (setWorker(w), setError(null)),
      (err: unknown) => !stop && setError(err),
    );
    return () => {
      stop = true;
    };
  }, [workerId, asked]);

  useEffect(() => {
    setWorker(null);
    setRuns(null);
    setPicked([]);
    setEditing(false);
    setSaved(null);
    void loadRuns();
    void must(api.GET('/v1/events/latest')).then(
      (r) => setLatestSeq(r.seq),
      () => setLatestSeq(0),
    );
  }, [workerId, loadRuns]);

  // Live while a run is pending: each burst of workspace events re-reads the cards.
  const pending = (runs ?? []).some((r) => !isTerminal(r.status));
  const bump = useDebounced(() => void loadRuns(), LIVE_DEBOUNCE_MS);
  useFollow(
    `worker:${workerId}`,
    async (after, signal) => (await api.GET('/v1/events', { params: { query: { follow: 'true', after } }, parseAs: 'stream', signal })).data,
    latestSeq,
    { onEvent: bump },
    pending,
  );

  async function setStatus(action: 'pause' | 'resume') {
    setBusy(true);
    setActionError(null);
    try {
      const path = { worker_id: workerId };
      const w = await must(
        action === 'pause' ? api.POST('/v1/workers/{worker_id}/pause', { params: { path } }) : api.POST('/v1/workers/{worker_id}/resume', { params: { path } }),
      );
      setWorker(w);
      void loadRuns();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  }

  /** Reruns or retries the confirmed run; a rerun's card is put first at once. */
  async function rerunOrRetry(run: Run, action: 'rerun' | 'retry') {
    setConfirm(null);
    setRunActionError(null);
    setStarted(null);
    const path = { params: { path: { run_id: run.id } } };
    try {
      if (action === 'rerun') {
        const next = await must(api.POST('/v1/runs/{run_id}/rerun', { ...path, body: { pin: 'version' } }));
        setRuns((rs) => [next, ...(rs ?? []).filter((x) => x.id !== next.id)]);
        setStarted(`Rerun of ${run.id} started: ${next.id}.`);
      } else {
        const res = await must(api.POST('/v1/runs/{run_id}/retry-failed', path));
        setRuns((rs) => (rs ?? []).map((x) => (x.id === res.run.id ? res.run : x)));
        setStarted(`${res.retried} failed item${res.retried === 1 ? '' : 's'} of ${run.id} queued again.`);
      }
      void loadRuns();
    } catch (err) {
      setRunActionError(err);
    }
  }

  if (!worker) {
    return (
      <section>
        <PageHeader title="Worker" />
        {error ? <ErrorBox error={error} title="Could not load the worker" /> : <p className="muted">Loading worker…</p>}
        <p>
          <Link to="/workers">Back to Workers</Link>
        </p>
      </section>
    );
  }
  const def = worker.definition as Def;
  const pick = (id: string, on: boolean) => setPicked((p) => (on ? [...p.filter((x) => x !== id), id].slice(-2) : p.filter((x) => x !== id)));
  return (
    <section className="worker-page" aria-labelledby="worker-title">
      <nav className="small" aria-label="Breadcrumb">
        <Link to="/workers">Workers</Link> /
      </nav>
      <PageHeader
        title={
          <span id="worker-title" className="clip">
            {worker.name}
          </span>
        }
      >
        <StatusChip status={worker.status} />
        <label className="inline">
          Version
          <select
            value={worker.version}
            onChange={(e) => setSp(Number(e.target.value) === worker.latest_version ? {} : { version: e.target.value }, { replace: true })}
          >
            {Array.from({ length: worker.latest_version }, (_, i) => worker.latest_version - i).map((v) => (
              <option key={v} value={v}>
                v{v}
                {v === worker.latest_version ? ' (newest)' : ''}
              </option>
            ))}
          </select>
        </label>
        {can('editor') && !editing ? (
          <button type="button" onClick={() => (setEditing(true), setSaved(null))}>
            Edit
          </button>
        ) : null}
        {operator ? (
          worker.status === 'active' ? (
            <button type="button" onClick={() => void setStatus('pause')} disabled={busy}>
              Pause
            </button>
          ) : (
            <button type="button" className="primary" onClick={() => void setStatus('resume')} disabled={busy}>
              Resume
            </button>
          )
        ) : null}
      </PageHeader>
      <ErrorBox error={actionError} title="Could not change the worker" />
      {saved !== null ? (
        <p className="notice small" role="status" data-testid="saved-version">
          Saved as version {saved}. Runs started from now on use it; runs already started keep theirs.
        </p>
      ) : null}
      {editing ? (
        <WorkerEditForm
          worker={worker}
          onCancel={() => setEditing(false)}
          onSaved={(w) => {
            setEditing(false);
            setSaved(w.version);
            setWorker(w);
            setSp({}, { replace: true });
          }}
        />
      ) : null}
      {worker.status === 'paused' ? (
        <p className="waiting" data-testid="paused-note">
          Paused: new runs wait queued (worker paused) until it is resumed; runs in flight finish.
        </p>
      ) : null}
      <p className="small muted">
        <span className="mono">{worker.id}</span> · <span data-testid="worker-version">v{worker.version}</span>
        {worker.version === worker.latest_version ? ' (newest)' : ` of ${worker.latest_version}`} saved {time(worker.updated_at)}
      </p>
      <dl className="facts" data-testid="worker-overview">
        <div>
          <dt>Output</dt>
          <dd>
            {worker.output_mode.replace(/_/g, ' ')}
            {def.output?.policy ? ` · ${def.output.policy}` : ''}
            {def.output?.field ? ` · field ${def.output.field}` : ''}
          </dd>
        </div>
        <div>
          <dt>Template</dt>
          <dd>{worker.template_key ?? '—'}</dd>
        </div>
        <div>
          <dt>Model</dt>
          <dd>
            <Clip text={def.model?.model ?? '—'} />
          </dd>
        </div>
        <div>
          <dt>Tool categories</dt>
          <dd data-testid="tool-categories">{worker.tool_categories.length ? worker.tool_categories.map((c) => c.replace(/_/g, ' ')).join(', ') : 'none'}</dd>
        </div>
        <div>
          <dt>Limits</dt>
          <dd className="small">
            {Object.entries(def.limits ?? {})
              .map(([k, v]) => `${k.replace(/^max_/, '').replace(/_/g, ' ')} ${String(v)}`)
              .join(' · ') || '—'}
          </dd>
        </div>
      </dl>
      <h2>Context sources</h2>
      <ul className="context-sources" data-testid="context-sources">
        {worker.context_sources.map((s, i) => (
          <li key={i}>
            <strong>{String(s.name ?? s.type)}</strong> <span className="badge">{String(s.type).replace(/_/g, ' ')}</span>{' '}
            <span className="small muted wrap">{sourceText(s)}</span>
          </li>
        ))}
      </ul>
      <h2>Instructions</h2>
      <p className="small muted">Read-only: the instructions of v{worker.version}. Editing saves a new version; pick a version above to read its own.</p>
      <pre className="definition small" data-testid="instructions">
        {worker.instructions}
      </pre>

      {operator ? (
        <WorkerRunForm
          workerId={worker.id}
          onStarted={(r) => {
            setRuns((rs) => [r, ...(rs ?? []).filter((x) => x.id !== r.id)]);
            void loadRuns();
          }}
        />
      ) : null}

      <div className="page-header">
        <h2>Recent runs</h2>
        <div className="actions">
          <span className="small muted" aria-live="polite" data-testid="live-state">
            {pending ? 'live' : ''}
          </span>
          {picked.length === 2 ? (
            <Link className="button" to={`/runs/compare?a=${encodeURIComponent(picked[0]!)}&b=${encodeURIComponent(picked[1]!)}`}>
              Compare the two picked runs
            </Link>
          ) : (
            <span className="small muted">Pick two runs to compare</span>
          )}
        </div>
      </div>
      <ErrorBox error={error} title="Could not load the runs" />
      <ErrorBox error={runActionError} title="Could not start it" />
      {started ? (
        <p className="small" role="status" data-testid="rerun-started">
          {started}
        </p>
      ) : null}
      {runs === null ? (
        error ? null : (
          <p className="muted">Loading runs…</p>
        )
      ) : runs.length === 0 ? (
        <div className="notice" data-testid="no-runs">
          No runs yet.
        </div>
      ) : (
        <ul className="run-cards" data-testid="run-cards">
          {runs.map((r) => (
            <WorkerRunCard
              key={r.id}
              run={r}
              picked={picked.includes(r.id)}
              onPick={(on) => pick(r.id, on)}
              {...(operator ? { onAction: (action: 'rerun' | 'retry') => setConfirm({ run: r, action }) } : {})}
            />
          ))}
        </ul>
      )}
      {confirm ? (
        <OutputNoticeConfirm
          run={confirm.run}
          action={confirm.action}
          lead={
            confirm.action === 'rerun'
              ? `A new run of ${confirm.run.id}'s version (v${confirm.run.target_version}) starts on the same row.`
              : `${confirm.run.items_failed} failed item${confirm.run.items_failed === 1 ? '' : 's'} of ${confirm.run.id} will run again.`
          }
          onConfirm={() => void rerunOrRetry(confirm.run, confirm.action)}
          onCancel={() => setConfirm(null)}
        />
      ) : null}
    </section>
  );
}
