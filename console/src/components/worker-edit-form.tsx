/**
 * The Edit form of a worker page (issue 14 item 2: editing makes a new version). It starts from
 * a version's definition and changes its name, instructions, model (model, base URL,
 * temperature, max output tokens), tool categories, output (mode, policy, slot, field, table)
 * and limits; everything else (context sources, the key's env name, HTTP hosts, …) is kept as
 * it is. Saving posts the whole definition to `POST /v1/workers/{id}/versions` (editor), which
 * answers the new version; the instructions of earlier versions stay as they were. A 422 is
 * shown next to the field it names (`details.field`: `model.base_url`, `tool_categories[1]`,
 * `output.mode`, `limits.max_steps`, …) and the form keeps what was typed.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, errorField, must, type Schemas } from '../api/client';
import { ErrorBox } from './ui';

type Worker = Schemas['Worker'];

/** The tool categories (src/core/worker-tools.ts TOOL_CATEGORIES). */
export const TOOL_CATEGORIES = ['read_records', 'write_comments', 'update_records', 'create_records', 'http', 'run_flow'] as const;
const OUTPUT_MODES = ['task_comment', 'record_field', 'new_record', 'none'] as const;
const POLICIES = ['replace', 'append', 'once'] as const;
/** The limits edited, in the order shown (src/core/worker.ts LimitsSchema). */
const LIMITS = [
  ['max_steps', 'Max LLM calls'],
  ['max_tool_calls', 'Max tool calls'],
  ['max_tokens', 'Max tokens'],
  ['max_credits_micro', 'Max µ-credits'],
  ['timeout_s', 'Time limit (s)'],
] as const;
type LimitKey = (typeof LIMITS)[number][0];

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** A number box's value for the API: blank → left out (the default applies); not a number → sent as typed, so the 422 names it. */
function num(v: string): number | string | undefined {
  const t = v.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

/** Drops the keys whose value is undefined. */
const defined = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** True when the field a 422 names is `name` or inside it (`tool_categories[1]` is inside `tool_categories`). */
export function namesField(field: string | null, name: string): boolean {
  return field !== null && (field === name || field.startsWith(`${name}.`) || field.startsWith(`${name}[`));
}

export function WorkerEditForm({ worker, onSaved, onCancel }: { worker: Worker; onSaved(w: Worker): void; onCancel(): void }) {
  const def = obj(worker.definition);
  const model = obj(def.model);
  const output = obj(def.output);
  const limits = obj(def.limits);
  const [name, setName] = useState(worker.name);
  const [instructions, setInstructions] = useState(worker.instructions);
  const [modelName, setModelName] = useState(str(model.model));
  const [baseUrl, setBaseUrl] = useState(str(model.base_url));
  const [temperature, setTemperature] = useState(str(model.temperature));
  const [maxOut, setMaxOut] = useState(str(model.max_output_tokens));
  const [categories, setCategories] = useState<string[]>(worker.tool_categories);
  const [mode, setMode] = useState(str(output.mode) || 'none');
  const [policy, setPolicy] = useState(str(output.policy) || 'replace');
  const [slot, setSlot] = useState(str(output.slot));
  const [field, setField] = useState(str(output.field));
  const [tableId, setTableId] = useState(str(output.table_id));
  const [lims, setLims] = useState<Record<LimitKey, string>>(Object.fromEntries(LIMITS.map(([k]) => [k, str(limits[k])])) as Record<LimitKey, string>);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body: Obj = {
      ...def,
      name,
      instructions,
      model: defined({ ...model, model: modelName, base_url: baseUrl, temperature: num(temperature), max_output_tokens: num(maxOut) }),
      tool_categories: TOOL_CATEGORIES.filter((c) => categories.includes(c)),
      output: defined({
        mode,
        policy,
        slot: slot.trim() || undefined,
        field: mode === 'record_field' ? field.trim() || undefined : undefined,
        table_id: mode === 'new_record' ? tableId.trim() || undefined : undefined,
      }),
      limits: defined(Object.fromEntries(LIMITS.map(([k]) => [k, num(lims[k])]))),
    };
    try {
      onSaved(await must(api.POST('/v1/workers/{worker_id}/versions', { params: { path: { worker_id: worker.id } }, body })));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const bad = errorField(error);
  const message = error instanceof Error ? error.message : '';
  const inv = (f: string) => namesField(bad, f);
  /** The fields on screen: a 422 naming none of them is shown above the buttons instead. */
  const shown = [
    'name',
    'instructions',
    'model.model',
    'model.base_url',
    'model.temperature',
    'model.max_output_tokens',
    'tool_categories',
    'output.mode',
    'output.policy',
    'output.slot',
    ...(mode === 'record_field' ? ['output.field'] : []),
    ...(mode === 'new_record' ? ['output.table_id'] : []),
    ...LIMITS.map(([k]) => `limits.${k}`),
  ];
  const at = { bad, message };

  return (
    <form className="form worker-edit" aria-label="Edit this worker" onSubmit={(e) => void submit(e)} noValidate>
      <fieldset disabled={busy}>
        <legend>Edit: saves version {worker.latest_version + 1}</legend>
        <p className="small muted">
          From v{worker.version}. The context sources and the model&apos;s key settings are kept as they are (edit those with <code>runyard workers edit</code>
          ).
        </p>
        <FieldBox name="name" label="Name" {...at}>
          <input value={name} onChange={(e) => setName(e.target.value)} aria-invalid={inv('name')} maxLength={200} />
        </FieldBox>
        <FieldBox name="instructions" label="Instructions" wide {...at}>
          <textarea value={instructions} onChange={(e) => setInstructions(e.target.value)} rows={6} aria-invalid={inv('instructions')} />
        </FieldBox>
        <div className="form-row">
          <FieldBox name="model.model" label="Model" {...at}>
            <input value={modelName} onChange={(e) => setModelName(e.target.value)} aria-invalid={inv('model.model')} />
          </FieldBox>
          <FieldBox name="model.base_url" label="Base URL" {...at}>
            <input value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} aria-invalid={inv('model.base_url')} />
          </FieldBox>
          <FieldBox name="model.temperature" label="Temperature" {...at}>
            <input inputMode="decimal" value={temperature} onChange={(e) => setTemperature(e.target.value)} aria-invalid={inv('model.temperature')} />
          </FieldBox>
          <FieldBox name="model.max_output_tokens" label="Max output tokens" {...at}>
            <input inputMode="numeric" value={maxOut} onChange={(e) => setMaxOut(e.target.value)} aria-invalid={inv('model.max_output_tokens')} />
          </FieldBox>
        </div>
        <fieldset className="schema-field" data-field="tool_categories">
          <legend>Tool categories</legend>
          {TOOL_CATEGORIES.map((c) => (
            <label key={c} className="inline">
              <input
                type="checkbox"
                checked={categories.includes(c)}
                aria-invalid={inv('tool_categories')}
                onChange={(e) => setCategories((cs) => (e.target.checked ? [...cs, c] : cs.filter((x) => x !== c)))}
              />{' '}
              {c.replace(/_/g, ' ')}
            </label>
          ))}
          <FieldMessage name="tool_categories" {...at} />
        </fieldset>
        <div className="form-row">
          <FieldBox name="output.mode" label="Output" {...at}>
            <select value={mode} onChange={(e) => setMode(e.target.value)} aria-invalid={inv('output.mode')}>
              {OUTPUT_MODES.map((m) => (
                <option key={m} value={m}>
                  {m.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </FieldBox>
          <FieldBox name="output.policy" label="Policy" {...at}>
            <select value={policy} onChange={(e) => setPolicy(e.target.value)} aria-invalid={inv('output.policy')}>
              {POLICIES.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </FieldBox>
          <FieldBox name="output.slot" label="Slot" {...at}>
            <input value={slot} onChange={(e) => setSlot(e.target.value)} placeholder="output" aria-invalid={inv('output.slot')} />
          </FieldBox>
          {mode === 'record_field' ? (
            <FieldBox name="output.field" label="Field written" {...at}>
              <input value={field} onChange={(e) => setField(e.target.value)} aria-invalid={inv('output.field')} />
            </FieldBox>
          ) : null}
          {mode === 'new_record' ? (
            <FieldBox name="output.table_id" label="Table of the new row" {...at}>
              <input value={tableId} onChange={(e) => setTableId(e.target.value)} placeholder="tbl_…" aria-invalid={inv('output.table_id')} />
            </FieldBox>
          ) : null}
        </div>
        <div className="form-row">
          {LIMITS.map(([k, label]) => (
            <FieldBox key={k} name={`limits.${k}`} label={label} {...at}>
              <input inputMode="numeric" value={lims[k]} onChange={(e) => setLims((l) => ({ ...l, [k]: e.target.value }))} aria-invalid={inv(`limits.${k}`)} />
            </FieldBox>
          ))}
        </div>
        <ErrorBox error={shown.some((f) => inv(f)) ? null : error} title="Could not save the worker" />
        <div className="actions">
          <button type="submit" className="primary">
            {busy ? 'Saving…' : `Save as v${worker.latest_version + 1}`}
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </fieldset>
    </form>
  );
}

interface At {
  /** The field a 422 names, if any. */
  bad: string | null;
  /** The API's message. */
  message: string;
}

/** The API's message when its 422 names `name` or a field inside it. */
function FieldMessage({ name, bad, message }: At & { name: string }) {
  if (!namesField(bad, name)) return null;
  return (
    <span className="field-error" role="alert" data-testid="field-error" data-field-error={name}>
      {message}
    </span>
  );
}

/** A labelled control with the API's message under it when a 422 names its field. */
function FieldBox({ name, label, wide, children, ...at }: At & { name: string; label: string; wide?: boolean; children: ReactNode }) {
  return (
    <label className={wide ? 'block' : undefined} data-field={name}>
      {label}
      {children}
      <FieldMessage name={name} {...at} />
    </label>
  );
}
