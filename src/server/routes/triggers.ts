/**
 * Triggers (issue 15): events, rules, schedules and webhooks.
 * - `POST /v1/events` records an event (`id` de-duplicates for 24 h: a repeat answers 200 with
 *   the first); `GET /v1/trigger-events[/{id}]` lists them with the runs they started
 *   (`GET /v1/events` is the run timeline stream, so received events are listed apart).
 * - `/v1/rules`: `on` an event name, CEL `if`, a target of any registered kind, prompt template,
 *   idempotency key; versioned; pause/resume; `POST /v1/rules/{id}/test` starts nothing.
 * - `/v1/schedules`: cron (+ seconds) in a time zone, one run per slot, pause/resume, next 5 times.
 * - `/v1/hooks`: Standard Webhooks endpoints; `POST /v1/hooks/{id}` carries no token (the
 *   signature is the credential) and answers 202, or 401/409/413 recorded as a rejection.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Engine } from '../../engine/engine.js';
import type { ServerContext } from '../context.js';
import { eventRoutes } from './triggers/events.js';
import { hookRoutes } from './triggers/hooks.js';
import { ruleRoutes } from './triggers/rules.js';
import { scheduleRoutes } from './triggers/schedules.js';

/** Registers the trigger routes: events, rules, schedules, hooks (in that order). */
export function triggerRoutes(app: OpenAPIHono, engine: Engine, sc: ServerContext): void {
  eventRoutes(app, engine);
  ruleRoutes(app, engine);
  scheduleRoutes(app, engine);
  hookRoutes(app, engine, sc);
}
