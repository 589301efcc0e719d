import { Link, useLocation } from 'react-router';
import { PageHeader } from '../components/ui';

/** Any path the console does not know. */
export function NotFoundPage() {
  const { pathname } = useLocation();
  return (
    <section>
      <PageHeader title="Page not found" />
      <p className="wrap">
        Nothing lives at <code>{pathname}</code>. <Link to="/runs">Go to Runs</Link>.
      </p>
    </section>
  );
}
