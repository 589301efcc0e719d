/**
 * Runs page: every run, newest first, with filters kept in the URL (run-filters.ts), live
 * updates over SSE (`/v1/events?follow=true` from the newest event; the list is re-read when
 * something happens, and every few seconds while runs are active so waits and ages stay
 * true), bulk cancel / retry failed / delete with confirmation (a worker run's retry says what
 * happens to its output), and an export of the filtered view. Empty and stuck states are
 * explained in words.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, errorMessage, isTerminal, must, RUN_KINDS, RUN_MODES, RUN_STATUSES, TRIGGERS, type Run } from '../api/client';
import { useFollow } from '../api/sse';
import { useDebounced } from '../components/use-debounced';
import { ago, credits, duration, time } from '../components/format';
import { OutputNoticeLine } from '../components/output-notice-confirm';
import { Clip, Confirm, ErrorBox, PageHeader, Progress, StatusChip } from '../components/ui';
import { apiFilter, hasFilters, readFilters, writeFilters, type RangeKey, type RunFilters } from './run-filters';
import { useCan } from '../session';

const PAGE = 50;
/** Re-read interval while any listed run is active, ms. */
const ACTIVE_POLL_MS = 5000;
/** Coalescing window for live re-reads, ms. */
const LIVE_DEBOUNCE_MS = 400;

type BulkAction = 'cancel' | 'retry' | 'delete';
const BULK: Record<BulkAction, { label: string; verb: string; danger: boolean }> = {
  cancel: { label: 'Cancel', verb: 'cancel', danger: true },
  retry: { label: 'Retry failed', verb: 'retry the failed items of', danger: false },
  delete: { label: 'Delete', verb: 'delete', danger: true },
};

/** "queued for 3 min: no executor node is running: …" — why a run is not progressing. */
export function waitingText(run: Run, now = Date.now()): string | null {
  if (!run.waiting_reason) return null;
  const since = run.status === 'queued' ? run.created_at : run.updated_at;
  const age = ago(since, now).replace(/ ago$/, '');
  const forWhat = age === 'just now' ? 'just now' : `for ${age}`;
  return `${run.status.replace(/_/g, ' ')} ${forWhat}: ${run.waiting_reason.message}`;
}

export function RunsPage() {
  const operator = useCan()('operator');
  const [sp, setSp] = useSearchParams();
  const filters = useMemo(() => readFilters(sp), [sp]);
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [confirm, setConfirm] = useState<BulkAction | null>(null);
  const [bulkResult, setBulkResult] = useState<{ ok: string; errors: string[] } | null>(null);
  const [busy, setBusy] = useState(false);
  const [latestSeq, setLatestSeq] = useState<number | null>(null);
  const [liveState, setLiveState] = useState<'live' | 'retrying' | 'connecting'>('connecting');
  const [now, setNow] = useState(() => Date.now());
  const generation = useRef(0);
  const shown = useRef(PAGE);

  const setFilters = (patch: Partial<RunFilters>) => {
    const next = writeFilters({ ...filters, ...patch });
    setSp(next, { replace: true });
  };

  /** Reads the first `count` runs of the current filter (a newer read supersedes an older one). */
  const load = useCallback(
    async (count: number) => {
      const gen = ++generation.current;
      try {
        const query = { ...apiFilter(filters), limit: Math.min(1000, Math.max(PAGE, count)) };
        const [page, c] = await Promise.all([
          must(api.GET('/v1/runs', { params: { query } })),
          must(api.GET('/v1/runs/count', { params: { query: apiFilter(filters) } })),
        ]);
        if (gen !== generation.current) return;
        setRuns(page.data);
        setCursor(page.next_cursor);
        setTotal(c.count);
        setError(null);
        setNow(Date.now());
      } catch (err) {
        if (gen === generation.current) setError(err);
      }
    },
    [filters],
  );

  useEffect(() => {
    shown.current = PAGE;
    setRuns(null);
    setSelected(new Set());
    void load(PAGE);
  }, [load]);

  // Live: start after the newest event, re-read on each burst of events.
  useEffect(() => {
    void must(api.GET('/v1/events/latest')).then(
      (r) => setLatestSeq(r.seq),
      () => setLatestSeq(0),
    );
  }, []);
  // The debounced call runs the newest `load`: one set before a filter change must not read the old filters.
  const refresh = useDebounced(() => void load(shown.current), LIVE_DEBOUNCE_MS);
  useFollow(
    'workspace',
    async (after, signal) => (await api.GET('/v1/events', { params: { query: { follow: 'true', after } }, parseAs: 'stream', signal })).data,
    latestSeq,
    { onEvent: refresh, onState: setLiveState },
    true,
  );
  const anyActive = runs?.some((r) => !isTerminal(r.status)) ?? false;
  useEffect(() => {
    if (!anyActive) return;
    const t = setInterval(() => void load(shown.current), ACTIVE_POLL_MS);
    return () => clearInterval(t);
  }, [anyActive, load]);

  const loadMore = async () => {
    if (!cursor || !runs) return;
    try {
      const page = await must(api.GET('/v1/runs', { params: { query: { ...apiFilter(filters), limit: PAGE, cursor } } }));
      setRuns([...runs, ...page.data]);
      setCursor(page.next_cursor);
      shown.current = runs.length + page.data.length;
    } catch (err) {
      setError(err);
    }
  };

  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const allSelected = !!runs && runs.length > 0 && runs.every((r) => selected.has(r.id));
  const selectedRuns = runs?.filter((r) => selected.has(r.id)) ?? [];

  const runBulk = async (action: BulkAction) => {
    setConfirm(null);
    setBusy(true);
    const errors: string[] = [];
    let done = 0;
    for (const run of selectedRuns) {
      const path = { params: { path: { run_id: run.id } } };
      try {
        if (action === 'cancel') await must(api.POST('/v1/runs/{run_id}/cancel', path));
        else if (action === 'retry') await must(api.POST('/v1/runs/{run_id}/retry-failed', path));
        else await must(api.DELETE('/v1/runs/{run_id}', path));
        done += 1;
      } catch (err) {
        errors.push(`${run.name}: ${errorMessage(err)}`);
      }
    }
    const past = { cancel: 'canceled', retry: 'retried', delete: 'deleted' }[action];
    setBulkResult({ ok: `${done} run${done === 1 ? '' : 's'} ${past}`, errors });
    setSelected(new Set());
    setBusy(false);
    await load(shown.current);
  };

  const exportQuery = new URLSearchParams(Object.entries(apiFilter(filters)).filter((e): e is [string, string] => typeof e[1] === 'string')).toString();
  const exportHref = (format: 'csv' | 'json') => `/v1/runs/export?${exportQuery}${exportQuery ? '&' : ''}format=${format}`;

  return (
    <section aria-labelledby="runs-title">
      <PageHeader title={<span id="runs-title">Runs</span>}>
        <span className="muted small" aria-live="polite">
          {liveState === 'live' ? 'Live' : liveState === 'retrying' ? 'Reconnecting…' : 'Connecting…'}
        </span>
        <a className="button" href={exportHref('csv')} download>
          Export CSV
        </a>
        <a className="button" href={exportHref('json')} download>
          Export JSON
        </a>
      </PageHeader>

      <form className="filters" role="search" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label className="grow">
          Name
          <input type="search" value={filters.q} placeholder="Search run names" onChange={(e) => setFilters({ q: e.target.value })} />
        </label>
        <FilterSelect label="Status" value={filters.status} options={RUN_STATUSES} onChange={(v) => setFilters({ status: v })} />
        <FilterSelect label="Kind" value={filters.kind} options={RUN_KINDS} onChange={(v) => setFilters({ kind: v })} />
        <FilterSelect label="Trigger" value={filters.trigger} options={TRIGGERS} onChange={(v) => setFilters({ trigger: v })} />
        <FilterSelect label="Mode" value={filters.mode} options={RUN_MODES} onChange={(v) => setFilters({ mode: v })} />
        <label>
          Created
          <select value={filters.range} onChange={(e) => setFilters({ range: e.target.value as RangeKey })}>
            <option value="">any time</option>
            <option value="24h">last 24 h</option>
            <option value="7d">last 7 days</option>
            <option value="30d">last 30 days</option>
            <option value="custom">custom…</option>
          </select>
        </label>
        {filters.range === 'custom' ? (
          <>
            <label>
              From
              <input type="datetime-local" value={filters.from} onChange={(e) => setFilters({ from: e.target.value })} />
            </label>
            <label>
              To
              <input type="datetime-local" value={filters.to} onChange={(e) => setFilters({ to: e.target.value })} />
            </label>
          </>
        ) : null}
        <button
          type="button"
          aria-pressed={filters.status === 'waiting_for_input'}
          title="Runs waiting for a person's answer (status waiting for input); answer them in the Inbox"
          onClick={() => setFilters({ status: filters.status === 'waiting_for_input' ? '' : 'waiting_for_input' })}
        >
          Waiting on people
        </button>
        {hasFilters(filters) ? (
          <button type="button" onClick={() => setSp(new URLSearchParams(), { replace: true })}>
            Clear filters
          </button>
        ) : null}
      </form>

      <div className="actions bulk" aria-label="Bulk actions">
        {operator ? <span className="muted small">{selected.size > 0 ? `${selected.size} selected` : 'Select runs for bulk actions'}</span> : null}
        {(operator ? (Object.keys(BULK) as BulkAction[]) : []).map((a) => (
          <button key={a} type="button" className={BULK[a].danger ? '' : ''} disabled={selected.size === 0 || busy} onClick={() => setConfirm(a)}>
            {BULK[a].label}
          </button>
        ))}
        {total !== null ? (
          <span className="muted small" data-testid="run-count">
            {total} run{total === 1 ? '' : 's'}
            {hasFilters(filters) ? ' match' : ''}
          </span>
        ) : null}
      </div>
      {bulkResult ? (
        <div className="notice" role="status">
          {bulkResult.ok}.
          {bulkResult.errors.length > 0 ? (
            <ul>
              {bulkResult.errors.map((e, i) => (
                <li key={i} className="wrap">
                  {e}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      <ErrorBox error={error} title="Could not load runs" />

      {runs === null ? (
        error ? null : (
          <p className="muted">Loading runs…</p>
        )
      ) : runs.length === 0 ? (
        <div className="notice" data-testid="empty">
          {hasFilters(filters) ? (
            <>
              <strong>No runs match these filters.</strong> Change or clear the filters to see more.
            </>
          ) : (
            <>
              <strong>No runs yet.</strong> Import a table and run a column (<code>runyard tables import</code>, <code>runyard columns run</code>), or start a{' '}
              <Link to="/runs/new">manual run</Link>.
            </>
          )}
        </div>
      ) : (
        <div className="table-wrap">
          <table className="grid runs-table">
            <colgroup>
              <col className="check" style={{ width: 36 }} />
              <col style={{ width: '22%' }} />
              <col style={{ width: 80 }} />
              <col style={{ width: '16%' }} />
              <col style={{ width: 90 }} />
              <col style={{ width: 90 }} />
              <col style={{ width: 150 }} />
              <col style={{ width: 90 }} />
              <col style={{ width: 150 }} />
              <col style={{ width: 80 }} />
            </colgroup>
            <thead>
              <tr>
                <th className="check">
                  <input
                    type="checkbox"
                    aria-label="Select all listed runs"
                    checked={allSelected}
                    onChange={() => setSelected(allSelected ? new Set() : new Set(runs.map((r) => r.id)))}
                  />
                </th>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Mode</th>
                <th scope="col">Trigger</th>
                <th scope="col">Started</th>
                <th scope="col" className="num">
                  Duration
                </th>
                <th scope="col">Items</th>
                <th scope="col" className="num">
                  Credits
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <RunRow key={r.id} run={r} now={now} selected={selected.has(r.id)} onToggle={() => toggle(r.id)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor ? (
        <p>
          <button type="button" onClick={() => void loadMore()}>
            Load more runs
          </button>
        </p>
      ) : null}

      <Confirm
        open={confirm !== null}
        title={confirm ? `${BULK[confirm].label}: ${selectedRuns.length} run${selectedRuns.length === 1 ? '' : 's'}` : ''}
        message={
          confirm ? (
            <>
              <p>
                This will {BULK[confirm].verb} {selectedRuns.length} selected run{selectedRuns.length === 1 ? '' : 's'}
                {confirm === 'delete' ? ' with their items and events (only finished runs can be deleted)' : ''}.
              </p>
              <ul className="small">
                {selectedRuns.slice(0, 5).map((r) => (
                  <li key={r.id}>
                    <Clip text={r.name} />
                    {confirm === 'retry' && r.kind === 'worker' ? <OutputNoticeLine runId={r.id} /> : null}
                  </li>
                ))}
                {selectedRuns.length > 5 ? <li>and {selectedRuns.length - 5} more</li> : null}
              </ul>
            </>
          ) : null
        }
        confirmLabel={confirm ? `${BULK[confirm].label} ${selectedRuns.length}` : ''}
        danger={confirm ? BULK[confirm].danger : false}
        onConfirm={() => confirm && void runBulk(confirm)}
        onCancel={() => setConfirm(null)}
      />
    </section>
  );
}

function FilterSelect({ label, value, options, onChange }: { label: string; value: string; options: readonly string[]; onChange(v: string): void }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o.replace(/_/g, ' ')}
          </option>
        ))}
      </select>
    </label>
  );
}

function RunRow({ run, now, selected, onToggle }: { run: Run; now: number; selected: boolean; onToggle(): void }) {
  const waiting = waitingText(run, now);
  const done = run.items_succeeded + run.items_skipped;
  return (
    <tr className={selected ? 'selected' : undefined} data-run-id={run.id}>
      <td className="check">
        <input type="checkbox" aria-label={`Select run ${run.name.slice(0, 100)}`} checked={selected} onChange={onToggle} />
      </td>
      <td data-label="Name">
        <Link to={`/runs/${run.id}`} className="clip" title={run.name.length > 4000 ? `${run.name.slice(0, 4000)}…` : run.name}>
          {run.name.length > 2000 ? `${run.name.slice(0, 2000)}…` : run.name}
        </Link>
      </td>
      <td data-label="Kind">{run.kind}</td>
      <td data-label="Status">
        <StatusChip status={run.status} />
        {waiting ? <Clip className="waiting" text={waiting} /> : null}
      </td>
      <td data-label="Mode">
        <span className={`badge badge-${run.mode}`}>{run.mode.replace(/_/g, ' ')}</span>
      </td>
      <td data-label="Trigger">
        <Clip text={run.trigger.type + (run.trigger.actor ? ` · ${run.trigger.actor}` : '')} />
      </td>
      <td data-label="Started">{run.started_at ? time(run.started_at) : <span className="muted">not started</span>}</td>
      <td data-label="Duration" className="num">
        {duration(run.duration_ms)}
      </td>
      <td data-label="Items">
        <Progress done={done} failed={run.items_failed} total={run.items_total} label={`Items of ${run.name.slice(0, 100)}`} />
      </td>
      <td data-label="Credits" className="num">
        {credits(run.credits_used)}
      </td>
    </tr>
  );
}
