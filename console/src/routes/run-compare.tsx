/**
 * `/runs/compare?a=<run>&b=<run>` (issue 14 item 8): two runs side by side from `GET
 * /v1/runs/compare` — status, duration, tokens, credits, error; for worker runs also the
 * definition version, model, tool categories, the instructions as a line diff, the subject (its
 * version then, does it still exist), the context per source (present or missing, characters,
 * hash, a diff of the text), tool calls aligned by order and name, and the output with a
 * preview diff; for runs with row items (column runs) the counts, error codes and the items
 * whose outcome differs. A row whose two sides differ is marked "differs" (not colour alone).
 */
import { useEffect, useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, must, type Schemas } from '../api/client';
import { count, credits, duration, jsonText } from '../components/format';
import { Clip, ErrorBox, PageHeader, StatusChip } from '../components/ui';

/** The answer of `GET /v1/runs/compare` (src/engine/compare.ts), as the API documents it. */
type Comparison = Schemas['RunComparison'];
type WorkerPart = NonNullable<Comparison['worker']>;
type DiffLine = Schemas['DiffLine'];
type SourceSide = WorkerPart['context'][number]['a'];
type ToolCall = NonNullable<WorkerPart['tool_calls'][number]['a']>;
type OutputSide = WorkerPart['output']['a'];

/** Micro-credits per credit: the comparison reports `credits_used` in micro-credits. */
const MICRO = 1_000_000;
const tokens = (t: { input: number; output: number }) => `${count(t.input)} in · ${count(t.output)} out`;
const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${count(v)}`)
    .join(' · ') || '—';

/** One compared fact: a label, the two sides, and a "differs" mark. */
function Row({ label, a, b, same, testId }: { label: string; a: ReactNode; b: ReactNode; same: boolean; testId?: string }) {
  return (
    <tr className={same ? undefined : 'differs'} data-testid={testId}>
      <th scope="row">
        {label}
        {same ? null : <span className="differs-mark"> differs</span>}
      </th>
      <td>{a}</td>
      <td>{b}</td>
    </tr>
  );
}

/** A line diff as text: `-` only in A, `+` only in B. */
/** A side-by-side table: a label column, then run A and run B. */
function CompareTable({ testId, children }: { testId: string; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className="grid compare" data-testid={testId}>
        <colgroup>
          <col style={{ width: 150 }} />
          <col />
          <col />
        </colgroup>
        {children}
      </table>
    </div>
  );
}

function Diff({ lines, testId }: { lines: DiffLine[]; testId?: string }) {
  if (lines.length === 0) return <p className="small muted">No difference.</p>;
  return (
    <pre className="diff small" data-testid={testId}>
      {lines.slice(0, 400).map((l, i) => (
        <span key={i} className={l.op === '-' ? 'del' : l.op === '+' ? 'ins' : undefined}>
          {`${l.op} ${l.text}\n`}
        </span>
      ))}
    </pre>
  );
}

function source(s: SourceSide): ReactNode {
  if (!s.present) return <span className="missing">missing{s.missing ? ` (${s.missing.replace(/_/g, ' ')})` : ''}</span>;
  return (
    <span>
      present · {count(s.chars ?? 0)} chars{s.truncated ? ' (cut)' : ''}
      {typeof s.rows === 'number' ? ` · ${count(s.rows)} rows` : ''} · <span className="mono">{s.hash}</span>
    </span>
  );
}

function call(c: ToolCall | null): ReactNode {
  if (!c) return <span className="muted">—</span>;
  return (
    <span>
      <strong>{c.name}</strong> <span className="badge">{jsonText(c.decision) || '—'}</span>
      <Clip className="mono small" text={jsonText(c.arguments)} />
      <Clip className="small muted" text={jsonText(c.output)} />
    </span>
  );
}

/** Where an output went, short: `comment cmt_… (slot …)`, `field status`, or the JSON as it is. */
function locationText(loc: unknown): string {
  if (!loc || typeof loc !== 'object') return jsonText(loc) || '—';
  const l = loc as Record<string, unknown>;
  if (typeof l.type !== 'string') return jsonText(loc);
  const id = typeof l.id === 'string' ? ` ${l.id}` : typeof l.field === 'string' ? ` ${l.field}` : '';
  return `${l.type}${id}${typeof l.slot === 'string' ? ` (slot ${l.slot})` : ''}`;
}

function output(o: OutputSide | null): ReactNode {
  if (!o) return <span className="muted">no output</span>;
  return (
    <span>
      {o.action ? o.action.replace(/_/g, ' ') : '—'} · <span className="small mono">{locationText(o.location)}</span>
      <Clip text={o.preview} />
    </span>
  );
}

export function RunComparePage() {
  const [sp] = useSearchParams();
  const a = sp.get('a') ?? '';
  const b = sp.get('b') ?? '';
  const [cmp, setCmp] = useState<Comparison | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setCmp(null);
    setError(null);
    if (!a || !b) return;
    let stop = false;
    must(api.GET('/v1/runs/compare', { params: { query: { a, b } } })).then(
      (r) => !stop && setCmp(r),
      (err: unknown) => !stop && setError(err),
    );
    return () => {
      stop = true;
    };
  }, [a, b]);

  const runLink = (id: string, label: string) => (
    <Link to={`/runs/${id}`} className="clip mono">
      {label}: {id}
    </Link>
  );
  return (
    <section className="compare-page">
      <PageHeader title="Compare runs" />
      {!a || !b ? <p className="notice">Pick two runs: open a worker's page and tick Compare on two run cards, or give ?a=&amp;b= run ids.</p> : null}
      <ErrorBox error={error} title="Could not compare the runs" />
      {cmp === null ? (
        error || !a || !b ? null : (
          <p className="muted">Loading the comparison…</p>
        )
      ) : (
        <>
          <CompareTable testId="compare">
            <thead>
              <tr>
                <th />
                <th>{runLink(cmp.a.id, 'A')}</th>
                <th>{runLink(cmp.b.id, 'B')}</th>
              </tr>
            </thead>
            <tbody>
              <Row
                label="Status"
                a={<StatusChip status={cmp.a.status} />}
                b={<StatusChip status={cmp.b.status} />}
                same={cmp.status.same}
                testId="cmp-status"
              />
              <Row label="Duration" a={duration(cmp.a.duration_ms)} b={duration(cmp.b.duration_ms)} same={cmp.duration_ms.same} />
              <Row label="Tokens" a={tokens(cmp.a.tokens)} b={tokens(cmp.b.tokens)} same={cmp.tokens.same} />
              <Row label="Credits" a={credits(cmp.a.credits_used / MICRO)} b={credits(cmp.b.credits_used / MICRO)} same={cmp.credits_used.same} />
              <Row label="Target" a={`${cmp.a.kind} ${cmp.a.target_id}`} b={`${cmp.b.kind} ${cmp.b.target_id}`} same={cmp.same_target} />
              {cmp.worker ? (
                <>
                  <Row
                    label="Definition version"
                    a={`v${cmp.worker.definition.version.a}`}
                    b={`v${cmp.worker.definition.version.b}`}
                    same={cmp.worker.definition.version.same}
                    testId="cmp-version"
                  />
                  <Row label="Model" a={cmp.worker.definition.model.a} b={cmp.worker.definition.model.b} same={cmp.worker.definition.model.same} />
                  <Row
                    label="Tool categories"
                    a={cmp.worker.definition.tool_categories.a.join(', ') || 'none'}
                    b={cmp.worker.definition.tool_categories.b.join(', ') || 'none'}
                    same={cmp.worker.definition.tool_categories.same}
                  />
                  <Row
                    label="Subject"
                    a={`row ${cmp.worker.subject.a.row_id}${cmp.worker.subject.a.exists_now ? '' : ' (gone now)'}`}
                    b={`row ${cmp.worker.subject.b.row_id}${cmp.worker.subject.b.exists_now ? '' : ' (gone now)'}`}
                    same={cmp.worker.subject.same}
                  />
                  <Row
                    label="Record version then"
                    a={<span className="mono">{cmp.worker.subject.a.version_then ?? '—'}</span>}
                    b={<span className="mono">{cmp.worker.subject.b.version_then ?? '—'}</span>}
                    same={cmp.worker.subject.a.version_then === cmp.worker.subject.b.version_then}
                  />
                </>
              ) : null}
              <Row
                label="Error"
                a={cmp.a.error ? <Clip text={`${cmp.a.error.code}: ${cmp.a.error.message}`} /> : '—'}
                b={cmp.b.error ? <Clip text={`${cmp.b.error.code}: ${cmp.b.error.message}`} /> : '—'}
                same={cmp.error.same}
                testId="cmp-error"
              />
            </tbody>
          </CompareTable>
          {cmp.worker ? (
            <>
              <h2>Instructions</h2>
              <Diff lines={cmp.worker.definition.instructions.same ? [] : cmp.worker.definition.instructions.diff} testId="cmp-instructions" />
              <h2>Context</h2>
              <CompareTable testId="cmp-context">
                <tbody>
                  {cmp.worker.context.map((c) => (
                    <Row key={c.name} label={c.name} a={source(c.a)} b={source(c.b)} same={c.same} testId={`cmp-source-${c.name}`} />
                  ))}
                </tbody>
              </CompareTable>
              {cmp.worker.context
                .filter((c) => c.diff.length)
                .map((c) => (
                  <details key={c.name} className="advanced">
                    <summary>Text diff of {c.name}</summary>
                    <Diff lines={c.diff} />
                  </details>
                ))}
              <h2>Tool calls</h2>
              {cmp.worker.tool_calls.length === 0 ? (
                <p className="small muted">Neither run called a tool.</p>
              ) : (
                <CompareTable testId="cmp-tools">
                  <tbody>
                    {cmp.worker.tool_calls.map((t) => (
                      <Row key={t.index} label={`#${t.index}`} a={call(t.a)} b={call(t.b)} same={t.same_name && t.same_arguments} />
                    ))}
                  </tbody>
                </CompareTable>
              )}
              <h2>Output</h2>
              <CompareTable testId="cmp-output">
                <tbody>
                  <Row label="Output" a={output(cmp.worker.output.a)} b={output(cmp.worker.output.b)} same={cmp.worker.output.same} />
                </tbody>
              </CompareTable>
              {cmp.worker.output.same ? null : <Diff lines={cmp.worker.output.preview_diff} />}
            </>
          ) : (
            <>
              <h2>Items</h2>
              <CompareTable testId="cmp-items">
                <tbody>
                  <Row label="Counts" a={counts(cmp.items.counts.a)} b={counts(cmp.items.counts.b)} same={cmp.items.counts.same} />
                  <Row label="Error codes" a={counts(cmp.items.error_codes.a)} b={counts(cmp.items.error_codes.b)} same={cmp.items.error_codes.same} />
                  {cmp.items.differing.map((d) => (
                    <Row
                      key={d.key}
                      label={d.label ? `${d.label} (${d.key})` : d.key}
                      a={<Clip text={jsonText(d.a) || '—'} />}
                      b={<Clip text={jsonText(d.b) || '—'} />}
                      same={false}
                    />
                  ))}
                </tbody>
              </CompareTable>
            </>
          )}
        </>
      )}
    </section>
  );
}
