/**
 * The `input` producer: asks for an answer instead of computing one. Every attempt ends as a
 * wait (`ProducerResult.wait`): the item becomes `waiting_for_input` with the rendered `prompt` (and
 * `form`), holds no executor slot, and is settled as `succeeded` with the answer as its outputs
 * when someone responds (`POST /v1/runs/{id}/items/{item}/respond`, `runyard items respond`).
 *
 * Config: `{ prompt: string, form?: object }`; both may hold templates over the row.
 */
import { z } from 'zod';
import type { ItemWait } from '../core/model.js';
import type { Producer, ProducerContext, ProducerResult } from '../core/producer.js';
import { parseConfig } from './config.js';

const nonEmpty = z.string({ error: 'expected a non-empty string' }).min(1, { error: 'expected a non-empty string' });
const schema = z.strictObject({
  prompt: nonEmpty,
  form: z.record(z.string(), z.unknown(), { error: 'expected an object' }).optional(),
  // A wait's inbox details (flows, issue 13): core/model.ts ItemWait.
  title: z.string().max(200).optional(),
  decisions: z.array(z.strictObject({ id: nonEmpty, label: z.string().optional(), next: z.string().optional() })).optional(),
  expires_in_ms: z.number().int().positive().optional(),
  on_timeout: z.enum(['fail', 'cancel', 'continue']).optional(),
  default: z.strictObject({ values: z.record(z.string(), z.unknown()).optional(), decision: z.string().optional() }).optional(),
  assignees: z.array(nonEmpty).optional(),
  event: z.strictObject({ name: nonEmpty, match: nonEmpty.optional() }).optional(),
});

/** The config of an `input` item. */
export type InputConfig = z.output<typeof schema>;

/** Creates the `input` producer. */
export function createInputProducer(): Producer {
  return {
    name: 'input',
    /** @throws ValidationError naming `config.prompt` or `config.form` */
    validate(config: unknown): void {
      parseConfig(schema, config);
    },
    execute(ctx: ProducerContext): Promise<ProducerResult> {
      const cfg = parseConfig(schema, ctx.inputs);
      const { prompt, form, ...details } = cfg;
      // Fields left out stay out (JSON of the wait keeps no undefined).
      const extra = JSON.parse(JSON.stringify(details)) as Partial<Omit<ItemWait, 'prompt' | 'form'>>;
      return Promise.resolve({ value: null, wait: { prompt, ...(form ? { form } : {}), ...extra } });
    },
  };
}
