/**
 * Which field labels a table's rows (issue 14 item 7: "item lists everywhere label an item by its
 * record — the row's first text field or a chosen label field"). Shown on the table page: an
 * editor picks a field, or *the first text field* (null), and it is saved at once with `PATCH
 * /v1/tables/{id} {label_column}`; item lists, run cards and comparisons then name the rows by it.
 * Others see the choice as text. A refusal (422 naming `label_column`) is shown in place.
 */
import { useState } from 'react';
import { api, must, type Table } from '../api/client';
import { ErrorBox } from './ui';

export function TableLabelField({ table, canEdit, onSaved }: { table: Table; canEdit: boolean; onSaved(t: Table): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  if (!canEdit) {
    return (
      <p className="small muted" data-testid="label-field">
        Rows are labelled by {table.label_column ? `the field ${table.label_column}` : 'their first text field'}.
      </p>
    );
  }
  async function choose(value: string) {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      onSaved(
        await must(api.PATCH('/v1/tables/{table_id}', { params: { path: { table_id: table.id } }, body: { label_column: value === '' ? null : value } })),
      );
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="label-field small" data-testid="label-field">
      <label className="inline">
        Rows are labelled by{' '}
        <select value={table.label_column ?? ''} onChange={(e) => void choose(e.target.value)} disabled={busy} aria-label="Label field">
          <option value="">their first text field</option>
          {table.fields.map((f) => (
            <option key={f} value={f}>
              the field {f}
            </option>
          ))}
        </select>
      </label>{' '}
      <span className="muted" role="status">
        {saved ? 'Saved: item lists and run cards name rows by it.' : ''}
      </span>
      <ErrorBox error={error} title="Could not change the label field" />
    </div>
  );
}
