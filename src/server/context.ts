import type { Logger } from '../engine/logger.js';
import type { OriginPolicy } from './auth/origin.js';
import type { LimitSettings } from './auth/rate-limit.js';

/** What routes need besides the engine. */
export interface ServerContext {
  /** The public base URL used for `web_url` deep links, e.g. `http://127.0.0.1:8686`. */
  baseUrl(): string;
  /** Accepted Host and Origin values; absent or empty: no Host check (in-process use). */
  origins?: () => OriginPolicy | undefined;
  /** Origins allowed to call the API from a browser (CORS; `RUNYARD_CORS_ORIGINS`). @default none: CORS off */
  corsOrigins?: string[];
  /** Per-token request rate and SSE stream cap. @default limitSettings() (environment) */
  limits?: LimitSettings;
  /** Mark the console session cookie `Secure` (served over TLS). @default false (also set per request on https) */
  secureCookies?: boolean;
  /** Where write-audit failures are logged. @default silent */
  logger?: Logger;
}
