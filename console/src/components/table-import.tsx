/**
 * Import a table from a file (CSV, JSON array or NDJSON) through `POST /v1/tables`: the file is
 * read in the browser and sent as text; the format follows the file's extension unless chosen.
 * The API's error (bad CSV, duplicate header, too large) shows in place; on success `onDone`
 * gets the new table.
 */
import { useId, useState, type FormEvent } from 'react';
import { api, must, type Table } from '../api/client';
import { ErrorBox } from './ui';

type Format = 'csv' | 'json' | 'ndjson';

/** The format a file name suggests; CSV when unsure. */
export function formatOf(fileName: string): Format {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl')) return 'ndjson';
  if (lower.endsWith('.json')) return 'json';
  return 'csv';
}

export function TableImport({ onDone }: { onDone(t: Table): void }) {
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [format, setFormat] = useState<'' | Format>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file || busy) return;
    setBusy(true);
    setError(null);
    try {
      const data = await file.text();
      const table = await must(
        api.POST('/v1/tables', { body: { name: name.trim() || file.name.replace(/\.[^.]+$/, ''), format: format || formatOf(file.name), data } }),
      );
      onDone(table);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="filters import-form" onSubmit={(e) => void submit(e)} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="form-title">
        Import a table
      </h2>
      <label className="grow">
        File (CSV, JSON or NDJSON)
        <input
          type="file"
          accept=".csv,.json,.ndjson,.jsonl,text/csv,application/json"
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            setError(null);
          }}
        />
      </label>
      <label className="grow">
        Table name
        <input
          type="text"
          value={name}
          onChange={(e) => setName(e.target.value)}
          maxLength={200}
          placeholder={file ? file.name.replace(/\.[^.]+$/, '') : 'from the file name'}
        />
      </label>
      <label>
        Format
        <select aria-label="Format" value={format} onChange={(e) => setFormat(e.target.value as '' | Format)}>
          <option value="">from the file name{file ? ` (${formatOf(file.name)})` : ''}</option>
          <option value="csv">CSV</option>
          <option value="json">JSON array</option>
          <option value="ndjson">NDJSON</option>
        </select>
      </label>
      <button type="submit" className="primary" disabled={!file || busy}>
        {busy ? 'Importing…' : 'Import'}
      </button>
      <div className="form-error">
        <ErrorBox error={error} title="Import failed" />
      </div>
    </form>
  );
}
