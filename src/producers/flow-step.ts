/**
 * The `flow_step` producer: records a step a flow computed itself (branch, decide, summarize,
 * an empty loop) as an item, or fails it. Its inputs are `{output}` (returned as the item's
 * outputs) or `{error: {code, message}}` (a permanent failure with that code, e.g.
 * `expression_error` naming the expression). With `wait_until` (epoch ms, a `wait` step) an
 * attempt before that time is retryable (`waiting_until`, retry after the time left, bounded by
 * the run's max retry delay). Planned only by the flow kind (kinds/flow).
 */
import { PermanentError, RetryableError } from '../core/errors.js';
import type { Producer, ProducerContext, ProducerResult } from '../core/producer.js';
import { ValidationError } from '../core/errors.js';

/** Creates the `flow_step` producer. */
export function createFlowStepProducer(): Producer {
  return {
    name: 'flow_step',
    /** @throws ValidationError unless the config holds `output` (an object) or `error` */
    validate(config: unknown): void {
      const c = config as { output?: unknown; error?: unknown } | null;
      if (!c || (typeof c.output !== 'object' && typeof c.error !== 'object')) {
        throw new ValidationError('config: a flow step records {output} or {error}', { field: 'config' });
      }
    },
    execute(ctx: ProducerContext): Promise<ProducerResult> {
      const { output, error, wait_until } = ctx.inputs as { output?: Record<string, unknown>; error?: { code: string; message: string }; wait_until?: number };
      if (error) return Promise.reject(new PermanentError(error.code, error.message));
      // A `wait` step: until its time, the attempt gives the item back (no slot held meanwhile).
      const left = typeof wait_until === 'number' ? wait_until - Date.now() : 0;
      if (left > 0) return Promise.reject(new RetryableError('waiting_until', `waiting until ${new Date(wait_until!).toISOString()}`, left));
      return Promise.resolve({ value: output ?? null, outputs: output ?? {} });
    },
  };
}
