/**
 * The Run form of a worker page: a subject row (a table, then one of its first {@link ROWS}
 * rows, labelled by the table's label field or its first text field; or a row id typed in), an
 * optional prompt and a dry run switch. `POST /v1/workers/{id}/runs`; the answer's output notice (what happens to an
 * output an earlier run left: replaced, kept, another one added) stays on screen, and the new
 * run is handed to `onStarted`. A 422 is shown with the field it names.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api, errorField, must, type Run, type Schemas, type Table } from '../api/client';
import { ErrorBox } from './ui';

type Row = Schemas['Row'];
/** Rows offered in the row picker. */
const ROWS = 100;

/**
 * A row's label, as the API labels items (src/core/row-label.ts): the table's label field when
 * chosen and not blank, else the row's first non-empty text field; then its id. 60 characters at most.
 */
export function rowLabel(row: Row, labelColumn: string | null = null): string {
  const chosen = labelColumn === null ? undefined : row.data[labelColumn];
  const text =
    (typeof chosen === 'string' && chosen.trim() !== '') || typeof chosen === 'number' || typeof chosen === 'boolean'
      ? String(chosen)
      : (Object.values(row.data).find((v) => typeof v === 'string' && v.trim() !== '') as string | undefined);
  return text ? `${text.length > 60 ? `${text.slice(0, 60)}…` : text} (${row.id})` : row.id;
}

export function WorkerRunForm({ workerId, onStarted }: { workerId: string; onStarted(run: Run): void }) {
  const [tables, setTables] = useState<Table[]>([]);
  const [tableId, setTableId] = useState('');
  const [rows, setRows] = useState<Row[]>([]);
  const [rowId, setRowId] = useState('');
  const [prompt, setPrompt] = useState('');
  const [dryRun, setDryRun] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    void must(api.GET('/v1/tables')).then(
      (r) => {
        setTables(r.data);
        if (r.data[0]) setTableId((t) => t || r.data[0]!.id);
      },
      () => undefined,
    );
  }, []);
  useEffect(() => {
    setRows([]);
    if (!tableId) return;
    let stop = false;
    void must(api.GET('/v1/tables/{table_id}/rows', { params: { path: { table_id: tableId }, query: { limit: ROWS } } })).then(
      (p) => {
        if (stop) return;
        setRows(p.data);
        setRowId((r) => (p.data.some((x) => x.id === r) ? r : (p.data[0]?.id ?? '')));
      },
      () => undefined,
    );
    return () => {
      stop = true;
    };
  }, [tableId]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const res = await must(
        api.POST('/v1/workers/{worker_id}/runs', {
          params: { path: { worker_id: workerId } },
          body: { subject: { table_id: tableId, row_id: rowId }, ...(prompt.trim() ? { prompt } : {}), mode: dryRun ? 'dry_run' : 'live' },
        }),
      );
      setNotice(res.output_notice?.message ?? null);
      onStarted(res.run);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const field = errorField(error);
  return (
    <form className="form run-worker" aria-label="Run this worker" onSubmit={(e) => void submit(e)} noValidate>
      <fieldset>
        <legend>Run on a row</legend>
        <div className="form-row">
          <label>
            Table
            <select
              aria-label="Subject table"
              value={tableId}
              onChange={(e) => setTableId(e.target.value)}
              aria-invalid={field === 'subject.table_id'}
              disabled={busy}
            >
              {tables.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Row
            <select aria-label="Subject row" value={rowId} onChange={(e) => setRowId(e.target.value)} aria-invalid={field === 'subject.row_id'} disabled={busy}>
              {rows.map((r) => (
                <option key={r.id} value={r.id}>
                  {rowLabel(r, tables.find((t) => t.id === tableId)?.label_column ?? null)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label className="block">
          Prompt (optional)
          <textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={2} maxLength={20000} disabled={busy} />
        </label>
        <label className="inline">
          <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} disabled={busy} /> Dry run (tools offered, no write executed)
        </label>
        <ErrorBox error={error} title={field ? `Could not start the run (${field})` : 'Could not start the run'} />
        {notice ? (
          <p className="notice small" role="status" data-testid="output-notice">
            {notice}
          </p>
        ) : null}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !tableId || !rowId}>
            {busy ? 'Starting…' : 'Run'}
          </button>
        </div>
      </fieldset>
    </form>
  );
}
