/**
 * The route policy: the least role each API operation needs, keyed by the OpenAPI method and
 * path (`'POST /v1/runs/{run_id}/cancel'`). One table for every route; the authentication
 * middleware looks requests up in it before any handler runs. A route missing from the table
 * is refused to everyone but `admin` (default deny), and test/security/route-matrix.test.ts
 * fails until it is listed, so a new route is never silently open.
 */
import type { Role } from '../../core/access.js';

/** `public`: no credential (the login exchange); otherwise the least role. */
export type RouteNeed = Role | 'public';

/** The least role per operation. */
export const ROUTE_POLICY: Readonly<Record<string, RouteNeed>> = {
  // console session (login exchange, who am I, log out)
  'POST /v1/session': 'public',
  'GET /v1/session': 'viewer',
  'DELETE /v1/session': 'viewer',

  // read: viewer
  'GET /v1/tables': 'viewer',
  'GET /v1/tables/{table_id}': 'viewer',
  'GET /v1/tables/{table_id}/rows': 'viewer',
  'GET /v1/tables/{table_id}/columns': 'viewer',
  'GET /v1/tables/{table_id}/grid': 'viewer',
  'GET /v1/tables/{table_id}/cells/{row_id}/{column}': 'viewer',
  'GET /v1/tables/{table_id}/rows/{row_id}/comments': 'viewer',
  'GET /v1/profiles': 'viewer',
  'GET /v1/prices': 'viewer',
  'GET /v1/runs': 'viewer',
  'GET /v1/runs/count': 'viewer',
  'GET /v1/runs/export': 'viewer',
  'GET /v1/runs/{run_id}': 'viewer',
  'GET /v1/runs/{run_id}/items': 'viewer',
  'GET /v1/runs/{run_id}/items/slice': 'viewer',
  'GET /v1/runs/{run_id}/items/{item_id}': 'viewer',
  'GET /v1/runs/{run_id}/events': 'viewer',
  'GET /v1/runs/{run_id}/timeline': 'viewer',
  'GET /v1/runs/{run_id}/export': 'viewer',
  'GET /v1/runs/{run_id}/provider-summary': 'viewer',
  'GET /v1/runs/{run_id}/output-notice': 'viewer',
  'GET /v1/events': 'viewer',
  'GET /v1/events/latest': 'viewer',
  'GET /v1/nodes': 'viewer',
  'GET /v1/operations': 'viewer',
  'GET /v1/operations/{operation_id}': 'viewer',
  'GET /v1/credits/balance': 'viewer',
  'GET /v1/credits/ledger': 'viewer',
  'GET /v1/usage': 'viewer',
  'GET /v1/ingestions': 'viewer',
  'GET /v1/ingestions/{source_id}': 'viewer',
  'GET /v1/ingestions/{source_id}/runs': 'viewer',
  'GET /v1/ingestions/{source_id}/runs/{run_id}': 'viewer',
  'GET /v1/flows/schema': 'viewer',
  'GET /v1/flows': 'viewer',
  'GET /v1/flows/{flow_id}': 'viewer',
  'GET /v1/waits': 'viewer',
  'GET /v1/waits/{wait_id}': 'viewer',
  // flows: validate/save an editor (admin when its steps run shell or js: routes/flows.ts), run and answer an operator
  'POST /v1/flows/validate': 'viewer',
  'POST /v1/flows': 'editor',
  'POST /v1/flows/{flow_id}/versions': 'editor',
  'POST /v1/flows/{flow_id}/runs': 'operator',
  'POST /v1/waits/{wait_id}/responses': 'operator',

  // AI workers: read a viewer, save an editor, run and pause/resume an operator
  'GET /v1/workers/templates': 'viewer',
  'GET /v1/workers': 'viewer',
  'GET /v1/workers/{worker_id}': 'viewer',
  'GET /v1/workers/{worker_id}/runs': 'viewer',
  'GET /v1/runs/compare': 'viewer',
  'POST /v1/workers': 'editor',
  'POST /v1/workers/{worker_id}/versions': 'editor',
  'POST /v1/workers/{worker_id}/runs': 'operator',
  'POST /v1/workers/{worker_id}/pause': 'operator',
  'POST /v1/workers/{worker_id}/resume': 'operator',

  // control runs, start runs of existing targets: operator
  'POST /v1/runs/{run_id}/pause': 'operator',
  'POST /v1/runs/{run_id}/resume': 'operator',
  'POST /v1/runs/{run_id}/cancel': 'operator',
  'POST /v1/runs/{run_id}/retry-failed': 'operator',
  'POST /v1/runs/{run_id}/rerun': 'operator',
  'POST /v1/runs/{run_id}/items/{item_id}/respond': 'operator',
  'POST /v1/runs/{run_id}/pin': 'operator',
  'POST /v1/runs/{run_id}/unpin': 'operator',
  'DELETE /v1/runs/{run_id}': 'operator',
  'POST /v1/operations': 'operator',
  'POST /v1/tables/{table_id}/columns/{column}/runs': 'operator',
  'POST /v1/tables/{table_id}/rows/{row_id}/comments': 'operator',
  // a manual run of a `shell`/`js` target also needs admin (code-guard.ts)
  'POST /v1/runs': 'operator',
  'POST /v1/ingestions/{source_id}/runs': 'operator',
  'POST /v1/ingestions/{source_id}/runs/{run_id}/retry-failed': 'operator',

  // definitions: editor (a `shell`/`js` column needs admin: code-guard.ts)
  'POST /v1/tables': 'editor',
  'POST /v1/tables/import': 'editor',
  'POST /v1/tables/{table_id}/columns': 'editor',
  'PATCH /v1/tables/{table_id}': 'editor',
  'POST /v1/ingestions': 'editor',
  'POST /v1/ingestions/{source_id}/versions': 'editor',

  // triggers (issue 15): read as viewer, send events and pause/test as operator, define as editor;
  // a webhook delivery carries no token (its Standard Webhooks signature is checked instead)
  'GET /v1/trigger-events': 'viewer',
  'GET /v1/trigger-events/{event_id}': 'viewer',
  'GET /v1/rules': 'viewer',
  'GET /v1/rules/{rule_id}': 'viewer',
  'GET /v1/schedules': 'viewer',
  'GET /v1/schedules/{schedule_id}': 'viewer',
  'GET /v1/hooks': 'viewer',
  'GET /v1/hooks/{hook_id}': 'viewer',
  'GET /v1/hooks/{hook_id}/rejections': 'viewer',
  'POST /v1/events': 'operator',
  'POST /v1/rules/{rule_id}/pause': 'operator',
  'POST /v1/rules/{rule_id}/resume': 'operator',
  'POST /v1/rules/{rule_id}/test': 'operator',
  'POST /v1/schedules/{schedule_id}/pause': 'operator',
  'POST /v1/schedules/{schedule_id}/resume': 'operator',
  'POST /v1/hooks/{hook_id}/pause': 'operator',
  'POST /v1/hooks/{hook_id}/resume': 'operator',
  'POST /v1/rules': 'editor',
  'PUT /v1/rules/{rule_id}': 'editor',
  'DELETE /v1/rules/{rule_id}': 'editor',
  'POST /v1/schedules': 'editor',
  'DELETE /v1/schedules/{schedule_id}': 'editor',
  'PATCH /v1/schedules/{schedule_id}': 'editor',
  'POST /v1/hooks': 'admin',
  'DELETE /v1/hooks/{hook_id}': 'admin',
  'POST /v1/hooks/{hook_id}/rotate-secret': 'admin',
  'POST /v1/hooks/{hook_id}': 'public',

  // admin
  'POST /v1/credits/grants': 'admin',
  'POST /v1/credits/adjustments': 'admin',
  'PUT /v1/prices': 'admin',
  'GET /v1/tokens': 'admin',
  'POST /v1/tokens': 'admin',
  'DELETE /v1/tokens/{token_id}': 'admin',
  'GET /v1/workspaces': 'admin',
  'POST /v1/workspaces': 'admin',
  'PATCH /v1/workspaces/{workspace_id}': 'admin',
  'GET /v1/audit': 'admin',
  'GET /v1/credentials': 'admin',
  'PUT /v1/credentials/{name}': 'admin',
  'DELETE /v1/credentials/{name}': 'admin',
};

/** A policy entry matched against a request. */
export interface MatchedRoute {
  /** The OpenAPI path, e.g. `/v1/runs/{run_id}`. */
  pattern: string;
  need: RouteNeed;
  /** Path parameters by name. */
  params: Map<string, string>;
}

interface Compiled {
  method: string;
  pattern: string;
  need: RouteNeed;
  re: RegExp;
  names: string[];
  literals: number;
}

function compile(table: Readonly<Record<string, RouteNeed>>): Compiled[] {
  return Object.entries(table)
    .map(([key, need]) => {
      const [method = '', pattern = ''] = key.split(' ');
      const names: string[] = [];
      const re = new RegExp(
        `^${pattern
          .split('/')
          .map((seg) => {
            const m = /^\{(.+)\}$/.exec(seg);
            if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            names.push(m[1] ?? '');
            return '([^/]+)';
          })
          .join('/')}/?$`,
      );
      return { method, pattern, need, re, names, literals: pattern.split('/').length - names.length };
    })
    .sort((a, b) => b.literals - a.literals);
}

const COMPILED = compile(ROUTE_POLICY);

/** The policy entry for a request (literal segments win over parameters), undefined when none. */
export function matchRoute(method: string, path: string): MatchedRoute | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  for (const r of COMPILED) {
    if (r.method !== m) continue;
    const hit = r.re.exec(path);
    if (!hit) continue;
    const params = new Map<string, string>();
    r.names.forEach((n, i) => {
      const raw = hit[i + 1] ?? '';
      let v = raw;
      try {
        v = decodeURIComponent(raw);
      } catch {
        // leave it encoded; the route's own validation answers
      }
      params.set(n, v);
    });
    return { pattern: r.pattern, need: r.need, params };
  }
  return undefined;
}
