/**
 * An open wait answered in place (run page and Inbox): its title, prompt (Markdown, shown as
 * text), the form generated from its JSON Schema (schema-form.tsx), an optional comment, and one
 * button per decision (or Submit when it has none). `POST /v1/waits/{id}/responses` with an
 * Idempotency-Key per form, so a double click is one answer; a 422 marks the field it names
 * and leaves the form as typed; a 409 (answered elsewhere first) says who answered.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { api, ApiError, errorField, errorMessage, must, type Schemas } from '../api/client';
import { duration } from './format';
import { collectValues, initialValues, SchemaFields, type ObjectSchema, type RawValues } from './schema-form';
import { ErrorBox, LongText } from './ui';

export type Wait = Schemas['Wait'];
export type WaitAnswerResult = Schemas['WaitAnswerResult'];

/** Who answered, and with what, in a sentence. */
export function answerText(w: Pick<Wait, 'status' | 'responded_by' | 'response' | 'reason'>): string {
  const r = (w.response ?? {}) as { decision?: string; comment?: string };
  if (w.status === 'answered') return `answered by ${w.responded_by ?? 'someone'}${r.decision ? `: ${r.decision}` : ''}${r.comment ? ` (“${r.comment}”)` : ''}`;
  return `${w.status}${w.reason ? `: ${w.reason}` : ''}`;
}

export function WaitForm({ wait, onAnswered, canAnswer }: { wait: Wait; onAnswered(res: WaitAnswerResult): void; canAnswer: boolean }) {
  const schema = (wait.form ?? null) as ObjectSchema | null;
  const [values, setValues] = useState<RawValues>(() => initialValues(schema));
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const key = useMemo(() => `console-${wait.id}-${Math.random().toString(36).slice(2)}`, [wait.id]);
  const idPrefix = `wait-${wait.id}`;
  const field = errorField(error);
  // A 422 naming a form field is shown at that field; anything else above the buttons.
  const atField = field !== null && Object.keys(schema?.properties ?? {}).some((n) => field === `values.${n}` || field.startsWith(`values.${n}.`));

  const answer = async (decision?: string) => {
    setBusy(true);
    setError(null);
    try {
      const res = await must(
        api.POST('/v1/waits/{wait_id}/responses', {
          params: { path: { wait_id: wait.id }, header: { 'idempotency-key': key } },
          body: { values: collectValues(schema, values), ...(decision ? { decision } : {}), ...(comment.trim() ? { comment: comment.trim() } : {}) },
        }),
      );
      onAnswered(res);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (wait.decisions.length === 0) void answer();
  };
  const closed = error instanceof ApiError && error.status === 409;

  return (
    <form className="wait-form" aria-label={wait.title ?? `Answer ${wait.step_id}`} onSubmit={onSubmit} data-wait-id={wait.id} noValidate>
      <div className="wait-head">
        <strong className="wrap">{wait.title ?? `Step ${wait.step_id} asks`}</strong>
        <span className="small muted">
          {wait.phase ? `${wait.phase.replace(/_/g, ' ')} · ` : ''}open {duration(wait.age_ms)} · {duration(wait.time_left_ms)} left
        </span>
      </div>
      <p className="wait-prompt">
        <LongText text={wait.prompt} limit={1000} />
      </p>
      <SchemaFields
        schema={schema}
        values={values}
        onChange={setValues}
        prefix="values"
        idPrefix={idPrefix}
        errorField={field}
        errorText={error ? errorMessage(error) : null}
        disabled={busy || !canAnswer}
      />
      <div className="schema-field">
        <label htmlFor={`${idPrefix}-comment`}>Comment</label>
        <input id={`${idPrefix}-comment`} type="text" value={comment} disabled={busy || !canAnswer} onChange={(e) => setComment(e.target.value)} />
      </div>
      {error && !atField ? <ErrorBox error={error} title={closed ? 'Already closed' : 'Could not answer'} /> : null}
      {canAnswer ? (
        <div className="actions">
          {wait.decisions.length === 0 ? (
            <button type="submit" className="primary" disabled={busy}>
              Submit
            </button>
          ) : (
            wait.decisions.map((d, i) => (
              <button key={d.id} type="button" className={i === 0 ? 'primary' : ''} disabled={busy} onClick={() => void answer(d.id)}>
                {d.label ?? d.id}
              </button>
            ))
          )}
        </div>
      ) : (
        <p className="small muted">Answering needs the operator role.</p>
      )}
    </form>
  );
}
