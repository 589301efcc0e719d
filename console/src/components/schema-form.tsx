/**
 * A form generated from a JSON Schema (the subset flows use for a run's `inputs` and a wait's
 * `form`): an object whose properties are `string` (a text box; `format: date` a date picker),
 * `number` / `integer` (a number box), `boolean` (a checkbox), an `enum` (a select) or an
 * `array` of an `enum` (a group of checkboxes: multi-select); `default`s fill the fields,
 * `title` labels them (else the property name) and `description` is a hint. Other shapes are a
 * JSON text box. Validation is the server's: a 422's `details.field` (e.g. `values.reason`)
 * marks that field invalid and shows the message next to it.
 */
import type { ReactNode } from 'react';

/** One property of the schema subset. */
export interface FieldSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  format?: string;
  default?: unknown;
  items?: { enum?: unknown[]; type?: string };
}

/** An object schema as flows use it. */
export interface ObjectSchema {
  properties?: Record<string, FieldSchema>;
  required?: string[];
}

/** The form's raw state: strings for text and number boxes, booleans, string lists. */
export type RawValues = Record<string, string | boolean | string[]>;

type Kind = 'string' | 'date' | 'number' | 'integer' | 'boolean' | 'enum' | 'multi' | 'json';

function kindOf(f: FieldSchema): Kind {
  if (Array.isArray(f.enum)) return 'enum';
  const t = Array.isArray(f.type) ? f.type.find((x) => x !== 'null') : f.type;
  if (t === 'array' && Array.isArray(f.items?.enum)) return 'multi';
  if (t === 'string') return f.format === 'date' ? 'date' : 'string';
  if (t === 'number' || t === 'integer' || t === 'boolean') return t;
  return t === undefined ? 'string' : 'json';
}

const fieldsOf = (schema: ObjectSchema | null | undefined): [string, FieldSchema][] => Object.entries(schema?.properties ?? {});

/** The form's starting state: each field's `default`, else empty. */
export function initialValues(schema: ObjectSchema | null | undefined): RawValues {
  const out: RawValues = {};
  for (const [name, f] of fieldsOf(schema)) {
    const k = kindOf(f);
    const d = f.default;
    if (k === 'boolean') out[name] = d === true;
    else if (k === 'multi') out[name] = Array.isArray(d) ? d.map(String) : [];
    else if (k === 'json') out[name] = d === undefined ? '' : JSON.stringify(d);
    else out[name] = d === undefined || d === null ? '' : String(d);
  }
  return out;
}

/**
 * The values to send: numbers parsed, enums mapped back to their declared values, empty
 * optional fields left out (a required one left empty is left out too, so the server names it).
 * A number box that does not parse is sent as typed, for the server to refuse by name.
 */
export function collectValues(schema: ObjectSchema | null | undefined, raw: RawValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of fieldsOf(schema)) {
    const v = raw[name];
    const k = kindOf(f);
    if (k === 'boolean') out[name] = v === true;
    else if (k === 'multi') out[name] = (Array.isArray(v) ? v : []).map((s) => f.items?.enum?.find((e) => String(e) === s) ?? s);
    else if (typeof v !== 'string' || v === '') continue;
    else if (k === 'number' || k === 'integer') out[name] = Number.isFinite(Number(v)) ? Number(v) : v;
    else if (k === 'enum') out[name] = f.enum?.find((e) => String(e) === v) ?? v;
    else if (k === 'json') {
      try {
        out[name] = JSON.parse(v) as unknown;
      } catch {
        out[name] = v;
      }
    } else out[name] = v;
  }
  return out;
}

/**
 * The fields of `schema`. `prefix` is how the server names them (`values`, `inputs`): a 422
 * whose `field` is `${prefix}.${name}` marks that field.
 */
export function SchemaFields(props: {
  schema: ObjectSchema | null | undefined;
  values: RawValues;
  onChange(values: RawValues): void;
  prefix: string;
  idPrefix: string;
  errorField?: string | null;
  errorText?: string | null;
  disabled?: boolean;
}): ReactNode {
  const { schema, values, prefix, idPrefix } = props;
  const required = new Set(schema?.required ?? []);
  const set = (name: string, v: string | boolean | string[]) => props.onChange({ ...values, [name]: v });
  const fields = fieldsOf(schema);
  if (fields.length === 0) return null;
  return (
    <div className="schema-fields">
      {fields.map(([name, f]) => {
        const id = `${idPrefix}-${name}`;
        const k = kindOf(f);
        const bad = props.errorField === `${prefix}.${name}` || (props.errorField?.startsWith(`${prefix}.${name}.`) ?? false);
        const label = `${f.title ?? name}${required.has(name) ? ' *' : ''}`;
        const hint = f.description ? (
          <span className="small muted" id={`${id}-hint`}>
            {f.description}
          </span>
        ) : null;
        const err = bad ? (
          <span className="field-error" role="alert" id={`${id}-error`}>
            {props.errorText ?? 'invalid'}
          </span>
        ) : null;
        const describedBy = [f.description ? `${id}-hint` : '', bad ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
        const common = { id, name, disabled: props.disabled, 'aria-invalid': bad || undefined, 'aria-describedby': describedBy };
        if (k === 'boolean') {
          return (
            <div className="schema-field" key={name} data-field={name}>
              <label className="inline" htmlFor={id}>
                <input type="checkbox" {...common} checked={values[name] === true} onChange={(e) => set(name, e.target.checked)} />
                {label}
              </label>
              {hint}
              {err}
            </div>
          );
        }
        if (k === 'multi') {
          const chosen = Array.isArray(values[name]) ? (values[name] as string[]) : [];
          return (
            <fieldset className="schema-field" key={name} data-field={name} aria-invalid={bad || undefined} aria-describedby={describedBy}>
              <legend>{label}</legend>
              {(f.items?.enum ?? []).map((o) => {
                const s = String(o);
                return (
                  <label className="inline" key={s}>
                    <input
                      type="checkbox"
                      name={name}
                      disabled={props.disabled}
                      checked={chosen.includes(s)}
                      onChange={(e) => set(name, e.target.checked ? [...chosen, s] : chosen.filter((x) => x !== s))}
                    />
                    {s}
                  </label>
                );
              })}
              {hint}
              {err}
            </fieldset>
          );
        }
        const v = typeof values[name] === 'string' ? (values[name] as string) : '';
        let control: ReactNode;
        if (k === 'enum') {
          control = (
            <select {...common} value={v} onChange={(e) => set(name, e.target.value)}>
              <option value="">{required.has(name) ? 'choose…' : '—'}</option>
              {(f.enum ?? []).map((o) => (
                <option key={String(o)} value={String(o)}>
                  {String(o)}
                </option>
              ))}
            </select>
          );
        } else if (k === 'json') {
          control = <textarea {...common} rows={3} value={v} onChange={(e) => set(name, e.target.value)} placeholder="JSON" />;
        } else {
          const type = k === 'date' ? 'date' : k === 'number' || k === 'integer' ? 'number' : 'text';
          control = (
            <input
              {...common}
              type={type}
              step={k === 'integer' ? 1 : k === 'number' ? 'any' : undefined}
              value={v}
              onChange={(e) => set(name, e.target.value)}
            />
          );
        }
        return (
          <div className="schema-field" key={name} data-field={name}>
            <label htmlFor={id}>{label}</label>
            {control}
            {hint}
            {err}
          </div>
        );
      })}
    </div>
  );
}
