/**
 * The console shell: navigation and routes. Every page talks only to the public API
 * (api/client.ts). Routes:
 * - `/runs` Runs (filters in the query string), `/runs/:runId` Run detail (a run's `web_url`)
 * - `/runs/new` Manual run form, `/tables`, `/tables/:tableId` Tables (routes/manual-run.tsx, routes/tables.tsx)
 */
import { Navigate, NavLink, Route, Routes } from 'react-router';
import { ManualRunPage } from './routes/manual-run';
import { NotFoundPage } from './routes/not-found';
import { RunDetailPage } from './routes/run-detail';
import { RunsPage } from './routes/runs';
import { TablePage, TablesPage } from './routes/tables';

export function App() {
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
          <NavLink to="/runs/new">New run</NavLink>
          <NavLink to="/tables">Tables</NavLink>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<Navigate to="/runs" replace />} />
          <Route path="/runs" element={<RunsPage />} />
          <Route path="/runs/new" element={<ManualRunPage />} />
          <Route path="/runs/:runId" element={<RunDetailPage />} />
          <Route path="/tables" element={<TablesPage />} />
          <Route path="/tables/:tableId" element={<TablePage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </main>
    </div>
  );
}
