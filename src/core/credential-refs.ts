/**
 * References to saved credentials in a producer config (issue 17 §6). A definition names a
 * credential, never holds its value; the engine reveals it when an attempt runs, so rotating
 * the credential changes the next runs without editing the definition.
 *
 * Two shapes:
 * - A placeholder `{{credentials.NAME}}` inside a string, where the producer resolves them
 *   ({@link Producer.credentialFields}: `headers` for `http`). Templates leave it unrendered
 *   at planning, so the clear value never lands in an item's inputs.
 * - A map `credentials: { ENV_VAR: "NAME" }` (`shell`, `js`): the value is exposed to the
 *   attempt as env variable `ENV_VAR` (`ProducerContext.env`).
 *
 * `credentials.` at the head of a template path is reserved for this: `{{credentials.x}}`
 * never reads a row field. Pure.
 */
import { PermanentError } from './errors.js';

/** A credential placeholder; group 1 is the credential name (letters, digits, `_`, `.`, `-`). */
const PLACEHOLDER = /\{\{\s*credentials\.([A-Za-z0-9_.-]+)\s*\}\}/g;

/** One credential a config refers to: its name and the dotted path of the field naming it. */
export interface CredentialRef {
  name: string;
  field: string;
  /** `placeholder`: inside a string; `env`: an entry of the `credentials` map (field `config.credentials.<ENV>`). */
  via: 'placeholder' | 'env';
  /** For `env` refs: the variable the value is exposed as. */
  env?: string;
}

/** The credential names of placeholders in `text`, in order of appearance. */
export function placeholderNames(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/**
 * `source` with every credential placeholder escaped for Handlebars (`\{{credentials.x}}`), so
 * rendering it leaves the placeholder as it is and template-field checks do not see it.
 */
export function protectPlaceholders(source: string): string {
  if (!source.includes('credentials')) return source;
  return source.replace(PLACEHOLDER, (m, _name: string, offset: number) => (offset > 0 && source[offset - 1] === '\\' ? m : `\\${m}`));
}

function walk(value: unknown, path: string, onString: (s: string, path: string) => void): void {
  if (typeof value === 'string') onString(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`, onString));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`, onString);
}

/**
 * Every credential `config` refers to: placeholders in strings at any depth, and the entries of
 * a top-level `credentials` map whose values are strings (its shape is checked by the producer).
 * @param root the dotted path of `config`, for `field`.
 */
export function credentialRefs(config: unknown, root = 'config'): CredentialRef[] {
  const out: CredentialRef[] = [];
  if (!config || typeof config !== 'object' || Array.isArray(config)) return out;
  for (const [k, v] of Object.entries(config)) {
    if (k === 'credentials' && v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [env, name] of Object.entries(v)) {
        if (typeof name === 'string') out.push({ name, field: `${root}.credentials.${env}`, via: 'env', env });
      }
      continue;
    }
    walk(v, `${root}.${k}`, (s, p) => {
      for (const name of placeholderNames(s)) out.push({ name, field: p, via: 'placeholder' });
    });
  }
  return out;
}

/**
 * A copy of `inputs` whose strings under the top-level keys `fields` have their placeholders
 * replaced by the values in `values` (name → clear value). Other keys are kept as they are (a
 * placeholder a row value carried into them is never filled).
 * @throws PermanentError `credential_not_found` naming the credential (never a value) when a
 *   placeholder names a credential `values` does not hold.
 */
export function fillPlaceholders(inputs: Record<string, unknown>, fields: readonly string[], values: ReadonlyMap<string, string>): Record<string, unknown> {
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('credentials')) return v;
      return v.replace(PLACEHOLDER, (_m, name: string) => {
        const value = values.get(name);
        if (value === undefined) throw credentialNotFound(name);
        return value;
      });
    }
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  const out: Record<string, unknown> = { ...inputs };
  for (const f of fields) if (Object.hasOwn(out, f)) out[f] = fill(out[f]);
  return out;
}

/** The error of an attempt whose credential does not exist (any more) in the run's workspace. */
export function credentialNotFound(name: string): PermanentError {
  return new PermanentError(
    'credential_not_found',
    `credential ${JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}…` : name)} does not exist in this workspace (deleted after the definition named it?); save it with PUT /v1/credentials/{name}`,
    { credential: name },
  );
}
