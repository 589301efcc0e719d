/**
 * Parts of an ingestion run's page (issue 16 §3): a dry run's preview (the first page's
 * records and what writing each would do; nothing was written), why a run stopped short (a
 * smoke test's limit), and the run's provider summary (calls, failures, p50/p95, credits).
 */
import type { Schemas } from '../api/client';
import { count, credits, duration, jsonText } from './format';
import { Clip } from './ui';

type Preview = Schemas['IngestionPreview'];
type Summary = Schemas['IngestionSummary'];

/** Records of a preview shown; the rest are counted. */
const PREVIEW_SHOWN = 200;

/** What writing a dry run's page would do, in words. */
export function previewText(p: Preview): string {
  const c = p.counts;
  return (
    `Would create ${count(c.created)}, update ${count(c.updated)}, leave ${count(c.unchanged)} unchanged` +
    `${c.no_key ? `; ${count(c.no_key)} without key (not written)` : ''}. Nothing was written.`
  );
}

/** A dry run's first page: the counts and the records with their would-be action. */
export function DryRunPreview({ preview: p }: { preview: Preview }) {
  const shown = p.records.slice(0, PREVIEW_SHOWN);
  return (
    <section className="dry-run-preview" data-testid="dry-run-preview" aria-labelledby="preview-title">
      <h2 id="preview-title">Dry run: page {p.page}</h2>
      {p.status === 'pending' || p.status === 'running' || p.status === 'retrying' ? (
        <p className="muted">Fetching the first page…</p>
      ) : (
        <>
          <p data-testid="preview-counts">{previewText(p)}</p>
          {p.url ? (
            <p className="muted small">
              <Clip
                text={`${p.url} → ${p.http_status ?? '—'} · ${count(p.record_count)} records${p.next ? ` · next: ${p.next}` : ' · the source ends here'}`}
              />
            </p>
          ) : null}
          {p.error ? (
            <p className="error-box" role="alert">
              <Clip text={`${p.error.code}: ${p.error.message}`} />
            </p>
          ) : null}
          {shown.length > 0 ? (
            <div className="table-wrap">
              <table className="grid preview-list" data-testid="preview-records">
                <thead>
                  <tr>
                    <th>Key</th>
                    <th>Would be</th>
                    <th>Record</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((r, i) => (
                    <tr key={`${r.key ?? ''}:${i}`} data-key={r.key ?? ''} data-action={r.action}>
                      <td>
                        <Clip text={r.key ?? '—'} />
                      </td>
                      <td>
                        <span className={`chip chip-would-${r.action}`}>{r.action.replace('_', ' ')}</span>
                      </td>
                      <td>
                        <Clip text={jsonText(r.data)} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {p.records.length > shown.length ? <p className="muted small">and {count(p.records.length - shown.length)} more records.</p> : null}
        </>
      )}
    </section>
  );
}

/** Per provider: calls, failures, p50/p95 page duration, credits. */
export function ProviderSummary({ summary }: { summary: Summary }) {
  if (summary.providers.length === 0) return null;
  return (
    <section aria-labelledby="providers-title">
      <h2 id="providers-title">Providers</h2>
      <div className="table-wrap">
        <table className="grid providers-list" data-testid="providers">
          <thead>
            <tr>
              <th>Provider</th>
              <th className="num">Calls</th>
              <th className="num">Failures</th>
              <th className="num">p50</th>
              <th className="num">p95</th>
              <th className="num">Credits</th>
            </tr>
          </thead>
          <tbody>
            {summary.providers.map((p) => (
              <tr key={p.provider} data-provider={p.provider}>
                <td>
                  <Clip text={p.provider} />
                </td>
                <td className="num">{count(p.calls)}</td>
                <td className="num">{count(p.failures)}</td>
                <td className="num">{duration(p.p50_ms)}</td>
                <td className="num">{duration(p.p95_ms)}</td>
                <td className="num">{credits(p.credits_used_micro / 1_000_000)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
