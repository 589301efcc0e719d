/**
 * A horizontal bar chart as plain SVG (the console carries no chart library): one bar per
 * entry, scaled to the largest value, at most {@link MAX_BARS} bars. Each bar's label and its
 * number are HTML text beside the SVG bar (never colour or length alone), so the chart reads
 * with a screen reader and wraps on a narrow screen.
 */
import { Link } from 'react-router';

/** One bar: `value` sets its length; `text` is the number shown. */
export interface Bar {
  label: string;
  value: number;
  text: string;
  /** A console page the label links to. */
  href?: string | null;
}

/** Bars drawn; the rest are summed in a note. */
const MAX_BARS = 12;

export function BarChart({ title, bars, testId }: { title: string; bars: Bar[]; testId?: string }) {
  const shown = bars.slice(0, MAX_BARS);
  const max = Math.max(0, ...shown.map((b) => b.value));
  return (
    <figure className="bar-chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <ul>
        {shown.map((b) => (
          <li key={b.label}>
            <span className="bar-label clip" title={b.label}>
              {b.href ? <Link to={b.href}>{b.label}</Link> : b.label}
            </span>
            <svg className="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
              <rect x="0" y="0" height="10" width={max > 0 ? Math.max(0.5, (b.value / max) * 100) : 0} />
            </svg>
            <span className="bar-value small">{b.text}</span>
          </li>
        ))}
      </ul>
      {bars.length > MAX_BARS ? <p className="small muted">…and {bars.length - MAX_BARS} more</p> : null}
    </figure>
  );
}
