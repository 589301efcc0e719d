/** Manual run form (issue 6 §4) — slot for its own change; the route and nav entry exist. */
import { PageHeader } from '../components/ui';

export function ManualRunPage() {
  return (
    <section>
      <PageHeader title="New run" />
      <p>The manual run form is not built yet. Start runs with `runyard run` or `POST /v1/runs`.</p>
    </section>
  );
}
