/**
 * Add a column to a table (`POST /v1/tables/{id}/columns`): a name, a producer (`js`, `shell`,
 * `http`), an optional workload profile and the producer config as JSON, whose strings may hold
 * `{{field}}` templates over the row. The config is parsed here first (a JSON error names
 * `config`); the API's errors (unknown producer, template error, name taken) show in place.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api, must, type Column, type Schemas } from '../api/client';
import { ErrorBox } from './ui';

const EXAMPLE = '{\n  "module": "examples/size-class.mjs",\n  "input": { "name": "{{name}}", "area_km2": "{{area_km2}}" }\n}';

export function AddColumnForm({ tableId, onAdded }: { tableId: string; onAdded(c: Column): void }) {
  const [name, setName] = useState('');
  const [producer, setProducer] = useState('js');
  const [profile, setProfile] = useState('');
  const [config, setConfig] = useState(EXAMPLE);
  const [profiles, setProfiles] = useState<Schemas['Profile'][]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    must(api.GET('/v1/profiles')).then(
      (r) => setProfiles(r.data),
      () => setProfiles([]),
    );
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(config);
    } catch (err) {
      setError(`config: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      setError('config: must be a JSON object');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const column = await must(
        api.POST('/v1/tables/{table_id}/columns', {
          params: { path: { table_id: tableId } },
          body: { name: name.trim(), producer: producer.trim(), config: parsed as Record<string, unknown>, ...(profile ? { profile } : {}) },
        }),
      );
      setName('');
      onAdded(column);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <details className="advanced">
      <summary>Add a column</summary>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <div className="form-row">
          <label>
            Column name
            <input type="text" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required />
          </label>
          <label>
            Producer
            <select aria-label="Producer" value={producer} onChange={(e) => setProducer(e.target.value)}>
              <option value="js">js (a JavaScript module)</option>
              <option value="shell">shell (a command)</option>
              <option value="http">http (a request)</option>
            </select>
          </label>
          <label>
            Workload profile
            <select aria-label="Workload profile" value={profile} onChange={(e) => setProfile(e.target.value)}>
              <option value="">default</option>
              {profiles.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label className="block">
          Producer config (JSON; strings may use {'{{field}}'} templates)
          <textarea className="mono" value={config} onChange={(e) => setConfig(e.target.value)} rows={6} spellCheck={false} />
        </label>
        <ErrorBox error={error} title="Could not add the column" />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !name.trim()}>
            {busy ? 'Adding…' : 'Add column'}
          </button>
        </div>
      </form>
    </details>
  );
}
