/**
 * A page of a table's rows with every column's cell as a status chip plus a value preview
 * (`GET /v1/tables/{id}/grid`, {@link PAGE} rows per page, Previous / Next by cursor). Run
 * columns come first, then the row's fields. Rows have a fixed height and cells a fixed width,
 * so live updates (`version` changes) redraw in place without moving anything. A cell that has
 * run is a button that opens it in the cell drawer; with `onOpenRow`, a row's number is a button
 * that opens the row (its fields and comments), and `selectedRow` marks the open one.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, must, type Schemas } from '../api/client';
import { CellDrawer } from './cell-drawer';
import { ErrorBox, StatusChip } from './ui';

type GridPage = Schemas['GridPage'];
type Preview = Schemas['Preview'];

/** Rows per page. */
export const PAGE = 50;
const FIELD_PX = 150;
const COLUMN_PX = 200;
const NUM_PX = 56;

const shown = (p: Preview | null | undefined) => (p ? (p.truncated ? `${p.text}…` : p.text) : '');

export function TableGrid({
  tableId,
  fields,
  version,
  onColumns,
  onOpenRow,
  onRows,
  selectedRow,
}: {
  tableId: string;
  fields: string[];
  version: number;
  onColumns?(c: GridPage['columns']): void;
  /** Opens a row (its number becomes a button). */
  onOpenRow?(rowId: string): void;
  /** The rows of the page in view, each time it loads. */
  onRows?(rows: GridPage['data']): void;
  selectedRow?: string | null;
}) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  // The last page loaded and the pager position it was loaded for: until the page of the
  // current position arrives, the range says "Loading rows…" and Next waits (a second click
  // would push the same cursor again and label old rows with the new range).
  const [loaded, setLoaded] = useState<{ at: number; page: GridPage } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<{ rowId: string; rowLabel: string; column: string } | null>(null);
  const generation = useRef(0);
  const at = cursors.length - 1;
  const cursor = cursors[at];
  const page = loaded?.page ?? null;
  const current = loaded && loaded.at === at ? loaded.page : null;
  const onColumnsRef = useRef(onColumns);
  onColumnsRef.current = onColumns;
  const onRowsRef = useRef(onRows);
  onRowsRef.current = onRows;

  const load = useCallback(async () => {
    const gen = ++generation.current;
    try {
      const p = await must(
        api.GET('/v1/tables/{table_id}/grid', { params: { path: { table_id: tableId }, query: { limit: PAGE, ...(cursor ? { cursor } : {}) } } }),
      );
      if (gen !== generation.current) return;
      setLoaded({ at, page: p });
      setError(null);
      onColumnsRef.current?.(p.columns);
      onRowsRef.current?.(p.data);
    } catch (err) {
      if (gen === generation.current) setError(err);
    }
  }, [tableId, cursor, at]);

  useEffect(() => {
    void load();
  }, [load, version]);
  // A new page starts at its top.
  const wrap = useRef<HTMLDivElement>(null);
  useEffect(() => {
    wrap.current?.scrollTo({ top: 0 });
  }, [cursor]);

  const close = useCallback(() => setOpen(null), []);
  const columns = page?.columns ?? [];
  const width = NUM_PX + columns.length * COLUMN_PX + fields.length * FIELD_PX;
  const first = at * PAGE;

  return (
    <div>
      <ErrorBox error={error} title="Could not load rows" />
      <div ref={wrap} className="table-wrap data-grid-wrap" role="region" aria-label="Rows" tabIndex={0} data-testid="table-grid">
        <table className="grid data-grid" style={{ width, minWidth: '100%' }}>
          <colgroup>
            <col style={{ width: NUM_PX }} />
            {columns.map((c) => (
              <col key={c.id} style={{ width: COLUMN_PX }} />
            ))}
            {fields.map((f) => (
              <col key={f} style={{ width: FIELD_PX }} />
            ))}
          </colgroup>
          <thead>
            <tr>
              <th className="num">#</th>
              {columns.map((c) => (
                <th key={c.id} className="run-col" title={`${c.name} (${c.producer})`}>
                  {c.name}
                </th>
              ))}
              {fields.map((f) => (
                <th key={f} title={f}>
                  {f}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {page?.data.map((row) => {
              const rowLabel = `row ${row.ordinal + 1}`;
              return (
                <tr key={row.id} data-row-id={row.id} className={selectedRow === row.id ? 'selected' : undefined}>
                  <td className="num mono">
                    {onOpenRow ? (
                      <button type="button" className="link" onClick={() => onOpenRow(row.id)} aria-label={`Open ${rowLabel}: fields and comments`}>
                        {row.ordinal + 1}
                      </button>
                    ) : (
                      row.ordinal + 1
                    )}
                  </td>
                  {columns.map((c) => {
                    const cell = row.cells[c.id];
                    return (
                      <td key={c.id} className="cell">
                        {cell ? (
                          <button
                            type="button"
                            className="cell-button"
                            data-column={c.name}
                            onClick={() => setOpen({ rowId: row.id, rowLabel, column: c.name })}
                            aria-label={`${c.name}, ${rowLabel}: ${cell.status.replace(/_/g, ' ')}. Open cell`}
                            title={cell.error_code ?? shown(cell.value)}
                          >
                            <StatusChip status={cell.status} />
                            <span className="clip">{cell.error_code ?? shown(cell.value)}</span>
                          </button>
                        ) : (
                          <span className="muted small">not run</span>
                        )}
                      </td>
                    );
                  })}
                  {fields.map((f) => {
                    const text = shown(row.data[f]);
                    return (
                      <td key={f} title={text}>
                        <span className="clip">{text}</span>
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div className="pager">
        <button type="button" onClick={() => setCursors((c) => c.slice(0, -1))} disabled={at === 0}>
          Previous page
        </button>
        <span className="muted small" data-testid="row-range" aria-live="polite">
          {current ? (current.data.length ? `Rows ${first + 1}–${first + current.data.length}` : 'No rows') : 'Loading rows…'}
        </span>
        <button
          type="button"
          onClick={() => current?.next_cursor && setCursors((c) => (c.length - 1 === at ? [...c, current.next_cursor ?? undefined] : c))}
          disabled={!current?.next_cursor}
        >
          Next page
        </button>
      </div>
      {open ? <CellDrawer tableId={tableId} rowId={open.rowId} rowLabel={open.rowLabel} column={open.column} version={version} onClose={close} /> : null}
    </div>
  );
}
