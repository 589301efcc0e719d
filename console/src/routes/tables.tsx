/**
 * Tables (issue 6 §5).
 * - `/tables`: every table (`GET /v1/tables`) and an import form (a CSV, JSON or NDJSON file,
 *   `POST /v1/tables`); a new table opens at once.
 * - `/tables/:tableId`: the table's run columns, each with "Run column" (`POST
 *   /v1/tables/{id}/columns/{column}/runs`, trigger manual; the new run opens at once) and a
 *   link to the manual run form for a run with a prompt, profile or overrides; an add-column
 *   form; and the rows with per-cell status (components/table-grid.tsx), redrawn live from the
 *   workspace event stream. `?row=<id>` opens that row in a drawer with its comments
 *   (components/row-drawer.tsx): an AI worker run's linked task (`subject.url`) points here;
 *   a row's number opens it too. Which field labels the rows in item lists and run cards is
 *   chosen there too (components/table-label-field.tsx, editor).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, must, type Column, type Schemas, type Table } from '../api/client';
import { useFollow } from '../api/sse';
import { useDebounced } from '../components/use-debounced';
import { count, time } from '../components/format';
import { RowDrawer } from '../components/row-drawer';
import { AddColumnForm } from '../components/table-add-column';
import { TableGrid } from '../components/table-grid';
import { TableImport } from '../components/table-import';
import { TableLabelField } from '../components/table-label-field';
import { Clip, ErrorBox, PageHeader } from '../components/ui';
import { useCan } from '../session';

/** Producers that run code on the server: a manual run of their columns needs admin. */
const CODE_PRODUCERS = new Set(['shell', 'js']);

/** Coalescing window for live re-reads, ms. */
const LIVE_DEBOUNCE_MS = 500;

export function TablesPage() {
  const can = useCan();
  const navigate = useNavigate();
  const [tables, setTables] = useState<Table[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    must(api.GET('/v1/tables')).then((r) => setTables(r.data), setError);
  }, []);

  return (
    <section className="tables-page">
      <PageHeader title="Tables" />
      {can('editor') ? <TableImport onDone={(t) => navigate(`/tables/${t.id}`)} /> : null}
      <ErrorBox error={error} title="Could not load tables" />
      {tables === null ? (
        error ? null : (
          <p className="muted">Loading tables…</p>
        )
      ) : tables.length === 0 ? (
        <div className="notice" data-testid="no-tables">
          No tables yet. Import a CSV, JSON or NDJSON file above, then add a column and run it.
        </div>
      ) : (
        <div className="table-wrap">
          <table className="grid tables-list">
            <colgroup>
              <col />
              <col style={{ width: 90 }} />
              <col className="wide" style={{ width: 90 }} />
              <col className="wide" style={{ width: 190 }} />
            </colgroup>
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Rows</th>
                <th className="num wide">Fields</th>
                <th className="wide">Imported</th>
              </tr>
            </thead>
            <tbody>
              {tables.map((t) => (
                <tr key={t.id} data-table-id={t.id}>
                  <td>
                    <Link to={`/tables/${t.id}`} className="clip" title={t.name}>
                      {t.name}
                    </Link>
                  </td>
                  <td className="num">{count(t.row_count)}</td>
                  <td className="num wide">{t.fields.length}</td>
                  <td className="wide">
                    <Clip text={time(t.created_at)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function TablePage() {
  const can = useCan();
  const { tableId = '' } = useParams();
  const navigate = useNavigate();
  const [table, setTable] = useState<Table | null>(null);
  const [columns, setColumns] = useState<Column[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [runError, setRunError] = useState<unknown>(null);
  const [starting, setStarting] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [latestSeq, setLatestSeq] = useState<number | null>(null);
  const [sp, setSp] = useSearchParams();
  const openRow = sp.get('row');
  const [rows, setRows] = useState<Schemas['GridRow'][]>([]);
  const setSpRef = useRef(setSp);
  setSpRef.current = setSp;
  const closeRow = useCallback(() => setSpRef.current({}, { replace: true }), []);

  useEffect(() => {
    setTable(null);
    must(api.GET('/v1/tables/{table_id}', { params: { path: { table_id: tableId } } })).then((t) => (setTable(t), setError(null)), setError);
  }, [tableId]);

  // Live: cells change as runs progress; re-read the page in view on each burst of events.
  useEffect(() => {
    void must(api.GET('/v1/events/latest')).then(
      (r) => setLatestSeq(r.seq),
      () => setLatestSeq(0),
    );
  }, []);
  const bump = useDebounced(() => setVersion((v) => v + 1), LIVE_DEBOUNCE_MS);
  useFollow(
    'workspace',
    async (after, signal) => (await api.GET('/v1/events', { params: { query: { follow: 'true', after } }, parseAs: 'stream', signal })).data,
    latestSeq,
    { onEvent: bump },
    table !== null,
  );

  async function runColumn(c: Column) {
    setStarting(c.name);
    setRunError(null);
    try {
      const run = await must(
        api.POST('/v1/tables/{table_id}/columns/{column}/runs', {
          params: { path: { table_id: tableId, column: c.id } },
          body: { trigger: 'manual' },
        }),
      );
      navigate(`/runs/${run.id}`);
    } catch (err) {
      setRunError(err);
      setStarting(null);
    }
  }

  if (error) {
    return (
      <section>
        <PageHeader title="Table" />
        <ErrorBox error={error} title="Could not load the table" />
        <Link to="/tables">All tables</Link>
      </section>
    );
  }
  return (
    <section className="table-page">
      <PageHeader title={table ? <Clip text={table.name} /> : 'Table'}>
        {/* Seed 000: "Manual run" (Run column, below) does one task now; "Rules" reuse a trigger automatically later. */}
        <Link to={`/triggers?target=${encodeURIComponent(JSON.stringify({ type: 'column', table_id: tableId }))}`} className="button">
          Rules
        </Link>
        <Link to="/tables" className="button">
          All tables
        </Link>
      </PageHeader>
      {table ? (
        <p className="muted small" data-testid="table-summary">
          {count(table.row_count)} rows · {table.fields.length} fields · imported {time(table.created_at)}
        </p>
      ) : (
        <p className="muted">Loading…</p>
      )}
      {table ? <TableLabelField table={table} canEdit={can('editor')} onSaved={setTable} /> : null}
      <h2>Columns</h2>
      {columns.length === 0 ? (
        <p className="muted" data-testid="no-columns">
          No run columns yet. Add one below: a producer that computes a value for every row.
        </p>
      ) : (
        <ul className="column-list">
          {columns.map((c) => (
            <li key={c.id} data-column={c.name}>
              <Clip className="column-name" text={c.name} />
              <span className="muted small">
                {c.producer} · {c.profile} · v{c.version}
              </span>
              <span className="actions">
                {can('operator') ? (
                  <button type="button" className="primary" onClick={() => void runColumn(c)} disabled={starting !== null} aria-label={`Run column ${c.name}`}>
                    {starting === c.name ? 'Starting…' : 'Run column'}
                  </button>
                ) : null}
                {can(CODE_PRODUCERS.has(c.producer) ? 'admin' : 'operator') ? (
                  <Link
                    className="button"
                    to={`/runs/new?table=${encodeURIComponent(tableId)}&column=${encodeURIComponent(c.name)}`}
                    aria-label={`Run ${c.name} with options`}
                  >
                    With options…
                  </Link>
                ) : null}
              </span>
            </li>
          ))}
        </ul>
      )}
      <ErrorBox error={runError} title="Could not start the run" />
      {can('editor') ? <AddColumnForm tableId={tableId} onAdded={() => setVersion((v) => v + 1)} /> : null}
      <h2>Rows</h2>
      {table ? (
        <TableGrid
          tableId={tableId}
          fields={table.fields}
          version={version}
          onColumns={setColumns}
          onRows={setRows}
          onOpenRow={(row) => setSp({ row })}
          selectedRow={openRow}
        />
      ) : null}
      {openRow ? (
        <RowDrawer
          key={openRow}
          tableId={tableId}
          rowId={openRow}
          data={rows.find((r) => r.id === openRow)?.data ?? null}
          version={version}
          onClose={closeRow}
        />
      ) : null}
    </section>
  );
}
