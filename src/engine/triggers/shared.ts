/**
 * What the trigger parts (events, rules, schedules, hooks, routing) share: options, dependencies
 * and small checks. See engine/triggers.ts for the guarantees.
 */
import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { Clock, IdSource } from '../../core/ids.js';
import type { TargetRef } from '../../core/kind.js';
import { EVENT_DEDUPE_WINDOW_MS, checkPromptTemplate, type FireRecord, type TriggerEventRecord, type TriggerRunOptions } from '../../core/triggers.js';
import type { KindRegistry } from '../../kinds/index.js';
import type { Store } from '../../store/port.js';
import type { Logger } from '../logger.js';
import type { ProfileCatalog } from '../profiles.js';
import { templatedTargetKeys } from './targets.js';
import { kindReader, type RunsService, type StartColumnRun } from '../runs-service.js';
import type { SecretBox } from '../secrets.js';

/** Timing of the trigger loops. */
export interface TriggerOptions {
  /** How long a node owns a fire it took before a sweep may take it, ms. @default 30000 */
  fireLeaseMs: number;
  /** How often the sweep looks for fires a crash left, ms. @default 1000 */
  sweepMs: number;
  /** How often schedules are checked for due slots, ms. @default 250 */
  scheduleTickMs: number;
  /** A slot older than this when decided was missed (no node ran): fired only per `catch_up`, ms. @default 60000 */
  missedAfterMs: number;
  /** How long an event `id` de-duplicates, ms. @default 24 h */
  dedupeWindowMs: number;
  /**
   * A fire held by a rule's concurrency limit is re-checked after this long even if no freed
   * slot woke it (a node that crashed between freeing and waking), ms. @default 60000
   */
  heldRecheckMs: number;
}

export const defaultTriggerOptions: TriggerOptions = {
  fireLeaseMs: 30_000,
  sweepMs: 1000,
  scheduleTickMs: 250,
  missedAfterMs: 60_000,
  dedupeWindowMs: EVENT_DEDUPE_WINDOW_MS,
  heldRecheckMs: 60_000,
};

export interface TriggersDeps {
  store: Store;
  runs: RunsService;
  kinds: KindRegistry;
  profiles: Pick<ProfileCatalog, 'resolve'>;
  clock: Clock;
  ids: IdSource;
  logger: Logger;
  secrets?: SecretBox | undefined;
  options?: Partial<TriggerOptions> | undefined;
  /** Called with every new event after it is recorded (flows resume `wait` steps on it); errors are logged. */
  onEvent?: ((ev: TriggerEventRecord) => Promise<unknown>) | undefined;
}

/** The dependencies with the options resolved, as every part receives them. */
export type TriggerContext = Omit<TriggersDeps, 'options'> & { options: TriggerOptions };

/** Routes fires after commit (engine/triggers/routing.ts); the parts that write fires hand them over. */
export interface FireSink {
  routeSoon(fires: FireRecord[]): void;
}

/** A fire as shown on an event, rule or schedule. */
export type FireView = Pick<FireRecord, 'source_type' | 'source_id' | 'source_version' | 'cause' | 'event_id' | 'slot_at' | 'status' | 'reason' | 'run_id'>;

/** @throws ValidationError naming `field` unless 1 to `max` characters without line breaks */
export function nameCheck(v: string, field: string, max = 200): void {
  if (v.length === 0 || v.length > max || /[\r\n\0]/.test(v))
    throw new ValidationError(`${field}: expected 1 to ${max} characters without line breaks`, { field });
}

/** The run options (mode, profile, name) a rule or schedule gives its runs. */
export function runOpts(o: TriggerRunOptions): StartColumnRun {
  return {
    ...(o.mode === undefined ? {} : { mode: o.mode }),
    ...(o.profile === undefined ? {} : { profile: o.profile }),
    ...(o.run_name === undefined ? {} : { name: o.run_name }),
  };
}

/**
 * Checks the run options of a rule or schedule: the prompt parses, the profile and mode exist,
 * the target names a registered kind and exists (through the kind registry).
 * @throws ValidationError naming `prompt`, `profile`, `mode`, `target.type` or `target`
 */
export async function checkRunOptions(ctx: TriggerContext, ws: string, o: TriggerRunOptions, target: TargetRef): Promise<void> {
  if (o.prompt !== undefined) {
    if (o.prompt.length > 32 * 1024) throw new ValidationError('prompt: at most 32 KiB', { field: 'prompt' });
    checkPromptTemplate(o.prompt);
  }
  if (o.profile !== undefined) ctx.profiles.resolve(o.profile);
  if (o.mode !== undefined && !['live', 'dry_run', 'smoke_test'].includes(o.mode))
    throw new ValidationError('mode: expected live, dry_run or smoke_test', { field: 'mode' });
  const kind = ctx.kinds.get(String(target.type), 'target.type');
  // Values that are templates over the event (rules) are checked per event: a refusal naming one of them is not final here.
  const templated = new Set(templatedTargetKeys(target));
  try {
    await kind.resolve(kind.parseTarget(target), kindReader(ctx.store, ws));
  } catch (err) {
    if (err instanceof NotFoundError) throw new ValidationError(`target: ${err.message}`, { field: 'target' });
    const head =
      err instanceof ValidationError
        ? String(err.details?.field ?? '')
            .replace(/^target\./, '')
            .split(/[.[]/)[0]
        : undefined;
    if (head !== undefined && templated.has(head)) return;
    throw err;
  }
}
