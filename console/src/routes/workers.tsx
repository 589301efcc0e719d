/**
 * `/workers` (issue 14 item 7): every worker at its newest version (`GET /v1/workers`): name,
 * status, output mode, template key and the status of its newest run (`GET
 * /v1/workers/{id}/runs?limit=1`). One worker's page is routes/worker-page.tsx.
 */
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api, must, type Run, type Schemas } from '../api/client';
import { Clip, ErrorBox, PageHeader, StatusChip } from '../components/ui';

type Worker = Schemas['Worker'];

export function WorkersPage() {
  const [workers, setWorkers] = useState<Worker[] | null>(null);
  const [latest, setLatest] = useState<Record<string, Run | null>>({});
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stop = false;
    must(api.GET('/v1/workers')).then((r) => {
      if (stop) return;
      setWorkers(r.data);
      for (const w of r.data.slice(0, 100)) {
        void must(api.GET('/v1/workers/{worker_id}/runs', { params: { path: { worker_id: w.id }, query: { limit: 1 } } })).then(
          (p) => !stop && setLatest((m) => ({ ...m, [w.id]: p.data[0] ?? null })),
          () => undefined,
        );
      }
    }, setError);
    return () => {
      stop = true;
    };
  }, []);
  return (
    <section className="workers-page">
      <PageHeader title="Workers" />
      <p className="muted">
        An AI worker acts on one row of a table through an LLM that may call tools, and writes its output as a comment, a field or a new row. Create one with{' '}
        <code>runyard workers create worker.json</code> or <code>POST /v1/workers</code>.
      </p>
      <ErrorBox error={error} title="Could not load workers" />
      {workers === null ? (
        error ? null : (
          <p className="muted">Loading workers…</p>
        )
      ) : workers.length === 0 ? (
        <div className="notice" data-testid="no-workers">
          No workers yet.
        </div>
      ) : (
        <div className="table-wrap">
          <table className="grid workers-list" data-testid="workers">
            <thead>
              <tr>
                <th>Name</th>
                <th style={{ width: 90 }}>Status</th>
                <th className="wide" style={{ width: 130 }}>
                  Output
                </th>
                <th className="wide" style={{ width: 140 }}>
                  Template
                </th>
                <th style={{ width: 110 }}>Last run</th>
              </tr>
            </thead>
            <tbody>
              {workers.map((w) => {
                const last = latest[w.id];
                return (
                  <tr key={w.id} data-worker-id={w.id}>
                    <td>
                      <Link to={`/workers/${w.id}`} className="clip">
                        {w.name}
                      </Link>
                    </td>
                    <td>
                      <StatusChip status={w.status} />
                    </td>
                    <td className="wide">{w.output_mode.replace(/_/g, ' ')}</td>
                    <td className="wide">
                      <Clip text={w.template_key ?? '—'} />
                    </td>
                    <td data-testid="last-run">
                      {last === undefined ? '…' : last ? <StatusChip status={last.status} /> : <span className="muted small">none</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
