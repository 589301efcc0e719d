/**
 * Name / value rows of the manual run form's advanced overrides: env values (plain text) or
 * secrets (password inputs, autocomplete off, never pre-filled from anything but what the user
 * types now). Every input has a label naming its row.
 */
import { useRef } from 'react';

export interface OverrideRow {
  /** Stable React key. */
  key: number;
  name: string;
  value: string;
}

let nextKey = 1;
/** An empty row with a fresh key. */
export const blankRow = (): OverrideRow => ({ key: nextKey++, name: '', value: '' });

export function OverrideRows({ kind, rows, onChange }: { kind: 'env' | 'secret'; rows: OverrideRow[]; onChange(rows: OverrideRow[]): void }) {
  const secret = kind === 'secret';
  const noun = secret ? 'secret' : 'env value';
  const list = useRef<HTMLDivElement>(null);
  const set = (key: number, patch: Partial<OverrideRow>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const add = () => {
    onChange([...rows, blankRow()]);
    // Focus the new row's name once it is drawn.
    setTimeout(() => list.current?.querySelector<HTMLInputElement>('.override-row:last-child input')?.focus(), 0);
  };
  return (
    <fieldset className="overrides" data-testid={`${kind}-overrides`}>
      <legend>{secret ? 'Secrets' : 'Env values'}</legend>
      <div ref={list}>
        {rows.map((r, i) => (
          <div className="override-row" key={r.key}>
            <label>
              {secret ? 'Secret' : 'Env'} {i + 1} name
              <input
                type="text"
                value={r.name}
                onChange={(e) => set(r.key, { name: e.target.value })}
                autoComplete="off"
                spellCheck={false}
                placeholder={secret ? 'API_TOKEN' : 'MODE'}
              />
            </label>
            <label>
              {secret ? 'Secret' : 'Env'} {i + 1} value
              {secret ? (
                <input type="password" value={r.value} onChange={(e) => set(r.key, { value: e.target.value })} autoComplete="off" spellCheck={false} />
              ) : (
                <input type="text" value={r.value} onChange={(e) => set(r.key, { value: e.target.value })} autoComplete="off" spellCheck={false} />
              )}
            </label>
            <button type="button" onClick={() => onChange(rows.filter((x) => x.key !== r.key))} aria-label={`Remove ${noun} ${i + 1}`}>
              Remove
            </button>
          </div>
        ))}
      </div>
      <button type="button" onClick={add}>
        Add {noun}
      </button>
    </fieldset>
  );
}
