/**
 * Bar charts drawn with recharts (issue 14 item 7: "charts, a well-kept chart library"), for the
 * Usage page. Only the Usage page imports this module and it is loaded lazily (app.tsx), so the
 * chart library is a chunk of its own, fetched when the page opens.
 *
 * A chart is an SVG of a fixed pixel height that takes the width of its box (`responsive`:
 * recharts measures the parent with a ResizeObserver). Animations are off, so what is drawn is
 * final at once. Every bar (or stack) carries its number as a label, and the caption names the
 * chart, so neither colour nor length alone carries a figure; the tables beside the charts have
 * the exact figures and the links. A chart whose values are all zero is a sentence instead of
 * empty axes. The legend is HTML under the chart (it wraps with the page, unlike recharts' own).
 */
import { Bar, BarChart, CartesianGrid, LabelList, Tooltip, XAxis, YAxis } from 'recharts';

/** One bar series: the field of each datum it draws, its legend name and colour. */
export interface Series {
  key: string;
  name: string;
  color: string;
}

/**
 * One category (a bar, or a group or stack of bars): its axis label, a number per series key,
 * and `total`, the sum of the series (the label of a stack).
 */
export type Datum = { label: string; total: number } & Record<string, number | string>;

/** Series colours, from the console's palette (styles.css `--accent`). */
export const COLORS = { primary: '#1f4e79', second: '#7aa6cf' } as const;

/** Labels longer than this are cut on the axis (the tooltip has the whole label). */
const AXIS_LABEL_CHARS = 22;
const cut = (s: string) => (s.length > AXIS_LABEL_CHARS ? `${s.slice(0, AXIS_LABEL_CHARS - 1)}…` : s);

/** 1234567 → "1.23M": axis ticks and bar labels stay short. */
export const compact = (n: number): string => n.toLocaleString(undefined, { notation: 'compact', maximumFractionDigits: 2 });

/** Builds a {@link Datum}: `total` is the sum of the given values. */
export function datum(label: string, values: Record<string, number>): Datum {
  return { ...values, label, total: Object.values(values).reduce((a, b) => a + b, 0) } as Datum;
}

export interface ChartProps {
  title: string;
  data: Datum[];
  series: Series[];
  /** `rows`: one category per row, bars along x (many categories, long labels); `columns`: a few categories along x. */
  layout?: 'rows' | 'columns';
  /** How a value is written on a bar label, an axis tick and in the tooltip. */
  format?: (n: number) => string;
  /** Series drawn on top of each other (one bar per category) instead of side by side. */
  stacked?: boolean;
  /** Said instead of a chart whose values are all zero. */
  empty?: string;
  testId?: string;
}

export function UsageChart({ title, data, series, layout = 'rows', format = compact, stacked = false, empty = 'None in this window.', testId }: ChartProps) {
  const rows = layout === 'rows';
  const height = rows ? 40 + data.length * ((stacked ? 1 : series.length) * 16 + 14) : 220;
  const fmt = (v: unknown) => (typeof v === 'number' ? format(v) : String(v ?? ''));
  if (data.every((d) => d.total === 0)) {
    return (
      <figure className="chart" data-testid={testId}>
        <figcaption>{title}</figcaption>
        <p className="muted small">{empty}</p>
      </figure>
    );
  }
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <BarChart
        responsive
        layout={rows ? 'vertical' : 'horizontal'}
        data={data}
        title={title}
        style={{ width: '100%', height }}
        margin={rows ? { top: 4, right: 56, bottom: 4, left: 4 } : { top: 20, right: 8, bottom: 4, left: 0 }}
      >
        <CartesianGrid horizontal={!rows} vertical={rows} strokeDasharray="3 3" />
        {rows ? (
          <>
            <XAxis type="number" tickFormatter={format} allowDecimals={false} fontSize={12} />
            <YAxis type="category" dataKey="label" width={150} tickFormatter={cut} fontSize={12} interval={0} />
          </>
        ) : (
          <>
            <XAxis dataKey="label" fontSize={12} interval={0} />
            <YAxis tickFormatter={format} allowDecimals={false} fontSize={12} width={48} />
          </>
        )}
        <Tooltip formatter={fmt} />
        {series.map((s, i) => (
          <Bar
            key={s.key}
            dataKey={s.key}
            name={s.name}
            fill={s.color}
            isAnimationActive={false}
            {...(stacked ? { stackId: 'stack' } : {})}
            maxBarSize={rows ? 22 : 48}
          >
            {!stacked || i === series.length - 1 ? (
              <LabelList dataKey={stacked ? 'total' : s.key} position={rows ? 'right' : 'top'} fontSize={12} formatter={fmt} />
            ) : null}
          </Bar>
        ))}
      </BarChart>
      {series.length > 1 ? (
        <ul className="chart-legend small">
          {series.map((s) => (
            <li key={s.key}>
              <svg width="10" height="10" focusable="false" aria-hidden="true">
                <rect width="10" height="10" fill={s.color} />
              </svg>{' '}
              {s.name}
            </li>
          ))}
        </ul>
      ) : null}
    </figure>
  );
}
