/**
 * Request and response schemas of manual runs (seed 000): the prompt, session and per-run
 * overrides a run request may carry, and how a run shows its overrides. Secret values are
 * write-only: a run shows their names, never their values.
 *
 * The zod schemas check shapes only; names, sizes and refused variables are checked by the
 * engine's policy (`core/env-policy.ts`), so every entry point gives the same answers.
 */
import { z } from '@hono/zod-openapi';

export const RunOverridesBody = z
  .object({
    env: z
      .record(z.string(), z.string())
      .optional()
      .openapi({
        description:
          'Env values for this run only (shown on the run). Names: letters, digits and _, at most 128 characters; ' +
          'names that would run code or redirect traffic (NODE_OPTIONS, LD_*, PATH, HTTP_PROXY, RUNYARD_*, …) are refused. ' +
          'Values at most 32 KiB, no NUL.',
        example: { MODE: 'fast' },
      }),
    secrets: z
      .record(z.string(), z.string())
      .optional()
      .openapi({
        description:
          'Secret values for this run only: encrypted at rest, redacted from outputs and errors, never returned. ' +
          'Same name rules as env; 1 byte to 8 KiB each; at most 100 variables with env.',
        example: { API_TOKEN: '…' },
      }),
  })
  .strict()
  .openapi('RunOverrides');

/** The manual-run fields, shared by `POST /v1/runs` and the column-run route. */
export const manualRunFields = {
  prompt: z.string().optional().openapi({ description: 'The instructions for this run (producers see RUNYARD_PROMPT); at most 32 KiB.' }),
  session_id: z.string().optional().openapi({ description: 'The workspace session tied to this run; at most 200 characters.' }),
  overrides: RunOverridesBody.optional(),
};

export const RunTargetBody = z
  .object({
    type: z
      .string()
      .min(1)
      .openapi({
        description:
          'The kind of target, one of the registered run kinds: `column` (and `flow` — `workflow` accepted —, `worker`, `ingestion` as ' +
          'their kinds are registered). An unknown kind is refused with 422 naming `target.type`. The other fields are read by the kind.',
        example: 'column',
      }),
    table_id: z.string().min(1).optional().openapi({ description: 'Column targets: the table' }),
    column: z.string().min(1).optional().openapi({ description: 'Column targets: the column id or name' }),
  })
  .catchall(z.unknown())
  .openapi('RunTarget');

export const ManualRunBody = z
  .object({
    target: RunTargetBody,
    name: z.string().min(1).max(200).optional(),
    profile: z.string().optional().openapi({ description: "Workload profile for this run; default: the target's" }),
    tags: z.array(z.string().max(100)).max(50).optional(),
    ...manualRunFields,
    trigger: z.enum(['manual', 'api', 'rule', 'schedule', 'webhook', 'event', 'chat']).optional().openapi({ description: 'Default: manual' }),
    actor: z.string().max(200).optional(),
  })
  .strict()
  .openapi('ManualRun');

/** How a run shows its overrides: env values, secret names only. */
export const RunOverridesView = z
  .object({ env: z.record(z.string(), z.string()), secret_names: z.array(z.string()) })
  .openapi('RunOverridesView', { description: 'Per-run env values and the names of per-run secrets (values are never returned).' });
