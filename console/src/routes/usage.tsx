/**
 * `/usage` (issue 14 item 7): the rolling windows (1 h, 24 h, 7 d, 30 d) of `GET
 * /v1/usage?window=`: runs, items, tokens and credits in the window, then bar charts by target
 * (runs, credits) and by provider (tokens, credits). The API groups LLM usage by provider (the
 * item's `provider`), not by model, so there is no per-model chart. Charts are plain SVG
 * (components/bar-chart.tsx): the project carries no chart library, and every bar also has
 * its number in text.
 */
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, must } from '../api/client';
import { BarChart } from '../components/bar-chart';
import { count, credits, time } from '../components/format';
import { ErrorBox, PageHeader } from '../components/ui';

const WINDOWS = ['1h', '24h', '7d', '30d'] as const;
type Window = (typeof WINDOWS)[number];
/** Micro-credits per credit (the breakdowns are in micro-credits). */
const MICRO = 1_000_000;

/** The answer of `GET /v1/usage` (src/server/routes/credits.ts). */
interface Usage {
  window: Window;
  since: string;
  runs: number;
  items: number;
  input_tokens: number;
  output_tokens: number;
  credits_used: number;
  by_target: Record<string, { runs: number; items: number; credits_used: number }>;
  by_provider: Record<string, { items: number; input_tokens: number; output_tokens: number; credits_used: number }>;
}

/** Where a target id leads in the console, by its prefix. */
function targetLink(id: string): string | null {
  if (id.startsWith('wkr_')) return `/workers/${id}`;
  if (id.startsWith('flw_')) return `/flows/${id}`;
  if (id.startsWith('tbl_')) return `/tables/${id}`;
  return null;
}

export function UsagePage() {
  const [sp, setSp] = useSearchParams();
  const asked = sp.get('window');
  const win: Window = (WINDOWS as readonly string[]).includes(asked ?? '') ? (asked as Window) : '24h';
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stop = false;
    setUsage(null);
    must(api.GET('/v1/usage', { params: { query: { window: win } } })).then(
      (u) => !stop && (setUsage(u as unknown as Usage), setError(null)),
      (err: unknown) => !stop && setError(err),
    );
    return () => {
      stop = true;
    };
  }, [win]);

  const targets = Object.entries(usage?.by_target ?? {}).sort((x, y) => y[1].runs - x[1].runs);
  const providers = Object.entries(usage?.by_provider ?? {}).sort((x, y) => y[1].input_tokens + y[1].output_tokens - (x[1].input_tokens + x[1].output_tokens));
  return (
    <section className="usage-page">
      <PageHeader title="Usage">
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
      </PageHeader>
      <ErrorBox error={error} title="Could not load usage" />
      {usage === null ? (
        error ? null : (
          <p className="muted">Loading usage…</p>
        )
      ) : (
        <>
          <p className="small muted">
            Since {time(usage.since)} (the last {win}).
          </p>
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
          <h2>By target</h2>
          {targets.length === 0 ? (
            <p className="muted small">No runs in this window.</p>
          ) : (
            <div className="charts">
              <BarChart
                title="Runs"
                bars={targets.map(([id, t]) => ({ label: id, value: t.runs, text: count(t.runs), href: targetLink(id) }))}
                testId="usage-target-runs"
              />
              <BarChart
                title="Credits"
                bars={targets.map(([id, t]) => ({ label: id, value: t.credits_used, text: credits(t.credits_used / MICRO), href: targetLink(id) }))}
              />
            </div>
          )}
          <h2>By provider</h2>
          {providers.length === 0 ? (
            <p className="muted small">No provider calls in this window.</p>
          ) : (
            <div className="charts">
              <BarChart
                title="Tokens (in + out)"
                bars={providers.map(([p, v]) => ({
                  label: p,
                  value: v.input_tokens + v.output_tokens,
                  text: `${count(v.input_tokens)} in · ${count(v.output_tokens)} out`,
                }))}
                testId="usage-provider-tokens"
              />
              <BarChart title="Credits" bars={providers.map(([p, v]) => ({ label: p, value: v.credits_used, text: credits(v.credits_used / MICRO) }))} />
            </div>
          )}
        </>
      )}
    </section>
  );
}
