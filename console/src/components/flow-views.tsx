/**
 * A flow run's views (issue 13 item 5), fed by {@link useFlowRun}: the run's pinned definition
 * (`GET /v1/flows/{target_id}?version=`), its first 1,000 items — one per executed step
 * (`GET /v1/runs/{id}/items`) — and its waits (`GET /v1/waits?run_id=`), re-read whenever the
 * run page's event stream says something happened.
 * - **Progress**: every step of the definition in order, completed ones checked, the current
 *   one highlighted (`aria-current="step"`) with its tool's inputs and how long it has run; loop
 *   progress; the run's variables (`output.vars`; secret-looking names and redacted values masked).
 * - **Results**: each executed step's status, time, attempts, credits, inputs, outputs and error;
 *   the final outcome, result summary and result.
 * - **Timeline**: the duration breakdown, then steps started and finished and waits opened and
 *   answered (by whom), in time order.
 */
import { useEffect, useState } from 'react';
import { api, isTerminal, must, type Item, type Run, type Schemas } from '../api/client';
import { BreakdownView } from './breakdown';
import { credits, duration, jsonText, shownJson, time } from './format';
import { answerText, type Wait } from './wait-form';
import { Clip, ErrorBox, StatusChip } from './ui';

/** A step of a definition, as far as the views need it. */
interface StepDef {
  id: string;
  type: string;
  phase?: string;
  producer?: string;
  title?: string;
  step?: { producer?: string };
}
interface FlowDef {
  phases?: string[];
  steps?: StepDef[];
}

/** Steps (items) read per run. */
const ITEMS_READ = 1000;
/** Variable names whose values the views never show. */
const SECRET_NAME = /secret|passw|token|api[_-]?key|credential|private/i;

export interface FlowRunData {
  def: FlowDef | null;
  items: Item[];
  waits: Wait[];
  error: unknown;
}

/** Loads (and re-loads on `version`) what the flow views show. */
export function useFlowRun(run: Run, version: number): FlowRunData {
  const [def, setDef] = useState<FlowDef | null>(null);
  const [items, setItems] = useState<Item[]>([]);
  const [waits, setWaits] = useState<Wait[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stop = false;
    must(api.GET('/v1/flows/{flow_id}', { params: { path: { flow_id: run.target_id }, query: { version: run.target_version } } })).then(
      (f) => !stop && setDef(f.definition as FlowDef),
      (err: unknown) => !stop && setError(err),
    );
    return () => {
      stop = true;
    };
  }, [run.target_id, run.target_version]);
  useEffect(() => {
    let stop = false;
    Promise.all([
      must(api.GET('/v1/runs/{run_id}/items', { params: { path: { run_id: run.id }, query: { limit: ITEMS_READ } } })),
      must(api.GET('/v1/waits', { params: { query: { run_id: run.id, limit: 500 } } })),
    ]).then(
      ([i, w]) => {
        if (stop) return;
        setItems(i.data);
        setWaits(w.data);
        setError(null);
      },
      (err: unknown) => !stop && setError(err),
    );
    return () => {
      stop = true;
    };
  }, [run.id, version]);
  return { def, items, waits, error };
}

const itemsOf = (items: Item[], id: string) => items.filter((i) => i.key === id || i.key.startsWith(`${id}[`));
const ACTIVE = new Set(['pending', 'running', 'retrying', 'waiting_for_input']);

type StepState = 'done' | 'failed' | 'current' | 'waiting' | 'passed_over' | 'not_reached';

function stateOf(mine: Item[], laterRan: boolean, run: Run): StepState {
  if (mine.some((i) => i.status === 'waiting_for_input')) return 'waiting';
  if (mine.some((i) => ACTIVE.has(i.status))) return 'current';
  if (mine.length === 0) return laterRan || isTerminal(run.status) ? 'passed_over' : 'not_reached';
  if (mine.some((i) => i.status === 'failed')) return 'failed';
  return 'done';
}

const MARK: Record<StepState, string> = { done: '✓', failed: '✗', current: '→', waiting: '?', passed_over: '–', not_reached: '○' };
const WORDS: Record<StepState, string> = {
  done: 'done',
  failed: 'failed',
  current: 'running',
  waiting: 'waiting for input',
  passed_over: 'passed over',
  not_reached: 'not reached yet',
};

/** A variable's value for display: masked when its name or value says it is a secret. */
export function shownVar(name: string, value: unknown): string {
  const text = jsonText(value);
  return SECRET_NAME.test(name) || text.includes('[REDACTED]') ? '••••••' : text;
}

export function FlowProgress({ run, data }: { run: Run; data: FlowRunData }) {
  const steps = data.def?.steps ?? [];
  const vars = ((run.output as { vars?: Record<string, unknown> } | null)?.vars ?? {}) as Record<string, unknown>;
  if (data.error) return <ErrorBox error={data.error} title="Could not load the flow" />;
  if (!data.def) return <p className="muted">Loading the flow…</p>;
  const ran = steps.map((s) => itemsOf(data.items, s.id).length > 0);
  return (
    <div data-testid="flow-progress">
      {data.def.phases && data.def.phases.length > 0 ? (
        <p className="phases small" aria-label="Phases">
          {data.def.phases.map((p) => (
            <span key={p} className={`badge${p === run.phase ? ' phase-current' : ''}`} aria-current={p === run.phase ? 'step' : undefined}>
              {p.replace(/_/g, ' ')}
            </span>
          ))}
        </p>
      ) : null}
      <ol className="flow-steps">
        {steps.map((s, n) => {
          const mine = itemsOf(data.items, s.id);
          const st = stateOf(mine, ran.slice(n + 1).some(Boolean), run);
          const live = mine.find((i) => i.status === 'running');
          const loop = s.type === 'for_each' && mine.length > 0;
          return (
            <li
              key={s.id}
              className={`flow-step step-${st}`}
              data-step={s.id}
              data-state={st}
              aria-current={st === 'current' || st === 'waiting' ? 'step' : undefined}
            >
              <span className="step-mark" aria-hidden="true">
                {MARK[st]}
              </span>
              <span className="step-body">
                <span className="step-title">
                  <strong className="clip">{s.id}</strong>
                  <span className="badge">{s.type}</span>
                  {s.phase ? <span className="small muted">{s.phase.replace(/_/g, ' ')}</span> : null}
                  <span className="small step-state">{WORDS[st]}</span>
                </span>
                {loop ? (
                  <span className="small muted">
                    {mine.filter((i) => i.status === 'succeeded').length} of {mine.length} iterations started so far done
                  </span>
                ) : null}
                {live ? (
                  <span className="small live-tool" data-testid="live-tool">
                    {live.provider ?? s.producer ?? s.step?.producer ?? 'tool'} running for{' '}
                    {duration(live.started_at ? Date.now() - Date.parse(live.started_at) : null)}: <Clip text={jsonText(live.inputs)} className="mono" />
                  </span>
                ) : null}
              </span>
            </li>
          );
        })}
      </ol>
      <h2>Variables</h2>
      {Object.keys(vars).length === 0 ? (
        <p className="muted small">No variables yet.</p>
      ) : (
        <dl className="facts" data-testid="flow-vars">
          {Object.entries(vars).map(([k, v]) => (
            <div key={k} data-var={k}>
              <dt>{k}</dt>
              <dd>
                <Clip text={shownVar(k, v)} className="mono" />
              </dd>
            </div>
          ))}
        </dl>
      )}
    </div>
  );
}

export function FlowResults({ run, data }: { run: Run; data: FlowRunData }) {
  if (data.error) return <ErrorBox error={data.error} title="Could not load the steps" />;
  const result = (run.output as { result?: unknown } | null)?.result;
  return (
    <div data-testid="flow-results">
      <h2>Outcome</h2>
      <p data-testid="flow-outcome">
        <StatusChip status={run.status} />{' '}
        {run.result_summary ? <span className="wrap">{run.result_summary}</span> : <span className="muted">no summary yet</span>}
      </p>
      {result !== undefined && result !== null ? <pre className="definition small">{shownJson(result)}</pre> : null}
      <h2>Steps{data.items.length >= ITEMS_READ ? ` (first ${ITEMS_READ})` : ''}</h2>
      {data.items.length === 0 ? <p className="muted">No step has run yet.</p> : null}
      <ol className="flow-results">
        {data.items.map((i) => (
          <li key={i.id} data-step={i.key} className="flow-result">
            <div className="step-title">
              <strong className="clip">{i.key}</strong>
              <StatusChip status={i.status} />
              <span className="small">
                {duration(i.duration_ms)} · {i.attempt_count} attempt{i.attempt_count === 1 ? '' : 's'} · {credits(i.credits_used)} credits
              </span>
            </div>
            <div className="small muted">
              {i.provider ? `${i.provider} · ` : ''}started {time(i.started_at)} · finished {time(i.finished_at)}
            </div>
            {data.waits
              .filter((w) => w.item_id === i.id)
              .map((w) => (
                <div className="small" key={w.id} data-testid="step-wait">
                  wait {w.status === 'open' ? `open for ${duration(w.age_ms)}` : `of ${duration(w.age_ms)}, ${answerText(w)}`}
                </div>
              ))}
            {i.error ? (
              <div className="error-box small">
                <strong>{i.error.code}</strong>: <span className="wrap">{i.error.message}</span>
              </div>
            ) : null}
            <details>
              <summary>Inputs</summary>
              <pre className="definition small">{shownJson(i.inputs)}</pre>
            </details>
            <details open={i.status === 'succeeded'}>
              <summary>Outputs</summary>
              <pre className="definition small" data-testid="step-outputs">
                {shownJson(i.outputs)}
              </pre>
            </details>
          </li>
        ))}
      </ol>
    </div>
  );
}

type Entry = { at: number; text: string; who?: string; kind: string };

export function FlowTimeline({ run, data, version }: { run: Run; data: FlowRunData; version: number }) {
  const [tl, setTl] = useState<Schemas['Timeline'] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stop = false;
    must(api.GET('/v1/runs/{run_id}/timeline', { params: { path: { run_id: run.id }, query: { limit: 1 } } })).then(
      (t) => !stop && (setTl(t), setError(null)),
      (err: unknown) => !stop && setError(err),
    );
    return () => {
      stop = true;
    };
  }, [run.id, version]);
  const entries: Entry[] = [{ at: Date.parse(run.created_at), text: 'run created', kind: 'run' }];
  if (run.started_at) entries.push({ at: Date.parse(run.started_at), text: 'run started', kind: 'run' });
  for (const i of data.items) {
    if (i.started_at) entries.push({ at: Date.parse(i.started_at), text: `step ${i.key} started`, kind: 'step' });
    if (i.finished_at) entries.push({ at: Date.parse(i.finished_at), text: `step ${i.key} ${i.status} after ${i.attempt_count} attempt(s)`, kind: 'step' });
  }
  for (const w of data.waits) {
    entries.push({ at: Date.parse(w.created_at), text: `wait opened: ${w.title ?? w.step_id}`, kind: 'wait' });
    if (w.closed_at) entries.push({ at: Date.parse(w.closed_at), text: `wait ${w.title ?? w.step_id} ${answerText(w)}`, kind: 'wait' });
  }
  if (run.finished_at) entries.push({ at: Date.parse(run.finished_at), text: `run ${run.status}`, kind: 'run' });
  entries.sort((a, b) => a.at - b.at);
  return (
    <div data-testid="flow-timeline">
      <h2>Duration breakdown</h2>
      {error ? (
        <ErrorBox error={error} title="Could not load the timeline" />
      ) : tl ? (
        <BreakdownView breakdown={tl.breakdown} />
      ) : (
        <p className="muted">Loading…</p>
      )}
      <h2>What happened</h2>
      <ol className="events flow-timeline">
        {entries.map((e, n) => (
          <li key={n} className={`tl-${e.kind}`}>
            <span className="small muted">{time(new Date(e.at).toISOString())}</span> <span className="wrap">{e.text}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
