/**
 * `/usage` (issue 14 item 7): runs, tokens and credits in the rolling windows (1 h, 24 h, 7 d,
 * 30 d) of `GET /v1/usage?window=`, as recharts bar charts (components/charts.tsx):
 * - the four windows side by side (runs; tokens in + out; credits), one read per window;
 * - the chosen window (`?window=`, default 24 h): its totals, then by target (runs, credits; a
 *   worker, flow or table is named and links to its page), by model and by provider (tokens in
 *   and out, credits), each chart with a table of the exact figures.
 * A window without runs says so instead of drawing empty axes. The page is loaded lazily
 * (app.tsx), so the chart library is fetched only when it opens.
 */
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, must } from '../api/client';
import { COLORS, datum, UsageChart, type Datum } from '../components/charts';
import { count, credits, time } from '../components/format';
import { Clip, ErrorBox, PageHeader } from '../components/ui';

const WINDOWS = ['1h', '24h', '7d', '30d'] as const;
type Window = (typeof WINDOWS)[number];
/** Micro-credits per credit (the breakdowns are in micro-credits). */
const MICRO = 1_000_000;
/** Bars per breakdown chart; the tables list every entry. */
const MAX_BARS = 12;

/** LLM usage of one model or provider; credits in micro-credits. */
interface LlmUsage {
  items: number;
  input_tokens: number;
  output_tokens: number;
  credits_used: number;
}

/** The answer of `GET /v1/usage` (src/server/routes/credits.ts); `credits_used` in credits, the breakdowns' in micro-credits. */
interface Usage {
  window: Window;
  since: string;
  runs: number;
  items: number;
  input_tokens: number;
  output_tokens: number;
  credits_used: number;
  by_target: Record<string, { runs: number; items: number; credits_used: number }>;
  by_provider: Record<string, LlmUsage>;
  /** By the model an item's usage names. */
  by_model: Record<string, LlmUsage>;
}

/** Where a target id leads in the console, by its prefix. */
function targetLink(id: string): string | null {
  if (id.startsWith('wkr_')) return `/workers/${id}`;
  if (id.startsWith('flw_')) return `/flows/${id}`;
  if (id.startsWith('tbl_')) return `/tables/${id}`;
  return null;
}

/** Credits for a chart: small amounts keep 4 significant digits, large ones are compact. */
const creditText = (n: number) =>
  n >= 10_000 ? n.toLocaleString(undefined, { notation: 'compact', maximumFractionDigits: 2 }) : n.toLocaleString(undefined, { maximumSignificantDigits: 4 });

/** Names of the workers, flows and tables among `ids` (one list read per kind present). */
function useTargetNames(ids: string[]): Record<string, string> {
  const [names, setNames] = useState<Record<string, string>>({});
  const kinds = ['wkr_', 'flw_', 'tbl_'].filter((p) => ids.some((id) => id.startsWith(p))).join(',');
  useEffect(() => {
    let stop = false;
    const add = (list: { id: string; name: string }[]) => !stop && setNames((n) => ({ ...n, ...Object.fromEntries(list.map((x) => [x.id, x.name])) }));
    const ignore = () => undefined;
    if (kinds.includes('wkr_')) void must(api.GET('/v1/workers')).then((r) => add(r.data), ignore);
    if (kinds.includes('flw_')) void must(api.GET('/v1/flows')).then((r) => add(r.data), ignore);
    if (kinds.includes('tbl_')) void must(api.GET('/v1/tables')).then((r) => add(r.data), ignore);
    return () => {
      stop = true;
    };
  }, [kinds]);
  return names;
}

export function UsagePage() {
  const [sp, setSp] = useSearchParams();
  const asked = sp.get('window');
  const win: Window = (WINDOWS as readonly string[]).includes(asked ?? '') ? (asked as Window) : '24h';
  const [all, setAll] = useState<Partial<Record<Window, Usage>> | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stop = false;
    Promise.all(WINDOWS.map((w) => must(api.GET('/v1/usage', { params: { query: { window: w } } })))).then(
      (us) => !stop && (setAll(Object.fromEntries(us.map((u, i) => [WINDOWS[i], u as unknown as Usage]))), setError(null)),
      (err: unknown) => !stop && setError(err),
    );
    return () => {
      stop = true;
    };
  }, []);
  const usage = all?.[win] ?? null;
  const names = useTargetNames(Object.keys(usage?.by_target ?? {}));

  return (
    <section className="usage-page">
      <PageHeader title="Usage" />
      <ErrorBox error={error} title="Could not load usage" />
      {all === null ? (
        error ? null : (
          <p className="muted">Loading usage…</p>
        )
      ) : (
        <>
          <h2>Rolling windows</h2>
          {WINDOWS.every((w) => (all[w]?.runs ?? 0) === 0) ? (
            <div className="notice" data-testid="usage-empty">
              No runs in the last 30 days. Runs of workers, flows and table columns show here once they start.
            </div>
          ) : (
            <WindowCharts all={all} />
          )}
          <div className="page-header">
            <h2>The last {win}</h2>
            <div role="group" aria-label="Window" className="actions">
              {WINDOWS.map((w) => (
                <button
                  key={w}
                  type="button"
                  aria-pressed={w === win}
                  className={w === win ? 'primary' : undefined}
                  onClick={() => setSp({ window: w }, { replace: true })}
                >
                  {w}
                </button>
              ))}
            </div>
          </div>
          {usage ? <WindowDetail usage={usage} names={names} /> : null}
        </>
      )}
    </section>
  );
}

/** Runs, tokens and credits of the four windows, as columns. */
function WindowCharts({ all }: { all: Partial<Record<Window, Usage>> }) {
  const of = (f: (u: Usage) => Record<string, number>): Datum[] => WINDOWS.map((w) => datum(w, all[w] ? f(all[w]) : {}));
  return (
    <div className="charts">
      <UsageChart
        layout="columns"
        title="Runs"
        data={of((u) => ({ runs: u.runs }))}
        series={[{ key: 'runs', name: 'Runs', color: COLORS.primary }]}
        testId="usage-window-runs"
      />
      <UsageChart
        layout="columns"
        title="Tokens"
        empty="No tokens used."
        stacked
        data={of((u) => ({ input: u.input_tokens, output: u.output_tokens }))}
        series={[
          { key: 'input', name: 'Input', color: COLORS.primary },
          { key: 'output', name: 'Output', color: COLORS.second },
        ]}
        testId="usage-window-tokens"
      />
      <UsageChart
        layout="columns"
        title="Credits"
        data={of((u) => ({ credits: u.credits_used }))}
        series={[{ key: 'credits', name: 'Credits', color: COLORS.primary }]}
        format={creditText}
        empty="No credits spent."
        testId="usage-window-credits"
      />
    </div>
  );
}

/** One window: totals, then by target, by model and by provider. */
function WindowDetail({ usage, names }: { usage: Usage; names: Record<string, string> }) {
  if (usage.runs === 0 && Object.keys(usage.by_target).length === 0) {
    return (
      <p className="notice" data-testid="usage-window-empty">
        No runs in the last {usage.window} (since {time(usage.since)}).
      </p>
    );
  }
  const targets = Object.entries(usage.by_target)
    .sort((x, y) => y[1].runs - x[1].runs)
    .map(([id, t]) => ({ id, name: names[id] ?? id, ...t }));
  return (
    <>
      <p className="small muted">Since {time(usage.since)}.</p>
      <dl className="facts" data-testid="usage-totals">
        <div>
          <dt>Runs</dt>
          <dd>{count(usage.runs)}</dd>
        </div>
        <div>
          <dt>Items</dt>
          <dd>{count(usage.items)}</dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd>
            {count(usage.input_tokens)} in · {count(usage.output_tokens)} out
          </dd>
        </div>
        <div>
          <dt>Credits</dt>
          <dd>{credits(usage.credits_used)}</dd>
        </div>
      </dl>

      <h3>By target</h3>
      <div className="charts">
        <UsageChart
          title="Runs"
          data={targets.slice(0, MAX_BARS).map((t) => datum(t.name, { runs: t.runs }))}
          series={[{ key: 'runs', name: 'Runs', color: COLORS.primary }]}
          testId="usage-target-runs"
        />
        <UsageChart
          title="Credits"
          data={targets.slice(0, MAX_BARS).map((t) => datum(t.name, { credits: t.credits_used / MICRO }))}
          series={[{ key: 'credits', name: 'Credits', color: COLORS.primary }]}
          format={creditText}
          empty="No credits spent."
          testId="usage-target-credits"
        />
      </div>
      <div className="table-wrap">
        <table className="grid" data-testid="usage-targets">
          <thead>
            <tr>
              <th>Target</th>
              <th className="num">Runs</th>
              <th className="num">Items</th>
              <th className="num">Credits</th>
            </tr>
          </thead>
          <tbody>
            {targets.map((t) => {
              const href = targetLink(t.id);
              return (
                <tr key={t.id} data-target-id={t.id}>
                  <td>{href ? <Link to={href}>{<Clip text={t.name} />}</Link> : <Clip text={t.name} />}</td>
                  <td className="num" data-testid="target-runs">
                    {count(t.runs)}
                  </td>
                  <td className="num">{count(t.items)}</td>
                  <td className="num">{credits(t.credits_used / MICRO)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      <LlmBreakdown title="By model" what="model" rows={usage.by_model} testId="usage-model" />
      <LlmBreakdown title="By provider" what="provider" rows={usage.by_provider} testId="usage-provider" />
    </>
  );
}

/** Tokens (in and out, stacked) and credits per model or provider, and their table. */
function LlmBreakdown({ title, what, rows, testId }: { title: string; what: string; rows: Record<string, LlmUsage>; testId: string }) {
  const list = Object.entries(rows).sort((x, y) => y[1].input_tokens + y[1].output_tokens - (x[1].input_tokens + x[1].output_tokens));
  // Items of non-LLM producers (tools, outputs) are grouped here too: the charts draw only what used tokens or credits.
  const drawn = list.filter(([, v]) => v.input_tokens + v.output_tokens + v.credits_used > 0).slice(0, MAX_BARS);
  return (
    <>
      <h3>{title}</h3>
      {list.length === 0 ? (
        <p className="muted small" data-testid={`${testId}-empty`}>
          Nothing in this window.
        </p>
      ) : (
        <>
          <div className="charts">
            <UsageChart
              title="Tokens"
              empty="No tokens used."
              stacked
              data={drawn.map(([k, v]) => datum(k, { input: v.input_tokens, output: v.output_tokens }))}
              series={[
                { key: 'input', name: 'Input', color: COLORS.primary },
                { key: 'output', name: 'Output', color: COLORS.second },
              ]}
              testId={`${testId}-tokens`}
            />
            <UsageChart
              title="Credits"
              data={drawn.map(([k, v]) => datum(k, { credits: v.credits_used / MICRO }))}
              series={[{ key: 'credits', name: 'Credits', color: COLORS.primary }]}
              format={creditText}
              empty="No credits spent."
              testId={`${testId}-credits`}
            />
          </div>
          <div className="table-wrap">
            <table className="grid" data-testid={testId}>
              <thead>
                <tr>
                  <th>{what[0]!.toUpperCase() + what.slice(1)}</th>
                  <th className="num">Items</th>
                  <th className="num">Input tokens</th>
                  <th className="num">Output tokens</th>
                  <th className="num">Credits</th>
                </tr>
              </thead>
              <tbody>
                {list.map(([k, v]) => (
                  <tr key={k}>
                    <td>
                      <Clip text={k} />
                    </td>
                    <td className="num">{count(v.items)}</td>
                    <td className="num">{count(v.input_tokens)}</td>
                    <td className="num">{count(v.output_tokens)}</td>
                    <td className="num">{credits(v.credits_used / MICRO)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}
