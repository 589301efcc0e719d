/**
 * A run's trigger label (`trigger {type, source_id, actor}`) with links to what started it: a
 * rule and the event it routed (`/triggers/rules/:id`, `/triggers/events/:id`), or a schedule.
 */
import { Link } from 'react-router';
import type { Run } from '../api/client';

export function TriggerLabel({ trigger }: { trigger: Run['trigger'] }) {
  const { type, source_id: source, actor } = trigger;
  const kindPath = type === 'rule' ? 'rules' : type === 'schedule' ? 'schedules' : type === 'webhook' ? 'hooks' : null;
  return (
    <span className="badge" title="trigger" data-testid="run-trigger">
      {type}
      {source && kindPath ? (
        <>
          {' · '}
          <Link to={`/triggers/${kindPath}/${encodeURIComponent(source)}`} aria-label={`${type} ${source}`}>
            {source.slice(0, 100)}
          </Link>
        </>
      ) : null}
      {actor && actor.startsWith('tev_') ? (
        <>
          {' · '}
          <Link to={`/triggers/events/${encodeURIComponent(actor)}`} aria-label={`event ${actor}`}>
            {actor.slice(0, 100)}
          </Link>
        </>
      ) : actor ? (
        ` · ${actor.slice(0, 200)}`
      ) : null}
    </span>
  );
}
