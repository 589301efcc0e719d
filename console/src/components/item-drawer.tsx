/** One item in a side drawer: status, inputs, outputs, error and attempts. Escape closes it. */
import { useEffect, useState } from 'react';
import { api, must, type Schemas } from '../api/client';
import { credits, duration, shownJson } from './format';
import { AttemptsTable } from './attempts-table';
import { useDrawerFocus } from './use-drawer-focus';
import { Clip, ErrorBox, LongText, StatusChip } from './ui';

type ItemDetail = Schemas['ItemDetail'];

export function ItemDrawer({ runId, itemId, version, onClose }: { runId: string; itemId: string; version: number; onClose(): void }) {
  const [detail, setDetail] = useState<ItemDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const heading = useDrawerFocus(onClose);

  useEffect(() => {
    let stop = false;
    must(api.GET('/v1/runs/{run_id}/items/{item_id}', { params: { path: { run_id: runId, item_id: itemId } } })).then(
      (d) => !stop && (setDetail(d), setError(null)),
      (err: unknown) => !stop && setError(err),
    );
    return () => {
      stop = true;
    };
  }, [runId, itemId, version]);

  const item = detail?.item;
  return (
    <aside className="drawer" role="dialog" aria-modal="false" aria-labelledby="drawer-title" data-testid="item-drawer">
      <div className="page-header">
        <h2 id="drawer-title" tabIndex={-1} ref={heading}>
          Item {item ? item.ordinal : ''}
        </h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorBox error={error} title="Could not load the item" />
      {item ? (
        <>
          <dl className="facts">
            <div>
              <dt>Status</dt>
              <dd>
                <StatusChip status={item.status} />
              </dd>
            </div>
            <div>
              <dt>Key</dt>
              <dd>
                <Clip text={item.key} />
              </dd>
            </div>
            {item.label ? (
              <div>
                <dt>Record</dt>
                <dd data-testid="item-record">
                  <Clip text={item.label} />
                </dd>
              </div>
            ) : null}
            <div>
              <dt>Attempts</dt>
              <dd>
                {item.attempt_count} of {item.max_attempts}
                {item.lease_lost_count > 0 ? ` (and ${item.lease_lost_count} of ${item.max_lease_losses} leases lost by a live node, not counted)` : ''}
              </dd>
            </div>
            <div>
              <dt>Duration</dt>
              <dd>{duration(item.duration_ms)}</dd>
            </div>
            <div>
              <dt>Credits</dt>
              <dd>{credits(item.credits_used)}</dd>
            </div>
            <div>
              <dt>Item id</dt>
              <dd>
                <Clip className="mono" text={item.id} />
              </dd>
            </div>
          </dl>
          {item.error ? (
            <div className="error-box" role="alert" data-testid="item-error">
              <strong>{item.error.code}</strong>
              {item.error.retryable ? ' (retryable)' : ' (not retryable)'}: <LongText text={item.error.message} limit={1000} />
            </div>
          ) : null}
          <h3>Inputs</h3>
          <pre data-testid="item-inputs">{shownJson(item.inputs)}</pre>
          <h3>Outputs</h3>
          <pre data-testid="item-outputs">{item.outputs === null ? '—' : shownJson(item.outputs)}</pre>
          <h3>Attempts</h3>
          <AttemptsTable attempts={detail.attempts} />
        </>
      ) : error ? null : (
        <p className="muted">Loading…</p>
      )}
    </aside>
  );
}
