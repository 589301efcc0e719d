/**
 * The Runs page filters, kept in the URL query so a view can be shared and survives a reload:
 * `status`, `kind`, `trigger`, `mode` (one value each), `range` (24h, 7d, 30d, custom),
 * `from` / `to` (custom range, local `YYYY-MM-DDTHH:mm`), `q` (name search).
 */
import type { paths } from '../api/schema';

export type RunListQuery = NonNullable<paths['/v1/runs']['get']['parameters']['query']>;
export type RunFilterQuery = Omit<RunListQuery, 'limit' | 'cursor'>;

export const RANGES = { '24h': 24 * 3600_000, '7d': 7 * 24 * 3600_000, '30d': 30 * 24 * 3600_000 } as const;
export type RangeKey = keyof typeof RANGES | 'custom' | '';

export interface RunFilters {
  status: string;
  kind: string;
  trigger: string;
  mode: string;
  range: RangeKey;
  from: string;
  to: string;
  q: string;
}

export const FILTER_KEYS: readonly (keyof RunFilters)[] = ['status', 'kind', 'trigger', 'mode', 'range', 'from', 'to', 'q'];

/** Reads the filters from a query string. */
export function readFilters(sp: URLSearchParams): RunFilters {
  const range = sp.get('range') ?? '';
  return {
    status: sp.get('status') ?? '',
    kind: sp.get('kind') ?? '',
    trigger: sp.get('trigger') ?? '',
    mode: sp.get('mode') ?? '',
    range: range === 'custom' || range in RANGES ? (range as RangeKey) : '',
    from: sp.get('from') ?? '',
    to: sp.get('to') ?? '',
    q: sp.get('q') ?? '',
  };
}

/** The query string of a filter set (empty values left out). */
export function writeFilters(f: RunFilters): URLSearchParams {
  const sp = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    if ((k === 'from' || k === 'to') && f.range !== 'custom') continue;
    if (f[k]) sp.set(k, f[k]);
  }
  return sp;
}

/** True when any filter is set. */
export const hasFilters = (f: RunFilters): boolean => FILTER_KEYS.some((k) => f[k] !== '');

/** Local `YYYY-MM-DDTHH:mm` → ISO-8601 UTC; '' or invalid → undefined. */
function localToIso(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The API filter (query of GET /v1/runs, /count, /export) for `f` at time `now` (epoch ms). */
export function apiFilter(f: RunFilters, now = Date.now()): RunFilterQuery {
  const out: RunFilterQuery = {};
  if (f.status) out.status = f.status;
  if (f.kind) out.kind = f.kind;
  if (f.trigger) out.trigger = f.trigger;
  if (f.mode) out.mode = f.mode;
  if (f.q.trim()) out.name = f.q.trim();
  if (f.range && f.range !== 'custom') out.created_after = new Date(now - RANGES[f.range]).toISOString();
  if (f.range === 'custom') {
    const after = localToIso(f.from);
    const before = localToIso(f.to);
    if (after) out.created_after = after;
    if (before) out.created_before = before;
  }
  return out;
}
