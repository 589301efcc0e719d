/**
 * The console shell: navigation and routes. Every page talks only to the public API
 * (api/client.ts). Routes:
 * - `/runs` Runs (filters in the query string), `/runs/:runId` Run detail (a run's `web_url`)
 * - `/runs/new` Manual run form, `/tables`, `/tables/:tableId` Tables (routes/manual-run.tsx, routes/tables.tsx)
 * - `/ingestions`, `/ingestions/:sourceId`, `/ingestions/:sourceId/runs/:runId` Ingestions (routes/ingestions.tsx)
 * - `/flows`, `/flows/:flowId` Flows (routes/flows.tsx); `/inbox` open waits across runs (routes/inbox.tsx)
 * - `/triggers`, `/triggers/{rules,schedules,hooks,events}/:id` Triggers (routes/triggers.tsx, routes/trigger-detail.tsx)
 * - `/workers`, `/workers/:workerId` AI workers (routes/workers.tsx, routes/worker-page.tsx); `/runs/compare?a=&b=` two runs
 *   side by side (routes/run-compare.tsx); `/usage` rolling usage windows (routes/usage.tsx, loaded lazily)
 */
import { lazy, Suspense } from 'react';
import { Navigate, NavLink, Route, Routes } from 'react-router';
import { FlowPage, FlowsPage } from './routes/flows';
import { InboxPage } from './routes/inbox';
import { IngestionPage, IngestionRunPage, IngestionsPage } from './routes/ingestions';
import { ManualRunPage } from './routes/manual-run';
import { NotFoundPage } from './routes/not-found';
import { RunComparePage } from './routes/run-compare';
import { RunDetailPage } from './routes/run-detail';
import { RunsPage } from './routes/runs';
import { TablePage, TablesPage } from './routes/tables';
import { HookPage, RulePage, SchedulePage, TriggerEventPage } from './routes/trigger-detail';
import { TriggersPage } from './routes/triggers';
import { WorkerPage } from './routes/worker-page';
import { WorkersPage } from './routes/workers';
import { SessionGate, useCan, useSession } from './session';

/** The Usage page and its chart library (recharts) are a chunk of their own, loaded when the page opens. */
const UsagePage = lazy(() => import('./routes/usage').then((m) => ({ default: m.UsagePage })));

export function App() {
  return (
    <SessionGate>
      <Shell />
    </SessionGate>
  );
}

/** Who is signed in (workspace and role) and log out. */
function Account() {
  const s = useSession();
  if (!s) return null;
  return (
    <div className="account" data-testid="account">
      <span className="small">
        <span data-testid="workspace-name">{s.session.workspace_name}</span> · <span data-testid="role">{s.session.role}</span>
      </span>
      <button type="button" className="link" onClick={() => void s.logout()}>
        Log out
      </button>
    </div>
  );
}

function Shell() {
  const can = useCan();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/runs" className="brand">
          Runyard
        </NavLink>
        <nav aria-label="Main">
          <NavLink to="/runs" end>
            Runs
          </NavLink>
          {can('operator') ? <NavLink to="/runs/new">New run</NavLink> : null}
          <NavLink to="/tables">Tables</NavLink>
          <NavLink to="/ingestions">Ingestions</NavLink>
          <NavLink to="/flows">Flows</NavLink>
          <NavLink to="/workers">Workers</NavLink>
          <NavLink to="/inbox">Inbox</NavLink>
          <NavLink to="/triggers">Triggers</NavLink>
          <NavLink to="/usage">Usage</NavLink>
        </nav>
        <Account />
      </header>
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<Navigate to="/runs" replace />} />
          <Route path="/login" element={<Navigate to="/runs" replace />} />
          <Route path="/runs" element={<RunsPage />} />
          <Route path="/runs/new" element={<ManualRunPage />} />
          <Route path="/runs/compare" element={<RunComparePage />} />
          <Route path="/runs/:runId" element={<RunDetailPage />} />
          <Route path="/tables" element={<TablesPage />} />
          <Route path="/tables/:tableId" element={<TablePage />} />
          <Route path="/ingestions" element={<IngestionsPage />} />
          <Route path="/ingestions/:sourceId" element={<IngestionPage />} />
          <Route path="/ingestions/:sourceId/runs/:runId" element={<IngestionRunPage />} />
          <Route path="/flows" element={<FlowsPage />} />
          <Route path="/flows/:flowId" element={<FlowPage />} />
          <Route path="/workers" element={<WorkersPage />} />
          <Route path="/workers/:workerId" element={<WorkerPage />} />
          <Route
            path="/usage"
            element={
              <Suspense fallback={<p className="muted">Loading usage…</p>}>
                <UsagePage />
              </Suspense>
            }
          />
          <Route path="/inbox" element={<InboxPage />} />
          <Route path="/triggers" element={<TriggersPage />} />
          <Route path="/triggers/rules/:ruleId" element={<RulePage />} />
          <Route path="/triggers/schedules/:scheduleId" element={<SchedulePage />} />
          <Route path="/triggers/hooks/:hookId" element={<HookPage />} />
          <Route path="/triggers/events/:eventId" element={<TriggerEventPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </main>
    </div>
  );
}
