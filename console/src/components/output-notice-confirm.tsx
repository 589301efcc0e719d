/**
 * The confirmation of a rerun or a retry (issue 14 item 6: "rerun and retry say what will happen
 * to the existing output before starting"). For a worker run it reads `GET
 * /v1/runs/{id}/output-notice` when it opens and says, before anything starts, what the new
 * attempt does to the output an earlier run left on the subject — *An earlier output exists: it
 * will be replaced* (or kept, or another one added). Confirm stays disabled until the notice
 * is read; when it cannot be read, the dialog says so and still lets the person go on. Other
 * kinds have no output notice: the dialog shows only `lead`.
 */
import { useEffect, useState } from 'react';
import { api, errorMessage, must, type Run, type Schemas } from '../api/client';
import { Confirm } from './ui';

type Notice = Schemas['OutputNotice'];

/** "an earlier output exists: …" → "An earlier output exists: …". */
const sentence = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

export function OutputNoticeConfirm({
  run,
  action,
  lead,
  onConfirm,
  onCancel,
}: {
  run: Run;
  /** Which action is being confirmed; null keeps the dialog closed. */
  action: 'rerun' | 'retry' | null;
  /** What the action does, before the output notice. */
  lead: string;
  onConfirm(): void;
  onCancel(): void;
}) {
  const worker = run.kind === 'worker';
  const [state, setState] = useState<{ notice: Notice | null; error: string | null } | null>(null);
  useEffect(() => {
    setState(null);
    if (action === null || !worker) return;
    let stop = false;
    must(api.GET('/v1/runs/{run_id}/output-notice', { params: { path: { run_id: run.id } } })).then(
      (r) => !stop && setState({ notice: r.output_notice, error: null }),
      (err: unknown) => !stop && setState({ notice: null, error: errorMessage(err) }),
    );
    return () => {
      stop = true;
    };
  }, [action, worker, run.id]);
  const label = action === 'retry' ? 'Retry failed' : 'Rerun';
  return (
    <Confirm
      open={action !== null}
      title={action === 'retry' ? 'Retry the failed items?' : 'Rerun this run?'}
      message={
        <>
          <p>{lead}</p>
          {worker ? (
            <p className={state?.notice?.exists ? 'waiting' : 'small'} data-testid="confirm-output-notice" aria-live="polite">
              {state === null
                ? 'Checking the output an earlier run left…'
                : state.notice
                  ? `${sentence(state.notice.message)}.`
                  : `Could not tell what happens to an earlier output: ${state.error ?? 'no answer'}.`}
            </p>
          ) : null}
        </>
      }
      confirmLabel={label}
      confirmDisabled={worker && state === null}
      onConfirm={onConfirm}
      onCancel={onCancel}
    />
  );
}

/**
 * One worker run's output notice as a line of a list (the Runs page's bulk retry confirmation):
 * read when shown, `GET /v1/runs/{id}/output-notice`; nothing for a run it does not apply to.
 */
export function OutputNoticeLine({ runId }: { runId: string }) {
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    let stop = false;
    must(api.GET('/v1/runs/{run_id}/output-notice', { params: { path: { run_id: runId } } })).then(
      (r) => !stop && setText(r.output_notice ? `${sentence(r.output_notice.message)}.` : ''),
      (err: unknown) => !stop && setText(`Could not tell what happens to an earlier output: ${errorMessage(err)}.`),
    );
    return () => {
      stop = true;
    };
  }, [runId]);
  if (text === '') return null;
  return (
    <span className="small" data-testid="confirm-output-notice">
      {' '}
      — {text ?? 'checking the output an earlier run left…'}
    </span>
  );
}
