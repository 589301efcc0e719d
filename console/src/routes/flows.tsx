/**
 * Flows (issue 13 item 7):
 * - `/flows`: every flow at its newest version (`GET /v1/flows`): name, description, steps,
 *   version, created; each opens its page, where it runs.
 * - `/flows/:flowId`: one flow — any of its versions (`?version=N`), its steps and its
 *   definition as written — and **Run** (operator) with a form generated from the version's
 *   `inputs` JSON Schema (components/schema-form.tsx): `POST /v1/flows/{id}/runs`; the new run's
 *   page opens at once; a 422 marks the input it names (`inputs.<field>`).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, errorField, errorMessage, must, type Schemas } from '../api/client';
import { time } from '../components/format';
import { collectValues, initialValues, SchemaFields, type ObjectSchema, type RawValues } from '../components/schema-form';
import { Clip, ErrorBox, PageHeader } from '../components/ui';
import { useCan } from '../session';

type Flow = Schemas['Flow'];
interface Def {
  inputs?: ObjectSchema;
  steps?: { id: string; type: string; phase?: string }[];
  phases?: string[];
}
const defOf = (f: Flow) => f.definition as Def;

export function FlowsPage() {
  const [flows, setFlows] = useState<Flow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    must(api.GET('/v1/flows')).then((r) => setFlows(r.data), setError);
  }, []);
  return (
    <section className="flows-page">
      <PageHeader title="Flows" />
      <p className="muted">
        A flow runs its steps in order — tools, decisions, questions to a person, a summary — each executed step an item of the run. Create one with{' '}
        <code>runyard flows create flow.yaml</code> or <code>POST /v1/flows</code>.
      </p>
      <ErrorBox error={error} title="Could not load flows" />
      {flows === null ? (
        error ? null : (
          <p className="muted">Loading flows…</p>
        )
      ) : flows.length === 0 ? (
        <div className="notice" data-testid="no-flows">
          No flows yet.
        </div>
      ) : (
        <div className="table-wrap">
          <table className="grid flows-list" data-testid="flows">
            <thead>
              <tr>
                <th>Name</th>
                <th className="wide">Description</th>
                <th style={{ width: 70 }}>Steps</th>
                <th style={{ width: 80 }}>Version</th>
                <th className="wide" style={{ width: 170 }}>
                  Created
                </th>
              </tr>
            </thead>
            <tbody>
              {flows.map((f) => (
                <tr key={f.id} data-flow-id={f.id}>
                  <td>
                    <Link to={`/flows/${f.id}`} className="clip">
                      {f.name}
                    </Link>
                  </td>
                  <td className="wide">
                    <Clip text={f.description ?? ''} />
                  </td>
                  <td>{defOf(f).steps?.length ?? 0}</td>
                  <td>v{f.version}</td>
                  <td className="wide">{time(f.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function FlowPage() {
  const { flowId = '' } = useParams();
  const [sp, setSp] = useSearchParams();
  const operator = useCan()('operator');
  const navigate = useNavigate();
  const [latest, setLatest] = useState<Flow | null>(null);
  const [flow, setFlow] = useState<Flow | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [values, setValues] = useState<RawValues>({});
  const [runError, setRunError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const asked = Number(sp.get('version')) || undefined;

  useEffect(() => {
    must(api.GET('/v1/flows/{flow_id}', { params: { path: { flow_id: flowId } } })).then(setLatest, setError);
  }, [flowId]);
  useEffect(() => {
    let stop = false;
    must(api.GET('/v1/flows/{flow_id}', { params: { path: { flow_id: flowId }, query: asked ? { version: asked } : {} } })).then(
      (f) => {
        if (stop) return;
        setFlow(f);
        setValues(initialValues(defOf(f).inputs));
        setRunError(null);
      },
      (err: unknown) => !stop && setError(err),
    );
    return () => {
      stop = true;
    };
  }, [flowId, asked]);

  const run = async (e: FormEvent) => {
    e.preventDefault();
    if (!flow) return;
    setBusy(true);
    setRunError(null);
    try {
      const r = await must(
        api.POST('/v1/flows/{flow_id}/runs', {
          params: { path: { flow_id: flow.id } },
          body: { version: flow.version, inputs: collectValues(defOf(flow).inputs, values) },
        }),
      );
      navigate(`/runs/${r.id}`);
    } catch (err) {
      setRunError(err);
      setBusy(false);
    }
  };

  if (!flow || !latest) {
    return (
      <section>
        <PageHeader title="Flow" />
        {error ? <ErrorBox error={error} title="Could not load the flow" /> : <p className="muted">Loading flow…</p>}
        <p>
          <Link to="/flows">Back to Flows</Link>
        </p>
      </section>
    );
  }
  const def = defOf(flow);
  const field = errorField(runError);
  const atField = field !== null && Object.keys(def.inputs?.properties ?? {}).some((n) => field === `inputs.${n}` || field.startsWith(`inputs.${n}.`));
  return (
    <section className="flow-page" aria-labelledby="flow-title">
      <nav className="small" aria-label="Breadcrumb">
        <Link to="/flows">Flows</Link> /
      </nav>
      <PageHeader
        title={
          <span id="flow-title" className="clip">
            {flow.name}
          </span>
        }
      >
        <label className="inline">
          Version
          <select value={flow.version} onChange={(e) => setSp(Number(e.target.value) === latest.version ? {} : { version: e.target.value }, { replace: true })}>
            {Array.from({ length: latest.version }, (_, i) => latest.version - i).map((v) => (
              <option key={v} value={v}>
                v{v}
                {v === latest.version ? ' (newest)' : ''}
              </option>
            ))}
          </select>
        </label>
        {/* Seed 000: "Run" (below) does one task now; "Rules" reuse a trigger automatically later. */}
        <Link to={`/triggers?target=${encodeURIComponent(JSON.stringify({ type: 'flow', flow_id: flow.id }))}`} className="button">
          Rules
        </Link>
      </PageHeader>
      {flow.description ? <p className="wrap">{flow.description}</p> : null}
      <p className="small muted">
        <span className="mono">{flow.id}</span> · v{flow.version} saved {time(flow.created_at)}
      </p>

      {operator ? (
        <form className="form run-flow" aria-label="Run this flow" onSubmit={(e) => void run(e)} noValidate>
          <fieldset>
            <legend>Run v{flow.version}</legend>
            {Object.keys(def.inputs?.properties ?? {}).length === 0 ? <p className="small muted">This flow takes no inputs.</p> : null}
            <SchemaFields
              schema={def.inputs}
              values={values}
              onChange={setValues}
              prefix="inputs"
              idPrefix="flow-input"
              errorField={field}
              errorText={runError ? errorMessage(runError) : null}
              disabled={busy}
            />
            {runError && !atField ? <ErrorBox error={runError} title="Could not start the run" /> : null}
            <div className="actions">
              <button type="submit" className="primary" disabled={busy}>
                Run
              </button>
            </div>
          </fieldset>
        </form>
      ) : null}

      <h2>Steps</h2>
      <ol className="flow-def-steps">
        {(def.steps ?? []).map((s) => (
          <li key={s.id}>
            <strong>{s.id}</strong> <span className="badge">{s.type}</span> {s.phase ? <span className="small muted">{s.phase.replace(/_/g, ' ')}</span> : null}
          </li>
        ))}
      </ol>
      <h2>Definition</h2>
      <pre className="definition small" data-testid="flow-source">
        {flow.source.length > 50_000 ? `${flow.source.slice(0, 50_000)}…` : flow.source}
      </pre>
    </section>
  );
}
