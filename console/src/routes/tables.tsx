/** Tables page (issue 6 §5) — slot for its own change; the routes and nav entry exist. */
import { useParams } from 'react-router';
import { PageHeader } from '../components/ui';

export function TablesPage() {
  return (
    <section>
      <PageHeader title="Tables" />
      <p>The Tables page is not built yet. Use `runyard tables` or `GET /v1/tables`.</p>
    </section>
  );
}

export function TablePage() {
  const { tableId } = useParams();
  return (
    <section>
      <PageHeader title="Table" />
      <p className="wrap">Table {tableId} — not built yet.</p>
    </section>
  );
}
