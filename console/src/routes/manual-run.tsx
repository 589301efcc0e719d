/**
 * Manual run form (issue 6 §4, seed 000 "Manual run: queue a one-off run"): a target (table and
 * column), a name, the initial prompt, an optional workload profile, and advanced overrides
 * (env values and secrets for this run only; saved defaults are not changed). Queue run sends
 * `POST /v1/runs` and opens the new run at once.
 *
 * Secrets are write-only: their inputs are password fields with autocomplete off, their values
 * are cleared from the form as soon as the request is sent (success or not), and nothing on the
 * page shows them again (the API returns secret names only). Errors show in place: a 422 whose
 * message starts with a field (`overrides.env.PATH: …`) is shown next to that field.
 * `?table=<id>&column=<name>` preselects the target.
 */
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, must, type Column, type Schemas, type Table } from '../api/client';
import { OverrideRows, type OverrideRow } from '../components/manual-run-overrides';
import { ErrorBox, PageHeader } from '../components/ui';

type Profile = Schemas['Profile'];

/** The field a validation message names (`prompt: …` → `prompt`), or null. */
export function fieldOf(err: unknown): string | null {
  const message = err instanceof Error ? err.message : '';
  const m = /^([A-Za-z_][\w.[\]-]*): /.exec(message);
  return m?.[1] ?? null;
}

/** Which part of the form an API field belongs to. */
function areaOf(field: string | null): 'target' | 'name' | 'prompt' | 'profile' | 'env' | 'secrets' | 'form' {
  if (!field) return 'form';
  if (field.startsWith('target')) return 'target';
  if (field === 'name') return 'name';
  if (field === 'prompt') return 'prompt';
  if (field === 'profile') return 'profile';
  if (field.startsWith('overrides.secrets')) return 'secrets';
  if (field.startsWith('overrides')) return 'env';
  return 'form';
}

export function ManualRunPage() {
  const navigate = useNavigate();
  const [sp] = useSearchParams();
  const id = useId();
  const [tables, setTables] = useState<Table[] | null>(null);
  const [columns, setColumns] = useState<Column[] | null>(null);
  const [profiles, setProfiles] = useState<Profile[]>([]);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [tableId, setTableId] = useState(sp.get('table') ?? '');
  const [column, setColumn] = useState(sp.get('column') ?? '');
  const [name, setName] = useState('');
  const [prompt, setPrompt] = useState('');
  const [profile, setProfile] = useState('');
  const [env, setEnv] = useState<OverrideRow[]>([]);
  const [secrets, setSecrets] = useState<OverrideRow[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    must(api.GET('/v1/tables')).then((r) => {
      setTables(r.data);
      setTableId((cur) => cur || (r.data[0]?.id ?? ''));
    }, setLoadError);
    must(api.GET('/v1/profiles')).then((r) => setProfiles(r.data), setLoadError);
  }, []);

  useEffect(() => {
    if (!tableId) return setColumns(null);
    let stop = false;
    must(api.GET('/v1/tables/{table_id}/columns', { params: { path: { table_id: tableId } } })).then(
      (r) => {
        if (stop) return;
        setColumns(r.data);
        setColumn((cur) => (r.data.some((c) => c.name === cur) ? cur : (r.data[0]?.name ?? '')));
      },
      (err: unknown) => !stop && setLoadError(err),
    );
    return () => {
      stop = true;
    };
  }, [tableId]);

  const chosen = useMemo(() => columns?.find((c) => c.name === column), [columns, column]);
  const area = areaOf(fieldOf(error));
  const errorAt = (a: typeof area) => (error && area === a ? <ErrorBox error={error} /> : null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const overrides: { env?: Record<string, string>; secrets?: Record<string, string> } = {};
    const envPairs = env.filter((r) => r.name.trim() !== '' || r.value !== '');
    const secretPairs = secrets.filter((r) => r.name.trim() !== '' || r.value !== '');
    if (envPairs.length) overrides.env = Object.fromEntries(envPairs.map((r) => [r.name.trim(), r.value]));
    if (secretPairs.length) overrides.secrets = Object.fromEntries(secretPairs.map((r) => [r.name.trim(), r.value]));
    // Secret values leave the form now, whatever the answer: they are never shown again.
    setSecrets((rows) => rows.map((r) => ({ ...r, value: '' })));
    setBusy(true);
    setError(null);
    try {
      const run = await must(
        api.POST('/v1/runs', {
          body: {
            target: { type: 'column', table_id: tableId, column },
            ...(name.trim() ? { name: name.trim() } : {}),
            ...(prompt ? { prompt } : {}),
            ...(profile ? { profile } : {}),
            ...(overrides.env || overrides.secrets ? { overrides } : {}),
            trigger: 'manual',
          },
        }),
      );
      navigate(`/runs/${run.id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  const noTables = tables !== null && tables.length === 0;
  return (
    <section className="manual-run">
      <PageHeader title="New run" />
      <p className="muted">Manual run: queue a one-off run. Overrides apply to this run only and do not change saved defaults.</p>
      <ErrorBox error={loadError} title="Could not load the form" />
      {noTables ? (
        <div className="notice" data-testid="no-tables">
          No tables yet. Import a table on the <Link to="/tables">Tables</Link> page, add a column, then queue a run of it here.
        </div>
      ) : null}
      <form className="form" onSubmit={(e) => void submit(e)} aria-describedby={error && area === 'form' ? `${id}-error` : undefined} noValidate>
        <fieldset>
          <legend>Target</legend>
          <div className="form-row">
            <label>
              Table
              <select aria-label="Table" value={tableId} onChange={(e) => setTableId(e.target.value)} required disabled={!tables?.length}>
                {tables?.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name.length > 80 ? `${t.name.slice(0, 80)}…` : t.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Column
              <select aria-label="Column" value={column} onChange={(e) => setColumn(e.target.value)} required disabled={!columns?.length}>
                {columns?.map((c) => (
                  <option key={c.id} value={c.name}>
                    {c.name.length > 80 ? `${c.name.slice(0, 80)}…` : c.name}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {columns && columns.length === 0 ? <p className="muted small">This table has no columns yet; add one on its table page.</p> : null}
          {errorAt('target')}
        </fieldset>
        <label className="block">
          Run name (optional)
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} placeholder={chosen ? `${chosen.name} (manual)` : ''} />
        </label>
        {errorAt('name')}
        <label className="block">
          Initial prompt
          <textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={5} aria-describedby={`${id}-prompt-help`} />
        </label>
        <span id={`${id}-prompt-help`} className="muted small">
          The instructions for this one run (producers read them as RUNYARD_PROMPT).
        </span>
        {errorAt('prompt')}
        <label className="block">
          Workload profile (optional)
          <select aria-label="Workload profile (optional)" value={profile} onChange={(e) => setProfile(e.target.value)} aria-describedby={`${id}-profile-help`}>
            <option value="">Default{chosen ? ` (column's: ${chosen.profile})` : ''}</option>
            {profiles.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name} — {p.concurrency} at once, {Math.round(p.item_timeout_ms / 1000)} s per attempt, {p.max_attempts} attempts
              </option>
            ))}
          </select>
        </label>
        <span id={`${id}-profile-help`} className="muted small">
          Override the default runtime tier for this run.
        </span>
        {errorAt('profile')}
        <details className="advanced" open={env.length > 0 || secrets.length > 0 || area === 'env' || area === 'secrets'}>
          <summary>Advanced overrides</summary>
          <p className="muted small">Temporary env and secret changes for this run only. Secret values are write-only: they are never shown again.</p>
          <OverrideRows kind="env" rows={env} onChange={setEnv} />
          {errorAt('env')}
          <OverrideRows kind="secret" rows={secrets} onChange={setSecrets} />
          {errorAt('secrets')}
        </details>
        <div id={`${id}-error`}>{errorAt('form')}</div>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !tableId || !column}>
            {busy ? 'Queueing…' : 'Queue run'}
          </button>
        </div>
      </form>
    </section>
  );
}
