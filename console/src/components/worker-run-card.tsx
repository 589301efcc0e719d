/**
 * One AI worker run as a card (issue 14 item 7): status, created time, the linked task (the
 * subject row, a link that opens the row and its comments on the table page), the output
 * preview and what happened to it, tokens, cost, and the error with a hint drawn from the
 * seed's troubleshooting order (record gone, context source missing, category not allowed,
 * provider unavailable). A checkbox picks the card for a side-by-side comparison. **Rerun** and
 * (a finished run with failed items) **Retry failed** ask the page to confirm first: the page's
 * confirmation (components/output-notice-confirm.tsx) says what happens to the output.
 */
import { Link } from 'react-router';
import type { Run } from '../api/client';
import { count, credits, time } from './format';
import { Clip, LongText, StatusChip } from './ui';

/** What a worker run's `subject` holds (`{type: "row", id, table_id, url}`). */
export interface RowSubject {
  type: string;
  id: string;
  table_id: string;
  url: string;
  /** The row's label (its table's label field, else its first text field); null: none. */
  label: string | null;
}

/** The parts of a worker run's `output` a card shows (docs/workers.md). */
interface WorkerOutput {
  context?: { name: string; type: string; missing?: string }[];
  tokens?: { input: number; output: number };
  steps?: number;
  tool_calls?: number;
  output?: { location: unknown; action: string | null; preview: string } | null;
}

/** The run's subject row, or null when the run has none. */
export function subjectOf(run: Run): RowSubject | null {
  const s = run.subject as Partial<RowSubject> | null | undefined;
  return s && typeof s.id === 'string' && typeof s.table_id === 'string'
    ? { type: s.type ?? 'row', id: s.id, table_id: s.table_id, url: s.url ?? '', label: typeof s.label === 'string' ? s.label : null }
    : null;
}

/** The subject row's page: the table with the row (and its comments) open. */
export const rowLink = (s: RowSubject) => `/tables/${encodeURIComponent(s.table_id)}?row=${encodeURIComponent(s.id)}`;

const outputOf = (run: Run): WorkerOutput => (run.output && typeof run.output === 'object' ? (run.output as WorkerOutput) : {});

const PROVIDER_CODES = /^llm_(rate_limited|provider_error|network|auth_failed|api_key_missing|http_)/;

/**
 * A hint for a failed run, in the seed's troubleshooting order: the linked record is gone, a
 * context source is missing, a tool category is not allowed, the provider is unavailable.
 * Null when none applies (or the run has no error and lacks no context).
 */
export function troubleshootingHint(run: Run): string | null {
  const err = run.error;
  const text = `${err?.code ?? ''} ${err?.message ?? ''}`;
  const missing = (outputOf(run).context ?? []).filter((c) => c.missing);
  if (err && /row_not_found|table_not_found|has no row|no table/.test(text))
    return 'The linked record is gone: the subject row (or its table) no longer exists. Run the worker on a row that exists.';
  if (missing.length)
    return `A context source is missing: ${missing.map((c) => `${c.name} (${c.missing ?? ''})`).join(', ')}. The model ran without it; restore the table or edit the worker's sources.`;
  if (!err) return null;
  if (/refused_category|worker_tool_call_limit/.test(text))
    return "A tool category is not allowed: the model asked for tools outside the worker's categories (refusals are items of the run). Allow the category or change the instructions.";
  if (PROVIDER_CODES.test(err.code))
    return 'The provider is unavailable or refused the call (rate limit, server error, network or key). Check the model settings and the provider, then retry.';
  return 'Open the run to see the item that failed.';
}

const TERMINAL = ['succeeded', 'partial', 'failed', 'canceled'];

export function WorkerRunCard({
  run,
  picked,
  onPick,
  onAction,
}: {
  run: Run;
  picked: boolean;
  onPick(on: boolean): void;
  /** Rerun or retry asked for (operator); absent: no buttons. */
  onAction?: (action: 'rerun' | 'retry') => void;
}) {
  const s = subjectOf(run);
  const o = outputOf(run);
  const hint = TERMINAL.includes(run.status) || run.error ? troubleshootingHint(run) : null;
  return (
    <li className="run-card" data-run-id={run.id} data-status={run.status} aria-label={`Run ${run.id}: ${run.status.replace(/_/g, ' ')}`}>
      <div className="run-card-head">
        <StatusChip status={run.status} />
        {run.mode !== 'live' ? <span className={`badge badge-${run.mode}`}>{run.mode.replace(/_/g, ' ')}</span> : null}
        <Link to={`/runs/${run.id}`} className="clip mono small">
          {run.id}
        </Link>
        <label className="inline small pick">
          <input type="checkbox" checked={picked} onChange={(e) => onPick(e.target.checked)} aria-label={`Compare run ${run.id}`} />
          Compare
        </label>
      </div>
      {run.waiting_reason ? <p className="waiting">{run.waiting_reason.message}</p> : null}
      <dl className="facts">
        <div>
          <dt>Created</dt>
          <dd>{time(run.created_at)}</dd>
        </div>
        <div>
          <dt>Linked task</dt>
          <dd>
            {s ? (
              <Link to={rowLink(s)} className="clip" data-testid="linked-row" title={`row ${s.id}`}>
                {s.label ?? `row ${s.id}`}
              </Link>
            ) : (
              '—'
            )}
          </dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd>{o.tokens ? `${count(o.tokens.input)} in · ${count(o.tokens.output)} out` : '—'}</dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{credits(run.credits_used)} credits</dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd>v{run.target_version}</dd>
        </div>
      </dl>
      {o.output ? (
        <div className="run-card-output" data-testid="output-preview">
          <span className="small muted">Output{o.output.action ? ` (${o.output.action.replace(/_/g, ' ')})` : ''}: </span>
          <Clip text={o.output.preview} />
        </div>
      ) : null}
      {run.error ? (
        <div className="error-box" role="alert" data-testid="run-error">
          <strong>{run.error.code}</strong>: <LongText text={run.error.message} limit={300} />
        </div>
      ) : null}
      {hint ? (
        <p className="hint small" data-testid="run-hint">
          {hint}
        </p>
      ) : null}
      {onAction && TERMINAL.includes(run.status) ? (
        <div className="actions small">
          <button type="button" onClick={() => onAction('rerun')}>
            Rerun
          </button>
          {run.items_failed > 0 ? (
            <button type="button" onClick={() => onAction('retry')}>
              Retry failed
            </button>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}
