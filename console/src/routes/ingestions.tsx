/**
 * Ingestions (issue 16): sources that page an HTTP API into a table, and their runs.
 * - `/ingestions`: every source at its latest version (`GET /v1/ingestions`), each with Run
 *   (`POST /v1/ingestions/{id}/runs`; the run's pages open at once), and a create form (editor)
 *   that builds the definition from labelled fields (`POST /v1/ingestions`; a 422 names its field).
 * - `/ingestions/:sourceId`: the source's definition and its runs with their totals.
 * - `/ingestions/:sourceId/runs/:runId`: one run: status, totals (pages fetched and failed;
 *   records created, updated, unchanged, without key), why it stopped short (a smoke test's
 *   limit), a dry run's preview (the first page's records and what each would do), the provider
 *   summary, and its pages (status, attempts, records, error), redrawn live from the run's event
 *   stream as pages arrive; Retry failed pages.
 * A source's Dry run (list and source page) starts a `dry_run` run and opens its preview.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, isTerminal, must, type Item, type Schemas, type Table } from '../api/client';
import { useFollow } from '../api/sse';
import { count, time } from '../components/format';
import { useDebounced } from '../components/use-debounced';
import { DryRunPreview, ProviderSummary } from '../components/ingestion-run-parts';
import { Clip, ErrorBox, PageHeader, StatusChip } from '../components/ui';
import { useCan } from '../session';

type Source = Schemas['IngestionSource'];
type IngestionRun = Schemas['IngestionRun'];
type Summary = Schemas['IngestionSummary'];
type Paging = 'cursor' | 'page' | 'offset' | 'link' | 'none';

/** Coalescing window for live re-reads, ms. */
const LIVE_DEBOUNCE_MS = 300;
/** Pages shown of a run (the rest: the run page's Items tab). */
const PAGES_SHOWN = 1000;

/** The totals of a run in words. */
export function summaryText(s: Summary): string {
  return (
    `${count(s.pages)} pages fetched, ${count(s.pages_failed)} failed · ${count(s.created)} created, ` +
    `${count(s.updated)} updated, ${count(s.unchanged)} unchanged${s.no_key ? `, ${count(s.no_key)} without key` : ''}`
  );
}

/**
 * Runs a source (live, or a dry run: the first page only, nothing written) and opens the run's
 * pages; `onError` gets the API's error.
 */
function useRunSource(onError: (err: unknown) => void) {
  const navigate = useNavigate();
  const [starting, setStarting] = useState<string | null>(null);
  const run = async (sourceId: string, mode: 'live' | 'dry_run' = 'live') => {
    setStarting(`${mode}:${sourceId}`);
    try {
      const body = mode === 'dry_run' ? { mode } : {};
      const r = await must(api.POST('/v1/ingestions/{source_id}/runs', { params: { path: { source_id: sourceId } }, body }));
      navigate(`/ingestions/${sourceId}/runs/${r.run.id}`);
    } catch (err) {
      onError(err);
      setStarting(null);
    }
  };
  return { starting, run };
}

export function IngestionsPage() {
  const can = useCan();
  const [sources, setSources] = useState<Source[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [runError, setRunError] = useState<unknown>(null);
  const { starting, run } = useRunSource(setRunError);
  const load = useCallback(() => {
    must(api.GET('/v1/ingestions')).then((r) => setSources(r.data), setError);
  }, []);
  useEffect(load, [load]);

  return (
    <section className="ingestions-page">
      <PageHeader title="Ingestions" />
      <p className="muted">An ingestion source pages an HTTP API into a table; a run fetches its pages and upserts the records by a key field.</p>
      <ErrorBox error={error} title="Could not load ingestion sources" />
      <ErrorBox error={runError} title="Could not start the run" />
      {sources === null ? (
        error ? null : (
          <p className="muted">Loading sources…</p>
        )
      ) : sources.length === 0 ? (
        <div className="notice" data-testid="no-sources">
          No ingestion sources yet.{can('editor') ? ' Create one below.' : ''}
        </div>
      ) : (
        <div className="table-wrap">
          <table className="grid sources-list" data-testid="sources">
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Version</th>
                <th className="wide">Table</th>
                <th className="wide">Created</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {sources.map((s) => (
                <tr key={s.id} data-source-id={s.id}>
                  <td>
                    <Link to={`/ingestions/${s.id}`} className="clip" title={s.name}>
                      {s.name}
                    </Link>
                  </td>
                  <td className="num">v{s.version}</td>
                  <td className="wide">
                    <Link to={`/tables/${s.table_id}`}>{s.table_id}</Link>
                  </td>
                  <td className="wide">
                    <Clip text={time(s.created_at)} />
                  </td>
                  <td>
                    {can('operator') ? (
                      <span className="actions-inline">
                        <button type="button" className="primary" onClick={() => void run(s.id)} disabled={starting !== null} aria-label={`Run ${s.name}`}>
                          {starting === `live:${s.id}` ? 'Starting…' : 'Run'}
                        </button>
                        <button
                          type="button"
                          onClick={() => void run(s.id, 'dry_run')}
                          disabled={starting !== null}
                          aria-label={`Dry run ${s.name}`}
                          title="Fetch the first page and show what it would write; write nothing"
                        >
                          {starting === `dry_run:${s.id}` ? 'Starting…' : 'Dry run'}
                        </button>
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {can('editor') ? <CreateSourceForm onCreated={load} /> : null}
    </section>
  );
}

/** The definition the form's fields describe (only the fields that are set). */
export function definitionOf(f: {
  name: string;
  tableId: string;
  url: string;
  recordsPath: string;
  keyField: string;
  paging: Paging;
  param: string;
  cursorPath: string;
  sizeParam: string;
  pageSize: string;
}): Record<string, unknown> {
  const pagination: Record<string, unknown> = { type: f.paging };
  if (f.paging !== 'none' && f.paging !== 'link' && f.param.trim()) pagination.param = f.param.trim();
  if (f.paging === 'cursor') pagination.cursor_path = f.cursorPath.trim();
  if (f.paging !== 'none' && f.sizeParam.trim()) pagination.size_param = f.sizeParam.trim();
  const def: Record<string, unknown> = {
    name: f.name.trim(),
    table_id: f.tableId,
    request: { url: f.url.trim() },
    records_path: f.recordsPath.trim(),
    key_field: f.keyField.trim(),
    pagination,
  };
  if (f.pageSize.trim()) def.page_size = Number(f.pageSize);
  return def;
}

function CreateSourceForm({ onCreated }: { onCreated(): void }) {
  const [tables, setTables] = useState<Table[] | null>(null);
  const [f, setF] = useState({
    name: '',
    tableId: '',
    url: '',
    recordsPath: 'data',
    keyField: 'id',
    paging: 'cursor' as Paging,
    param: 'cursor',
    cursorPath: 'next_cursor',
    sizeParam: 'limit',
    pageSize: '50',
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<Source | null>(null);
  const set = (patch: Partial<typeof f>) => setF((prev) => ({ ...prev, ...patch }));

  useEffect(() => {
    must(api.GET('/v1/tables')).then((r) => {
      setTables(r.data);
      setF((prev) => (prev.tableId || !r.data[0] ? prev : { ...prev, tableId: r.data[0].id }));
    }, setError);
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setCreated(null);
    try {
      const s = await must(api.POST('/v1/ingestions', { body: definitionOf(f) }));
      setCreated(s);
      set({ name: '' });
      onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const paged = f.paging === 'page' || f.paging === 'offset' || f.paging === 'cursor';
  return (
    <form className="form ingest-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="create-source-title">
      <h2 id="create-source-title">Create a source</h2>
      {tables && tables.length === 0 ? (
        <p className="muted small" data-testid="no-tables">
          The records go into a table: import one on the <Link to="/tables">Tables</Link> page first (a CSV with only a header will do).
        </p>
      ) : null}
      <div className="form-row">
        <label>
          Name
          <input type="text" value={f.name} onChange={(e) => set({ name: e.target.value })} maxLength={200} required />
        </label>
        <label>
          Table
          <select aria-label="Table" value={f.tableId} onChange={(e) => set({ tableId: e.target.value })} disabled={!tables?.length}>
            {tables?.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name.length > 80 ? `${t.name.slice(0, 80)}…` : t.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className="block">
        API URL
        <input type="url" value={f.url} onChange={(e) => set({ url: e.target.value })} placeholder="https://api.example.com/items" required />
      </label>
      <div className="form-row">
        <label>
          Records path
          <input type="text" value={f.recordsPath} onChange={(e) => set({ recordsPath: e.target.value })} placeholder="data.items, or $ for the body" />
        </label>
        <label>
          Key field
          <input type="text" value={f.keyField} onChange={(e) => set({ keyField: e.target.value })} />
        </label>
      </div>
      <div className="form-row">
        <label>
          Pagination
          <select
            aria-label="Pagination"
            value={f.paging}
            onChange={(e) => {
              const paging = e.target.value as Paging;
              set({ paging, param: paging === 'cursor' ? 'cursor' : paging === 'page' ? 'page' : paging === 'offset' ? 'offset' : '' });
            }}
          >
            <option value="cursor">Cursor (the next cursor is in the body)</option>
            <option value="page">Page number</option>
            <option value="offset">Offset</option>
            <option value="link">Link header (rel=&quot;next&quot;)</option>
            <option value="none">None (one page)</option>
          </select>
        </label>
        {paged ? (
          <label>
            {f.paging === 'cursor' ? 'Cursor parameter' : f.paging === 'page' ? 'Page parameter' : 'Offset parameter'}
            <input type="text" value={f.param} onChange={(e) => set({ param: e.target.value })} />
          </label>
        ) : null}
        {f.paging === 'cursor' ? (
          <label>
            Next cursor path
            <input type="text" value={f.cursorPath} onChange={(e) => set({ cursorPath: e.target.value })} />
          </label>
        ) : null}
      </div>
      {f.paging !== 'none' ? (
        <div className="form-row">
          <label>
            Page size parameter
            <input type="text" value={f.sizeParam} onChange={(e) => set({ sizeParam: e.target.value })} placeholder="not sent when empty" />
          </label>
          <label>
            Page size
            <input type="number" min={1} value={f.pageSize} onChange={(e) => set({ pageSize: e.target.value })} />
          </label>
        </div>
      ) : null}
      <ErrorBox error={error} title="Could not create the source" />
      {created ? (
        <p className="muted small" role="status" data-testid="source-created">
          Created <Link to={`/ingestions/${created.id}`}>{created.name}</Link> ({created.id}).
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !f.tableId}>
          {busy ? 'Creating…' : 'Create source'}
        </button>
      </div>
    </form>
  );
}

export function IngestionPage() {
  const can = useCan();
  const { sourceId = '' } = useParams();
  const [source, setSource] = useState<Source | null>(null);
  const [runs, setRuns] = useState<IngestionRun[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [runError, setRunError] = useState<unknown>(null);
  const { starting, run } = useRunSource(setRunError);

  useEffect(() => {
    setSource(null);
    setRuns(null);
    must(api.GET('/v1/ingestions/{source_id}', { params: { path: { source_id: sourceId } } })).then(setSource, setError);
    must(api.GET('/v1/ingestions/{source_id}/runs', { params: { path: { source_id: sourceId } } })).then((r) => setRuns(r.data), setError);
  }, [sourceId]);

  return (
    <section className="ingestion-page">
      <PageHeader title={source ? <Clip text={source.name} /> : 'Ingestion source'}>
        {source && can('operator') ? (
          <>
            <button type="button" className="primary" onClick={() => void run(source.id)} disabled={starting !== null}>
              {starting?.startsWith('live:') ? 'Starting…' : 'Run'}
            </button>
            <button
              type="button"
              onClick={() => void run(source.id, 'dry_run')}
              disabled={starting !== null}
              title="Fetch the first page and show what it would write; write nothing"
            >
              {starting?.startsWith('dry_run:') ? 'Starting…' : 'Dry run'}
            </button>
          </>
        ) : null}
        <Link to="/ingestions" className="button">
          All sources
        </Link>
      </PageHeader>
      <ErrorBox error={error} title="Could not load the source" />
      <ErrorBox error={runError} title="Could not start the run" />
      {source ? (
        <>
          <p className="muted small" data-testid="source-summary">
            {source.id} · v{source.version} · into <Link to={`/tables/${source.table_id}`}>{source.table_id}</Link> · created {time(source.created_at)}
          </p>
          <details>
            <summary>Definition</summary>
            <pre className="definition">{JSON.stringify(source.definition, null, 2)}</pre>
          </details>
        </>
      ) : null}
      <h2>Runs</h2>
      {runs === null ? null : runs.length === 0 ? (
        <p className="muted" data-testid="no-runs">
          No runs yet.
        </p>
      ) : (
        <ul className="column-list" data-testid="source-runs">
          {runs.map(({ run: r, summary }) => (
            <li key={r.id} data-run-id={r.id}>
              <Link to={`/ingestions/${sourceId}/runs/${r.id}`}>{r.id}</Link>
              <StatusChip status={r.status} />
              <span className="muted small">
                v{r.target_version} · {summaryText(summary)} · {time(r.created_at)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The record count a page's outputs carry, if it was fetched. */
function recordsOf(item: Item): number | null {
  const n = (item.outputs as { record_count?: unknown } | null)?.record_count;
  return typeof n === 'number' ? n : null;
}

export function IngestionRunPage() {
  const can = useCan();
  const { sourceId = '', runId = '' } = useParams();
  const [state, setState] = useState<IngestionRun | null>(null);
  const [pages, setPages] = useState<Item[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [after, setAfter] = useState<number | null>(null);
  const [live, setLive] = useState<'connecting' | 'live' | 'ended'>('connecting');

  const reload = useCallback(async () => {
    try {
      const [r, items] = await Promise.all([
        must(api.GET('/v1/ingestions/{source_id}/runs/{run_id}', { params: { path: { source_id: sourceId, run_id: runId } } })),
        must(api.GET('/v1/runs/{run_id}/items', { params: { path: { run_id: runId }, query: { limit: PAGES_SHOWN } } })),
      ]);
      setState(r);
      setPages(items.data);
      setError(null);
      return r;
    } catch (err) {
      setError(err);
      return null;
    }
  }, [sourceId, runId]);

  // The newest event first, then the run, then follow the run's events from there.
  useEffect(() => {
    setState(null);
    setPages([]);
    setAfter(null);
    setLive('connecting');
    let stop = false;
    void (async () => {
      const latest = await must(api.GET('/v1/events/latest')).catch(() => ({ seq: 0 }));
      const r = await reload();
      if (stop || !r) return;
      if (isTerminal(r.run.status)) setLive('ended');
      else setAfter(latest.seq);
    })();
    return () => {
      stop = true;
    };
  }, [reload]);

  const scheduleReload = useDebounced(() => void reload(), LIVE_DEBOUNCE_MS);
  useFollow(
    `ingestion:${runId}`,
    async (from, signal) =>
      (await api.GET('/v1/runs/{run_id}/events', { params: { path: { run_id: runId }, query: { follow: 'true', after: from } }, parseAs: 'stream', signal }))
        .data,
    after,
    {
      onEvent: scheduleReload,
      onEnd() {
        setLive('ended');
        void reload();
      },
      onState(s) {
        setLive((prev) => (prev === 'ended' ? prev : s === 'live' ? 'live' : 'connecting'));
      },
    },
    live !== 'ended',
  );

  async function retryFailed() {
    setActionError(null);
    try {
      await must(api.POST('/v1/ingestions/{source_id}/runs/{run_id}/retry-failed', { params: { path: { source_id: sourceId, run_id: runId } } }));
      const latest = await must(api.GET('/v1/events/latest')).catch(() => ({ seq: 0 }));
      await reload();
      setLive('connecting');
      setAfter(latest.seq);
    } catch (err) {
      setActionError(err);
    }
  }

  const run = state?.run;
  return (
    <section className="ingestion-run-page">
      <PageHeader title={<Clip text={`Ingestion run ${runId}`} />}>
        {run && can('operator') && state.summary.pages_failed > 0 && isTerminal(run.status) ? (
          <button type="button" onClick={() => void retryFailed()}>
            Retry failed pages
          </button>
        ) : null}
        <Link to={`/runs/${runId}`} className="button">
          Run details
        </Link>
        <Link to={`/ingestions/${sourceId}`} className="button">
          Source
        </Link>
      </PageHeader>
      <ErrorBox error={error} title="Could not load the run" />
      <ErrorBox error={actionError} title="Could not retry" />
      {state && run ? (
        <p data-testid="ingestion-summary">
          <span data-testid="run-status">
            <StatusChip status={run.status} />
          </span>{' '}
          <span data-testid="summary-text">
            {run.mode === 'dry_run' ? 'Nothing written: the preview below shows the first page.' : summaryText(state.summary)}
          </span>{' '}
          {run.mode !== 'live' ? (
            <span className="chip" data-testid="run-mode">
              {run.mode.replace('_', ' ')}
            </span>
          ) : null}{' '}
          <span className="muted small" data-testid="live-state">
            {live === 'live' ? '· live' : live === 'ended' ? '' : '· connecting…'}
          </span>
        </p>
      ) : error ? null : (
        <p className="muted">Loading…</p>
      )}
      {state?.summary.stopped && run?.result_summary ? (
        <p className="notice" data-testid="stopped">
          {run.result_summary}
        </p>
      ) : null}
      {state?.preview ? <DryRunPreview preview={state.preview} /> : null}
      {state ? <ProviderSummary summary={state.summary} /> : null}
      <h2>Pages</h2>
      {pages.length === 0 ? (
        <p className="muted">No pages yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="grid pages-list" data-testid="pages">
            <thead>
              <tr>
                <th>Page</th>
                <th>Status</th>
                <th className="num wide">Attempts</th>
                <th className="num">Records</th>
                <th>Error</th>
              </tr>
            </thead>
            <tbody>
              {pages.map((p) => {
                const records = recordsOf(p);
                return (
                  <tr key={p.id} data-page={p.key}>
                    <td>{p.key}</td>
                    <td>
                      <StatusChip status={p.status} />
                    </td>
                    <td className="num wide">{p.attempt_count}</td>
                    <td className="num">{records === null ? '—' : count(records)}</td>
                    <td>{p.error ? <Clip text={`${p.error.code}: ${p.error.message}`} /> : null}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
