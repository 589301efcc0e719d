/**
 * A rule's target for one event (issue 15). A rule's target is a target of any registered run
 * kind whose string values may be Handlebars templates over the event (`{{event.data.…}}`,
 * strict; a value that is exactly one placeholder keeps the event value's type), e.g. a flow's
 * inputs or a worker's subject:
 *
 *   {type: 'flow', flow_id: 'flw_…', inputs: {order: '{{event.data.order}}'}}
 *   {type: 'worker', worker_id: 'wrk_…', subject: '{{event.data.email}}'}
 *
 * The rendered target goes through the kind registry like any other (`parseTarget`, `resolve`,
 * `start`), so a new kind needs nothing here. A kind whose target must be shaped from the event
 * otherwise registers a {@link TriggerTargetAdapter} under its name.
 */
import type { TargetRef } from '../../core/kind.js';
import { collectTemplateFields, renderDeep } from '../../core/template.js';
import { eventScope, type TriggerEventRecord } from '../../core/triggers.js';

/**
 * Shapes a kind's target for one event after the templates are rendered (e.g. fills a default
 * subject from the event). Pure; throws RunyardError (`template_error`, `validation_failed`) to
 * fail the fire with that reason.
 */
export type TriggerTargetAdapter = (target: TargetRef, event: Pick<TriggerEventRecord, 'id' | 'name' | 'data' | 'ts'>) => TargetRef;

const adapters = new Map<string, TriggerTargetAdapter>();

/** Registers the adapter of a run kind (by its canonical name); a second registration replaces the first. */
export function registerTriggerTargetAdapter(kind: string, adapter: TriggerTargetAdapter): void {
  adapters.set(kind, adapter);
}

/**
 * Checks the templates of a rule's target (syntax only; the fields are the event's).
 * @throws ValidationError naming `target.<path>`
 */
export function checkTargetTemplates(target: TargetRef): void {
  const { type: _type, ...rest } = target;
  collectTemplateFields(rest, 'target');
}

/** Top-level keys of a target whose value holds a template (`inputs`, `subject`, …). */
export function templatedTargetKeys(target: TargetRef): string[] {
  return Object.entries(target)
    .filter(([k, v]) => k !== 'type' && collectTemplateFields(v, k).length > 0)
    .map(([k]) => k);
}

/**
 * A rule's target for an event: every string value but `type` rendered against
 * `{event: {id, name, data, ts}}` (a value that is exactly one placeholder keeps its type), then
 * the kind's adapter, if one is registered.
 * @throws RunyardError `template_error` naming the path and the missing field
 */
export function targetForEvent(target: TargetRef, event: Pick<TriggerEventRecord, 'id' | 'name' | 'data' | 'ts'>): TargetRef {
  const { type, ...rest } = target;
  const rendered = { ...(renderTyped(rest, eventScope(event), 'target') as Record<string, unknown>), type } as TargetRef;
  const adapter = adapters.get(String(type));
  return adapter ? adapter(rendered, event) : rendered;
}

const LONE_PATH = /^\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}$/;

/** The value at a dotted path of own properties, or undefined. */
function lookup(scope: unknown, path: string): unknown {
  let v: unknown = scope;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/**
 * {@link renderDeep}, but a string that is exactly one dotted placeholder (`{{event.data.n}}`)
 * keeps the value's own type (number, object, list); anything else renders as text, strictly.
 */
function renderTyped(value: unknown, scope: Record<string, unknown>, path: string): unknown {
  if (typeof value === 'string') {
    const m = LONE_PATH.exec(value);
    const v = m?.[1] === undefined ? undefined : lookup(scope, m[1]);
    return v === undefined ? renderDeep(value, scope, path) : v;
  }
  if (Array.isArray(value)) return value.map((v, i) => renderTyped(v, scope, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderTyped(v, scope, `${path}.${k}`)]));
  return value;
}
