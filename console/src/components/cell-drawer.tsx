/**
 * One table cell in a side drawer (`GET /v1/tables/{id}/cells/{row}/{column}`): status, the
 * whole value, the inputs the producer got, the error, and provenance (the run and item that
 * wrote it, attempts, when), plus the item's attempts (`GET /v1/runs/{run}/items/{item}`).
 * Escape or Close closes it and returns focus to the cell that opened it.
 */
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api, must, type Schemas } from '../api/client';
import { shownJson, time } from './format';
import { AttemptsTable } from './attempts-table';
import { useDrawerFocus } from './use-drawer-focus';
import { Clip, ErrorBox, LongText, StatusChip } from './ui';

type Cell = Schemas['Cell'];
type ItemDetail = Schemas['ItemDetail'];

export function CellDrawer(props: { tableId: string; rowId: string; rowLabel: string; column: string; version: number; onClose(): void }) {
  const { tableId, rowId, column, version, onClose } = props;
  const [cell, setCell] = useState<Cell | null>(null);
  const [detail, setDetail] = useState<ItemDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const heading = useDrawerFocus(onClose);

  useEffect(() => {
    let stop = false;
    must(api.GET('/v1/tables/{table_id}/cells/{row_id}/{column}', { params: { path: { table_id: tableId, row_id: rowId, column } } }))
      .then(async (c) => {
        if (stop) return;
        setCell(c);
        setError(null);
        const d = await must(api.GET('/v1/runs/{run_id}/items/{item_id}', { params: { path: { run_id: c.run_id, item_id: c.item_id } } })).catch(() => null);
        if (!stop) setDetail(d);
      })
      .catch((err: unknown) => !stop && setError(err));
    return () => {
      stop = true;
    };
  }, [tableId, rowId, column, version]);

  return (
    <aside className="drawer" role="dialog" aria-modal="false" aria-labelledby="cell-drawer-title" data-testid="cell-drawer">
      <div className="page-header">
        <h2 id="cell-drawer-title" tabIndex={-1} ref={heading} className="clip">
          {column} · {props.rowLabel}
        </h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorBox error={error} title="Could not load the cell" />
      {cell ? (
        <>
          <dl className="facts" data-testid="cell-provenance">
            <div>
              <dt>Status</dt>
              <dd>
                <StatusChip status={cell.status} />
              </dd>
            </div>
            <div>
              <dt>Attempts</dt>
              <dd>{cell.attempts}</dd>
            </div>
            <div>
              <dt>Written by run</dt>
              <dd>
                <Link to={`/runs/${cell.run_id}`} className="clip mono">
                  {cell.run_id}
                </Link>
              </dd>
            </div>
            <div>
              <dt>Item</dt>
              <dd>
                <Clip className="mono" text={cell.item_id} />
              </dd>
            </div>
            <div>
              <dt>Updated</dt>
              <dd>{time(cell.updated_at)}</dd>
            </div>
            <div>
              <dt>Column</dt>
              <dd>
                <Clip text={cell.column_name} />
              </dd>
            </div>
          </dl>
          {cell.error ? (
            <div className="error-box" role="alert" data-testid="cell-error">
              <strong>{cell.error.code}</strong>
              {cell.error.retryable ? ' (retryable)' : ' (not retryable)'}: <LongText text={cell.error.message} limit={1000} />
            </div>
          ) : null}
          <h3>Value</h3>
          <pre data-testid="cell-value">{cell.value === null || cell.value === undefined ? '—' : shownJson(cell.value)}</pre>
          <h3>Inputs</h3>
          <pre data-testid="cell-inputs">{cell.inputs === null ? '—' : shownJson(cell.inputs)}</pre>
          <h3>Attempts</h3>
          {detail ? <AttemptsTable attempts={detail.attempts} testId="cell-attempts" /> : <p className="muted">Loading…</p>}
        </>
      ) : error ? null : (
        <p className="muted">Loading…</p>
      )}
    </aside>
  );
}
