/**
 * Run detail (`/runs/:runId`, a run's `web_url`): header (status, mode, trigger, session,
 * deep link, credits, progress), waiting reason, error box and result summary, actions
 * (pause, resume, cancel, retry failed, rerun, export, delete; a retry, and a worker run's
 * rerun, is confirmed with what happens to the output an earlier run left) and the Items,
 * Timeline and Events tabs; a flow run first shows Progress, Results and its Timeline (components/flow-views.tsx)
 * with its open waits answerable in place above the tabs. Live: the run's event stream (`?follow=true`, from the newest event) re-reads
 * the run and the visible items as events arrive, with no reload; the stream's `end` event
 * carries the final run. Tab and item status filter live in the URL (`tab`, `items`).
 */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, isTerminal, must, type Run, type RunEvent } from '../api/client';
import { useFollow } from '../api/sse';
import { useDebounced } from '../components/use-debounced';
import { EventsTab } from '../components/events-tab';
import { count, credits, duration, time } from '../components/format';
import { FlowProgress, FlowResults, FlowTimeline, useFlowRun } from '../components/flow-views';
import { ItemsTab } from '../components/items-tab';
import { OutputNoticeConfirm } from '../components/output-notice-confirm';
import { WaitForm } from '../components/wait-form';
import { TimelineTab } from '../components/timeline-tab';
import { Clip, Confirm, ErrorBox, LongText, PageHeader, Progress, StatusChip } from '../components/ui';
import { waitingText } from './runs';
import { TriggerLabel } from '../components/trigger-label';
import { useCan } from '../session';

type Tab = 'progress' | 'results' | 'items' | 'timeline' | 'events';
const RUN_TABS: { id: Tab; label: string }[] = [
  { id: 'items', label: 'Items' },
  { id: 'timeline', label: 'Timeline' },
  { id: 'events', label: 'Events' },
];
/** A flow's tabs: its views first (the default is the first). */
const FLOW_TABS: { id: Tab; label: string }[] = [
  { id: 'progress', label: 'Progress' },
  { id: 'results', label: 'Results' },
  { id: 'timeline', label: 'Timeline' },
  { id: 'items', label: 'Items' },
  { id: 'events', label: 'Events' },
];
/** Live events kept in memory for the Events tab. */
const LIVE_EVENTS_KEPT = 2000;
/** Coalescing window for re-reads on live events, ms. */
const LIVE_DEBOUNCE_MS = 300;

type Action = 'pause' | 'resume' | 'cancel' | 'retry' | 'rerun' | 'delete';

export function RunDetailPage() {
  const operator = useCan()('operator');
  const { runId = '' } = useParams();
  const [sp, setSp] = useSearchParams();
  const navigate = useNavigate();
  const itemStatus = sp.get('items') ?? '';
  const [run, setRun] = useState<Run | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [stream, setStream] = useState<{ epoch: number; after: number } | null>(null);
  const [liveEvents, setLiveEvents] = useState<RunEvent[]>([]);
  const [itemsVersion, setItemsVersion] = useState(0);
  const [liveState, setLiveState] = useState<'live' | 'retrying' | 'ended' | 'connecting'>('connecting');
  const lastSeq = useRef(0);

  const setParam = (key: string, value: string) => {
    const next = new URLSearchParams(sp);
    if (value) next.set(key, value);
    else next.delete(key);
    setSp(next, { replace: true });
  };

  // The run on screen: answers and timers that belong to a previous run (after a rerun opens
  // the new one) are dropped.
  const current = useRef(runId);
  current.current = runId;
  const reload = useCallback(async () => {
    try {
      const r = await must(api.GET('/v1/runs/{run_id}', { params: { path: { run_id: runId } } }));
      if (current.current !== runId) return null;
      setRun(r);
      setLoadError(null);
      return r;
    } catch (err) {
      if (current.current === runId) setLoadError(err);
      return null;
    }
  }, [runId]);

  // Start: the newest event first, then the run, then follow from that event on.
  useEffect(() => {
    setRun(null);
    setLiveEvents([]);
    setStream(null);
    setLiveState('connecting');
    setNotice(null);
    setActionError(null);
    let stop = false;
    void (async () => {
      const latest = await must(api.GET('/v1/events/latest')).catch(() => ({ seq: 0 }));
      lastSeq.current = latest.seq;
      const r = await reload();
      if (!stop && r) setStream({ epoch: 0, after: latest.seq });
    })();
    return () => {
      stop = true;
    };
  }, [reload]);

  const scheduleReload = useDebounced(() => {
    void reload();
    setItemsVersion((v) => v + 1);
  }, LIVE_DEBOUNCE_MS);

  useFollow(
    `${runId}:${stream?.epoch ?? -1}`,
    async (after, signal) =>
      (await api.GET('/v1/runs/{run_id}/events', { params: { path: { run_id: runId }, query: { follow: 'true', after } }, parseAs: 'stream', signal })).data,
    stream?.after ?? null,
    {
      onEvent(e) {
        lastSeq.current = Math.max(lastSeq.current, e.seq);
        setLiveEvents((prev) => (prev.length >= LIVE_EVENTS_KEPT ? [...prev.slice(-LIVE_EVENTS_KEPT + 1), e] : [...prev, e]));
        scheduleReload();
      },
      onEnd(final) {
        if (final.id !== current.current) return;
        setRun(final);
        setLiveState('ended');
        setItemsVersion((v) => v + 1);
      },
      onState: setLiveState,
    },
    stream !== null,
  );

  /** Follows again from the last event seen (after an action reopens the run). */
  const restartStream = () => setStream((s) => ({ epoch: (s?.epoch ?? 0) + 1, after: lastSeq.current }));

  const act = async (action: Action) => {
    if (!run || run.id !== runId) return;
    setConfirm(null);
    setBusy(true);
    setActionError(null);
    setNotice(null);
    const path = { params: { path: { run_id: run.id } } };
    try {
      if (action === 'pause') setRun(await must(api.POST('/v1/runs/{run_id}/pause', path)));
      else if (action === 'resume') setRun(await must(api.POST('/v1/runs/{run_id}/resume', path)));
      else if (action === 'cancel') setRun(await must(api.POST('/v1/runs/{run_id}/cancel', path)));
      else if (action === 'retry') {
        const res = await must(api.POST('/v1/runs/{run_id}/retry-failed', path));
        setRun(res.run);
        setNotice(
          `${res.retried} failed item${res.retried === 1 ? '' : 's'} queued again${res.output_notice ? ` (output: ${res.output_notice.message})` : ''}`,
        );
      } else if (action === 'rerun') {
        const next = await must(api.POST('/v1/runs/{run_id}/rerun', { ...path, body: { pin: 'version' } }));
        navigate(`/runs/${next.id}`);
        return;
      } else {
        await must(api.DELETE('/v1/runs/{run_id}', path));
        navigate('/runs', { replace: true });
        return;
      }
      restartStream();
      setItemsVersion((v) => v + 1);
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!run) {
    return (
      <section>
        <PageHeader title="Run" />
        {loadError ? <ErrorBox error={loadError} title="Could not load the run" /> : <p className="muted">Loading run…</p>}
        <p>
          <Link to="/runs">Back to Runs</Link>
        </p>
      </section>
    );
  }

  const TABS = run.kind === 'flow' ? FLOW_TABS : RUN_TABS;
  const tab: Tab = TABS.find((t) => t.id === sp.get('tab'))?.id ?? TABS[0]!.id;
  const tabParam = (id: Tab) => (id === TABS[0]!.id ? '' : id);
  const terminal = isTerminal(run.status);
  const waiting = waitingText(run);
  const can = {
    pause: run.status === 'running' || run.status === 'queued' || run.status === 'claimed',
    resume: run.status === 'paused',
    cancel: !terminal,
    retry: run.items_failed > 0,
    rerun: true,
    delete: terminal,
  };
  const tablist = (
    <>
      <div role="tablist" aria-label="Run views">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => setParam('tab', tabParam(t.id))}
            onKeyDown={(e) => {
              if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
              const i = TABS.findIndex((x) => x.id === tab);
              const next = TABS[(i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length]!;
              setParam('tab', tabParam(next.id));
              document.getElementById(`tab-${next.id}`)?.focus();
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
    </>
  );
  const runPanel =
    tab === 'items' ? (
      <ItemsTab key={run.id} run={run} status={itemStatus} onStatus={(s) => setParam('items', s)} version={itemsVersion} />
    ) : tab === 'timeline' ? (
      <TimelineTab key={run.id} run={run} version={itemsVersion} />
    ) : tab === 'events' ? (
      <EventsTab key={run.id} runId={run.id} live={liveEvents} />
    ) : null;
  const exportHref = (format: 'json' | 'csv' | 'ndjson') => `/v1/runs/${encodeURIComponent(run.id)}/export?format=${format}`;

  return (
    <section aria-labelledby="run-title">
      <nav className="small" aria-label="Breadcrumb">
        <Link to="/runs">Runs</Link> /
      </nav>
      <PageHeader
        title={
          <span id="run-title" className="clip" title={run.name.length > 4000 ? `${run.name.slice(0, 4000)}…` : run.name}>
            {run.name.length > 2000 ? `${run.name.slice(0, 2000)}…` : run.name}
          </span>
        }
      >
        <span className="muted small" aria-live="polite" data-testid="live-state">
          {liveState === 'live' ? 'Live' : liveState === 'ended' ? 'Finished' : liveState === 'retrying' ? 'Reconnecting…' : 'Connecting…'}
        </span>
      </PageHeader>

      <div className="run-head">
        <span data-testid="run-status">
          <StatusChip status={run.status} />
        </span>
        {run.phase ? (
          <span className="badge" title="phase (what the run's kind says it is doing)" data-testid="run-phase">
            {run.phase.slice(0, 100)}
          </span>
        ) : null}
        <span className={`badge badge-${run.mode}`} title="mode">
          {run.mode.replace(/_/g, ' ')}
        </span>
        <TriggerLabel trigger={run.trigger} />
        <span className="badge" title="kind">
          {run.kind}
        </span>
      </div>
      <div className="head-progress">
        <Progress done={run.items_succeeded + run.items_skipped} failed={run.items_failed} total={run.items_total} label="Run progress" />
      </div>
      {/* Always one line (no jump as the run moves on): why it waits, what it does, or how it ended. */}
      <p className={`status-line${waiting ? ' waiting' : ''}`} role="status" data-testid={waiting ? 'waiting' : 'status-line'}>
        <Clip text={waiting ?? statusSentence(run)} />
      </p>

      <dl className="facts">
        <Fact label="Run id" value={run.id} mono />
        <Fact label="Session id" value={run.session_id ?? '—'} mono />
        <Fact label="Created" value={time(run.created_at)} />
        <Fact label="Started" value={time(run.started_at)} />
        <Fact label="Finished" value={time(run.finished_at)} />
        <Fact label="Duration" value={duration(run.duration_ms)} />
        <Fact label="Credits reserved" value={credits(run.credits_reserved)} />
        <Fact label="Credits used" value={credits(run.credits_used)} />
        <Fact label="Profile" value={run.profile} />
        <div>
          <dt>Deep link</dt>
          <dd>
            <a href={run.web_url} className="clip">
              {run.web_url}
            </a>
          </dd>
        </div>
      </dl>

      {run.error ? (
        <div className="error-box" role="alert" data-testid="run-error">
          <strong>{run.error.code}</strong>: <LongText text={run.error.message} />
        </div>
      ) : null}
      {run.result_summary ? (
        <div className="summary" data-testid="run-summary">
          <LongText text={run.result_summary} />
        </div>
      ) : null}

      <div className="actions run-actions" aria-label="Run actions">
        {operator ? (
          <>
            <button type="button" disabled={!can.pause || busy} onClick={() => void act('pause')}>
              Pause
            </button>
            <button type="button" disabled={!can.resume || busy} onClick={() => void act('resume')}>
              Resume
            </button>
            <button type="button" disabled={!can.cancel || busy} onClick={() => setConfirm('cancel')}>
              Cancel run
            </button>
            <button type="button" disabled={!can.retry || busy} onClick={() => setConfirm('retry')}>
              Retry failed
            </button>
            <button type="button" disabled={busy} onClick={() => (run.kind === 'worker' ? setConfirm('rerun') : void act('rerun'))}>
              Rerun
            </button>
          </>
        ) : null}
        <a className="button" href={exportHref('json')} download>
          Export JSON
        </a>
        <a className="button" href={exportHref('csv')} download>
          Export CSV
        </a>
        {operator ? (
          <button type="button" disabled={!can.delete || busy} onClick={() => setConfirm('delete')}>
            Delete
          </button>
        ) : null}
      </div>
      <ErrorBox error={actionError} title="Action failed" />
      {notice ? (
        <p role="status" className="small">
          {notice}
        </p>
      ) : null}

      {run.kind === 'flow' ? (
        <FlowPanels
          run={run}
          tab={tab}
          version={itemsVersion}
          canAnswer={operator}
          onAnswered={() => {
            void reload();
            setItemsVersion((v) => v + 1);
          }}
          tablist={tablist}
          other={runPanel}
        />
      ) : (
        <>
          {tablist}
          <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
            {runPanel}
          </div>
        </>
      )}

      <Confirm
        open={confirm === 'cancel' || confirm === 'delete'}
        title={confirm === 'cancel' ? 'Cancel this run?' : 'Delete this run?'}
        message={
          <p>
            {confirm === 'cancel'
              ? 'Unfinished items become canceled and running producers are stopped. Finished items keep their results.'
              : 'The run, its items and its events are deleted for good. Table cells keep their values.'}
          </p>
        }
        confirmLabel={confirm === 'cancel' ? 'Cancel run' : 'Delete run'}
        danger
        onConfirm={() => confirm && void act(confirm)}
        onCancel={() => setConfirm(null)}
      />
      {/* Retry (and a worker run's rerun) say first what happens to an output an earlier run left. */}
      <OutputNoticeConfirm
        run={run}
        action={confirm === 'retry' || confirm === 'rerun' ? confirm : null}
        lead={
          confirm === 'retry'
            ? `${run.items_failed} failed item${run.items_failed === 1 ? '' : 's'} will run again; succeeded items are not re-run.`
            : `A new run of the same target and version (v${run.target_version}) starts; this one is kept.`
        }
        onConfirm={() => confirm && void act(confirm)}
        onCancel={() => setConfirm(null)}
      />
    </section>
  );
}

/**
 * A flow run's open waits (answerable in place) above its tabs, and the flow views below them:
 * Progress, Results, Timeline (components/flow-views.tsx), plus the ordinary Items and Events.
 */
function FlowPanels(props: {
  run: Run;
  tab: Tab;
  version: number;
  canAnswer: boolean;
  onAnswered(): void;
  tablist: ReactNode;
  /** The Items or Events panel, as for any run. */
  other: ReactNode;
}) {
  const { run, tab, version } = props;
  const data = useFlowRun(run, version);
  const [answered, setAnswered] = useState<string | null>(null);
  const open = data.waits.filter((w) => w.status === 'open');
  return (
    <>
      {open.map((w) => (
        <section className="wait-panel" key={w.id} aria-label="Waiting for your input" data-testid="open-wait">
          <h2>Waiting for input</h2>
          <WaitForm
            wait={w}
            canAnswer={props.canAnswer}
            onAnswered={(res) => {
              setAnswered(`${res.wait.title ?? res.wait.step_id}: answered by ${res.wait.responded_by ?? 'you'}`);
              props.onAnswered();
            }}
          />
        </section>
      ))}
      {answered ? (
        <p role="status" className="small" data-testid="wait-answered">
          {answered}
        </p>
      ) : null}
      {props.tablist}
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'progress' ? <FlowProgress run={run} data={data} /> : null}
        {tab === 'results' ? <FlowResults run={run} data={data} /> : null}
        {tab === 'timeline' ? <FlowTimeline run={run} data={data} version={version} /> : null}
        {tab === 'items' || tab === 'events' ? props.other : null}
      </div>
    </>
  );
}

/** One line about a run that is not waiting: what it is doing, or how it ended. */
function statusSentence(run: Run): string {
  const done = run.items_succeeded + run.items_failed + run.items_skipped + run.items_canceled;
  if (isTerminal(run.status)) return `${run.status} after ${duration(run.duration_ms)}`;
  if (run.status === 'queued' || run.status === 'claimed') return 'queued: starting soon';
  return `${run.status.replace(/_/g, ' ')}: ${count(done)} of ${count(run.items_total)} items done, ${count(run.items_running)} in progress`;
}

function Fact({ label, value, mono }: { label: string; value: string; mono?: boolean }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        <Clip text={value} className={mono ? 'mono' : ''} />
      </dd>
    </div>
  );
}
