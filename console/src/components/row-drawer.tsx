/**
 * One table row in a side drawer (issue 14 item 3): its fields (when the grid page in view holds
 * it) and its comments, oldest first (`GET /v1/tables/{id}/rows/{row}/comments`): author, when,
 * the body, and the run that wrote or last updated it (a worker's `task_comment` output). A row
 * that no longer exists says so (the API's 404). Re-read when `version` changes (live).
 * Escape or Close closes it and returns focus to what opened it.
 */
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { ApiError, api, must, type Schemas } from '../api/client';
import { time } from './format';
import { useDrawerFocus } from './use-drawer-focus';
import { ErrorBox, LongText } from './ui';

type RowComment = Schemas['RowComment'];
type Preview = Schemas['Preview'];

/** Comments read per row. */
const LIMIT = 100;

export function RowDrawer(props: { tableId: string; rowId: string; data?: Record<string, Preview> | null; version: number; onClose(): void }) {
  const { tableId, rowId, version, onClose } = props;
  const [comments, setComments] = useState<RowComment[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const heading = useDrawerFocus(onClose);

  useEffect(() => {
    let stop = false;
    must(api.GET('/v1/tables/{table_id}/rows/{row_id}/comments', { params: { path: { table_id: tableId, row_id: rowId }, query: { limit: LIMIT } } })).then(
      (p) => {
        if (stop) return;
        setComments(p.data);
        setMore(p.next_cursor !== null);
        setError(null);
      },
      (err: unknown) => !stop && setError(err),
    );
    return () => {
      stop = true;
    };
  }, [tableId, rowId, version]);

  const gone = error instanceof ApiError && error.status === 404;
  return (
    <aside className="drawer" role="dialog" aria-modal="false" aria-labelledby="row-drawer-title" data-testid="row-drawer">
      <div className="page-header">
        <h2 id="row-drawer-title" tabIndex={-1} ref={heading} className="clip">
          Row {rowId}
        </h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {gone ? (
        <div className="error-box" role="alert">
          This row no longer exists (the record is gone).
        </div>
      ) : (
        <ErrorBox error={error} title="Could not load the comments" />
      )}
      {props.data ? (
        <dl className="facts" data-testid="row-fields">
          {Object.entries(props.data).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd className="wrap">{v.truncated ? `${v.text}…` : v.text}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      <h3>Comments</h3>
      {comments === null ? (
        error ? null : (
          <p className="muted">Loading…</p>
        )
      ) : comments.length === 0 ? (
        <p className="muted" data-testid="no-comments">
          No comments on this row.
        </p>
      ) : (
        <ol className="comments" data-testid="row-comments">
          {comments.map((c) => (
            <li key={c.id} className="comment" data-comment-id={c.id}>
              <div className="small muted">
                <strong>{c.author}</strong> · {time(c.created_at)}
                {c.updated_at !== c.created_at ? ` · updated ${time(c.updated_at)}` : ''}
                {c.slot ? <span className="badge">{c.slot}</span> : null}
              </div>
              <div className="comment-body">
                <LongText text={c.body} limit={1200} />
              </div>
              {c.created_by_run || c.updated_by_run ? (
                <div className="small">
                  {c.created_by_run ? (
                    <>
                      written by <Link to={`/runs/${c.created_by_run}`}>{c.created_by_run}</Link>
                    </>
                  ) : null}
                  {c.updated_by_run && c.updated_by_run !== c.created_by_run ? (
                    <>
                      {' '}
                      · updated by <Link to={`/runs/${c.updated_by_run}`}>{c.updated_by_run}</Link>
                    </>
                  ) : null}
                </div>
              ) : null}
            </li>
          ))}
        </ol>
      )}
      {more ? <p className="small muted">Showing the first {LIMIT} comments.</p> : null}
    </aside>
  );
}
