/** The attempts of one item (from `GET /v1/runs/{run}/items/{item}`), shared by the item and cell drawers. */
import type { Schemas } from '../api/client';
import { duration, time } from './format';
import { Clip, StatusChip } from './ui';

type Attempt = Schemas['ItemDetail']['attempts'][number];

export function AttemptsTable({ attempts, testId }: { attempts: Attempt[]; testId?: string }) {
  if (attempts.length === 0) return <p className="muted">Not attempted yet.</p>;
  return (
    <div className="table-wrap">
      <table className="grid" data-testid={testId}>
        <thead>
          <tr>
            <th>#</th>
            <th>Outcome</th>
            <th>Started</th>
            <th className="num">Took</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {attempts.map((a, i) => (
            <tr key={i}>
              <td>{a.attempt}</td>
              <td>
                <StatusChip status={a.outcome} />
              </td>
              <td>
                <Clip text={time(a.started_at)} />
              </td>
              <td className="num">{duration(a.duration_ms)}</td>
              <td>
                <Clip text={a.error_code ? `${a.error_code}${a.error_message ? `: ${a.error_message}` : ''}` : '—'} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
