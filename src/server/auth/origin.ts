/**
 * Host and Origin checks (DNS rebinding and cross-site requests). A browser page on another
 * site can make a victim's browser send requests to `127.0.0.1:8686`; a rebinding domain can
 * even make them look same-origin. Every request must name one of the configured addresses in
 * `Host`, and a request carrying `Origin` must come from one of them (or from an origin listed
 * in `RUNYARD_CORS_ORIGINS`). Both answer `403 forbidden` before any route runs.
 */
import type { MiddlewareHandler } from 'hono';
import { ForbiddenError } from '../../core/errors.js';

/** What the guard accepts. */
export interface OriginPolicy {
  /** Accepted `Host` values (`host:port`, lower case). Empty: no Host check (in-process tests). */
  hosts: ReadonlySet<string>;
  /** Extra origins allowed to call the API from a browser (`RUNYARD_CORS_ORIGINS`). */
  corsOrigins: ReadonlySet<string>;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** Whether `host` is a loopback address or name. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The accepted Host values for a server listening on `host:port`: that address, the loopback
 * names when it listens on loopback or on every address, and `RUNYARD_ALLOWED_HOSTS`
 * (comma-separated `name` or `name:port`; a bare name accepts any port).
 */
export function allowedHosts(host: string, port: number, extra: string | undefined = process.env.RUNYARD_ALLOWED_HOSTS): Set<string> {
  const out = new Set<string>();
  const add = (h: string) => out.add(`${h.toLowerCase()}:${port}`);
  add(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
  if (isLoopbackHost(host) || host === '0.0.0.0' || host === '::') LOOPBACK_NAMES.forEach(add);
  for (const e of (extra ?? '').split(',').map((s) => s.trim().toLowerCase())) {
    if (!e) continue;
    if (/:\d+$/.test(e)) out.add(e);
    else {
      add(e);
      out.add(`${e}:*`);
    }
  }
  return out;
}

function hostAccepted(policy: OriginPolicy, host: string): boolean {
  const h = host.toLowerCase();
  if (policy.hosts.has(h)) return true;
  const name = h.replace(/:\d+$/, '');
  return policy.hosts.has(`${name}:*`);
}

/** The guard; `policy()` is read per request (the port is known only once listening). */
export function hostOriginGuard(policy: () => OriginPolicy | undefined): MiddlewareHandler {
  return async (c, next) => {
    const p = policy();
    if (p && p.hosts.size > 0) {
      const host = c.req.header('host') ?? '';
      if (!hostAccepted(p, host)) {
        throw new ForbiddenError(`Host ${JSON.stringify(host.slice(0, 100))} is not an address of this server (set RUNYARD_ALLOWED_HOSTS to add one)`, 'admin');
      }
      const origin = c.req.header('origin');
      if (origin !== undefined && origin !== 'null') {
        let ok = p.corsOrigins.has(origin);
        try {
          const u = new URL(origin);
          ok ||= hostAccepted(p, u.host.includes(':') ? u.host : `${u.host}:${u.protocol === 'https:' ? 443 : 80}`);
        } catch {
          ok = false;
        }
        if (!ok) throw new ForbiddenError(`Origin ${JSON.stringify(origin.slice(0, 100))} may not call this server (RUNYARD_CORS_ORIGINS)`, 'admin');
      } else if (origin === 'null') {
        throw new ForbiddenError('requests from an opaque origin are refused', 'admin');
      }
    }
    await next();
  };
}
