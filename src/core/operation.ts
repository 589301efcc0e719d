/**
 * Bulk operations: one action (cancel, retry failed items, delete) applied to every run that
 * matches a filter, executed in the background in batches and tracked as a durable record with
 * progress counts.
 */
import { RUN_STATUSES, isTerminalRun, type RunStatus } from './status.js';
import { ValidationError } from './errors.js';

/** What an operation does to each matching run. */
export const OperationAction = {
  /** Cancel the run (only non-terminal runs can be canceled). */
  cancel: 'cancel',
  /** Re-queue the run's failed items. */
  retry_failed: 'retry_failed',
  /** Delete the run with its items and events (only terminal runs can be deleted). */
  delete: 'delete',
} as const;
export type OperationAction = (typeof OperationAction)[keyof typeof OperationAction];
export const OPERATION_ACTIONS = Object.values(OperationAction) as readonly OperationAction[];

/** Operation statuses. */
export const OperationStatus = {
  /** Accepted and durable; batches are being applied. Progress counts grow. */
  running: 'running',
  /** Every matching run was visited; `failed` counts the runs the action was refused for. */
  succeeded: 'succeeded',
  /** Stopped early on an error that is not about one run (`error` says which), or interrupted. */
  failed: 'failed',
} as const;
export type OperationStatus = (typeof OperationStatus)[keyof typeof OperationStatus];

/** True for `succeeded` and `failed`: the record no longer changes. */
export function isTerminalOperation(status: OperationStatus): boolean {
  return status !== 'running';
}

/** Run statuses an action can apply to, or `undefined` when any status may qualify. */
function actionableStatuses(action: OperationAction): readonly RunStatus[] | undefined {
  switch (action) {
    case 'delete':
      return RUN_STATUSES.filter(isTerminalRun);
    case 'cancel':
      return RUN_STATUSES.filter((s) => !isTerminalRun(s));
    case 'retry_failed':
      // Which runs can be retried is the run-control rule; refusals are counted per run.
      return undefined;
    default: {
      const never: never = action;
      throw new Error(`unexpected action ${String(never)}`);
    }
  }
}

/**
 * The selection an operation really applies to: `delete` only ever touches terminal runs and
 * `cancel` only non-terminal ones, so the status filter is narrowed to those (all of them when
 * none was given). The preview count of a bulk action uses the same narrowing.
 * @throws ValidationError naming `filter` when it has no criterion (a bulk action over every
 *   run must be asked for explicitly, e.g. with every terminal status), or naming
 *   `filter.status` when none of the given statuses can take the action.
 */
export function effectiveSelection<F extends { status?: RunStatus[] }>(action: OperationAction, filter: F): F {
  const criteria = Object.values(filter).filter((v) => v !== undefined && !(Array.isArray(v) && v.length === 0));
  if (criteria.length === 0) {
    throw new ValidationError('filter: give at least one criterion (status, kind, mode, trigger, target_id, name, created_after or created_before)', {
      field: 'filter',
    });
  }
  const allowed = actionableStatuses(action);
  if (!allowed) return { ...filter };
  const given = filter.status?.length ? filter.status : allowed;
  const status = given.filter((s) => allowed.includes(s));
  if (status.length === 0) {
    const verb = action === 'delete' ? 'deleted (only finished runs)' : 'canceled (only unfinished runs)';
    throw new ValidationError(`filter.status: runs in ${given.join(', ')} cannot be ${verb}`, { field: 'filter.status' });
  }
  return { ...filter, status };
}
