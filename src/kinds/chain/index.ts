/**
 * The `chain` test kind: the proof that a kind plugs into the engine without touching it. A
 * chain of `steps` items run one after another: its first item is step 0, and each step that
 * succeeds (or is answered) appends the next, until `steps`; step `wait_at` (if set) is an
 * `input` item that waits for an answer (`respondToItem`). The run's phase names the step it is
 * on (`step_0`, `step_1`, …; cleared once the last step succeeds, kept when a step fails); its
 * result, once its last step succeeds, is the summary `N steps done` and the output
 * `{ steps, last }` (the last step's outputs).
 *
 * Registered only when the environment has `RUNYARD_TEST_KINDS=1` (see `createKindRegistry`), so
 * that crash tests can drive it through real `runyard up` child processes; it is not a product
 * kind. Imports only the core.
 *
 * Target: `{type: 'chain', steps: N (1…1000), wait_at?: K (0…N-1), producer: string, config:
 * object, subject?: any, sink?: {table_id, key}}`; `config` may use `{{step}}` (the 0-based
 * step number). With `sink`, every step's output object is upserted as the row of table
 * `table_id` keyed by its field `key` (a rows sink, core/sink.ts). The chain's shape is frozen in
 * the run's `target_id` (`chain:N:K`, `-` for no wait), its step producer, config and sink in
 * the run spec.
 */
import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { FollowUp, PlannedItem, ResolvedTarget, RunKindModule, StartPlan, TargetRef } from '../../core/kind.js';
import type { RunRecord } from '../../core/model.js';
import { sinkOf } from '../../core/sink.js';
import { renderDeep } from '../../core/template.js';

/** A parsed chain target. */
export interface ChainRef {
  steps: number;
  wait_at: number | null;
  producer: string;
  config: Record<string, unknown>;
  subject: unknown;
  /** Where each step's output lands as a row keyed by its field `key`; null: nowhere. */
  sink: { table_id: string; key: string } | null;
}

const FIELDS: ReadonlySet<string> = new Set(['type', 'steps', 'wait_at', 'producer', 'config', 'subject', 'sink']);

/** Parses `target.sink`: `{table_id, key}`, both non-empty strings. */
function sinkField(raw: unknown): ChainRef['sink'] {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ValidationError('target.sink: expected {table_id, key}', { field: 'target.sink' });
  const { table_id, key, ...rest } = raw as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw new ValidationError(`target.sink.${extra}: not a field of a chain sink (table_id, key)`, { field: `target.sink.${extra}` });
  for (const [name, v] of [
    ['table_id', table_id],
    ['key', key],
  ] as const) {
    if (typeof v !== 'string' || v === '') throw new ValidationError(`target.sink.${name}: expected a non-empty string`, { field: `target.sink.${name}` });
  }
  return { table_id: table_id as string, key: key as string };
}

/** The phase of a chain on step `i`. */
function phaseOf(i: number): string {
  return `step_${i}`;
}
const MAX_STEPS = 1000;

function intField(raw: TargetRef, name: string, min: number, max: number): number {
  const v = raw[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ValidationError(`target.${name}: expected an integer from ${min} to ${max}`, { field: `target.${name}` });
  }
  return v;
}

/** The chain's shape as frozen in a run's `target_id`. */
function shapeOf(run: Pick<RunRecord, 'target_id'>): { steps: number; wait_at: number | null } {
  const [, steps, wait] = run.target_id.split(':');
  return { steps: Number(steps), wait_at: wait === undefined || wait === '-' ? null : Number(wait) };
}

/** Step `i` of a chain: the waiting step is an `input` item, the others run the chain's producer. */
function step(i: number, shape: { steps: number; wait_at: number | null }, config: Record<string, unknown>): PlannedItem {
  if (i === shape.wait_at) {
    return { key: `step:${i}`, producer: 'input', inputs: { prompt: `step ${i} of ${shape.steps}: answer to go on` } };
  }
  return { key: `step:${i}`, inputs: renderDeep(config, { step: i }, 'config') as Record<string, unknown> };
}

function stepOf(key: string): number {
  return Number(key.slice('step:'.length));
}

/** The chain kind module. */
export const chainKind: RunKindModule<ChainRef> = {
  kind: 'chain',
  outcome: 'items',

  parseTarget(raw) {
    for (const k of Object.keys(raw)) {
      if (!FIELDS.has(k)) throw new ValidationError(`target.${k}: not a field of a chain target (${[...FIELDS].join(', ')})`, { field: `target.${k}` });
    }
    const steps = intField(raw, 'steps', 1, MAX_STEPS);
    const wait_at = raw.wait_at === undefined || raw.wait_at === null ? null : intField(raw, 'wait_at', 0, steps - 1);
    if (typeof raw.producer !== 'string' || raw.producer === '')
      throw new ValidationError('target.producer: expected a producer name', { field: 'target.producer' });
    const config = raw.config;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new ValidationError('target.config: expected an object', { field: 'target.config' });
    }
    return { steps, wait_at, producer: raw.producer, config: config as Record<string, unknown>, subject: raw.subject ?? null, sink: sinkField(raw.sink) };
  },

  async resolve(ref, io): Promise<ResolvedTarget> {
    if (ref.sink && !(await io.table(ref.sink.table_id))) throw new NotFoundError('table', ref.sink.table_id);
    return {
      kind: 'chain',
      target_id: `chain:${ref.steps}:${ref.wait_at ?? '-'}`,
      target_version: 1,
      default_name: `chain of ${ref.steps}`,
      profile: 'small',
      producer: ref.producer,
      config: ref.config,
      sink: ref.sink && { type: 'rows', ...ref.sink },
      subject: ref.subject,
    };
  },

  start(target): Promise<StartPlan> {
    return Promise.resolve({ items: [step(0, shapeOf(target), target.config)], phase: phaseOf(0) });
  },

  next(run, outcome): FollowUp {
    if (outcome.kind === 'failed') return { append: [] };
    const shape = shapeOf(run);
    const i = stepOf(outcome.item.key);
    if (i + 1 < shape.steps) return { append: [step(i + 1, shape, run.spec.config)], phase: phaseOf(i + 1) };
    const last = outcome.kind === 'answered' ? outcome.answer : outcome.outputs;
    return { append: [], phase: null, result: { summary: `${shape.steps} steps done`, output: { steps: shape.steps, last } } };
  },

  replay(run): StartPlan {
    return { items: [step(0, shapeOf(run), run.spec.config)], phase: phaseOf(0) };
  },

  currentTarget(run): TargetRef {
    const { steps, wait_at } = shapeOf(run);
    const sink = sinkOf(run.spec);
    return {
      type: 'chain',
      steps,
      ...(wait_at === null ? {} : { wait_at }),
      producer: run.spec.producer,
      config: run.spec.config,
      ...(sink?.type === 'rows' ? { sink: { table_id: sink.table_id, key: sink.key } } : {}),
    };
  },
};
