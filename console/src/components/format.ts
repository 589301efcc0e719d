/** Display formatting: durations, times, credits, counts. Pure functions of their input. */

/** 1234 → "1.2 s", 61000 → "1 min 1 s", null → "—". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

/** An ISO time as local date and time, seconds precision; null → "—". */
export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** "3 min ago" style age of an ISO time relative to `now` (epoch ms). */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const ms = now - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return '—';
  if (ms < 60_000) return 'just now';
  return `${duration(ms).replace(/ \d+ s$/, '')} ago`;
}

/** Credits with up to 6 decimals, trailing zeros dropped. */
export function credits(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n.toLocaleString(undefined, { maximumFractionDigits: 6 });
}

/** Integer with thousands separators. */
export function count(n: number): string {
  return n.toLocaleString();
}

/** A JSON value for display (strings as they are). */
export function jsonText(v: unknown, pretty = false): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v, null, pretty ? 2 : undefined) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Longest text a drawer shows per JSON block, characters; the rest is in the run's export. */
const MAX_SHOWN = 20_000;

/** A JSON value pretty-printed for a drawer, cut at {@link MAX_SHOWN} characters with a note. */
export function shownJson(v: unknown): string {
  const s = jsonText(v, true);
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}\n… (${s.length - MAX_SHOWN} more characters; export the run for all of it)` : s;
}
