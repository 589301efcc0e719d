/**
 * Small shared pieces of the console. Every user-supplied string is rendered as a React text
 * node (never as HTML); long text is cut with CSS ellipsis and shown whole in `title`.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { errorMessage } from '../api/client';
import { count } from './format';

/** A status as a chip: the word itself plus a colour (never colour alone). */
export function StatusChip({ status }: { status: string }) {
  return <span className={`chip chip-${status.replace(/[^a-z_]/g, '')}`}>{status.replace(/_/g, ' ')}</span>;
}

/** One line of text cut with an ellipsis; the whole value in the tooltip. */
export function Clip({ text, className }: { text: string; className?: string }) {
  const shown = text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  return (
    <span className={`clip ${className ?? ''}`} title={text.length > 4000 ? `${text.slice(0, 4000)}…` : text}>
      {shown}
    </span>
  );
}

/**
 * Wrapped text cut at `limit` characters, with a button to show the rest (and back): a long
 * message never pushes the page far down unless asked.
 */
export function LongText({ text, limit = 400 }: { text: string; limit?: number }) {
  const [all, setAll] = useState(false);
  if (text.length <= limit) return <span className="wrap">{text}</span>;
  const max = 100_000;
  return (
    <>
      <span className="wrap">{all ? (text.length > max ? `${text.slice(0, max)}…` : text) : `${text.slice(0, limit)}…`}</span>{' '}
      <button type="button" className="link" aria-expanded={all} onClick={() => setAll(!all)}>
        {all ? 'Show less' : `Show all (${text.length.toLocaleString()} characters)`}
      </button>
    </>
  );
}

/** An error shown in place, with the server's message. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (error === null || error === undefined) return null;
  return (
    <div className="error-box" role="alert">
      {title ? <strong>{title}: </strong> : null}
      <LongText text={typeof error === 'string' ? error : errorMessage(error)} />
    </div>
  );
}

/** Done / total as a bar with the numbers in words. */
export function Progress({ done, failed, total, label }: { done: number; failed: number; total: number; label?: string }) {
  const pct = total > 0 ? Math.min(100, ((done + failed) / total) * 100) : 0;
  const okPct = total > 0 ? Math.min(100, (done / total) * 100) : 0;
  const text = total > 0 ? `${count(done + failed)} / ${count(total)}${failed ? ` (${count(failed)} failed)` : ''}` : 'no items';
  return (
    <span
      className="progress"
      role="progressbar"
      aria-label={label ?? 'item progress'}
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={done + failed}
      aria-valuetext={text}
    >
      <span className="progress-track">
        <span className="progress-fail" style={{ width: `${pct}%` }} />
        <span className="progress-ok" style={{ width: `${okPct}%` }} />
      </span>
      <span className="progress-text">{text}</span>
    </span>
  );
}

/**
 * A confirmation as a modal `<dialog>` (focus trapped, Escape cancels): `message` describes
 * what will happen; `onConfirm` runs on the confirm button. Focus starts on the confirm button,
 * or on Cancel when `danger`.
 */
export function Confirm(props: {
  open: boolean;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** The confirm button is disabled (e.g. while what the message says is still being read). */
  confirmDisabled?: boolean;
  onConfirm(): void;
  onCancel(): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  // The confirm button takes the focus when it is enabled, if it was disabled at opening.
  const focusConfirm = useRef(false);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      d.showModal();
      // Enter confirms a safe action; for a destructive one it cancels.
      (props.danger ? cancelRef : confirmRef).current?.focus();
      focusConfirm.current = !props.danger && props.confirmDisabled === true;
    } else if (props.open && focusConfirm.current && !props.confirmDisabled) {
      focusConfirm.current = false;
      confirmRef.current?.focus();
    }
    if (!props.open && d.open) d.close();
  }, [props.open, props.danger, props.confirmDisabled]);
  return (
    <dialog ref={ref} className="confirm" aria-labelledby={titleId} onCancel={props.onCancel} onClose={() => props.open && props.onCancel()}>
      <h2 id={titleId}>{props.title}</h2>
      <div className="confirm-message">{props.message}</div>
      <div className="actions">
        <button type="button" ref={cancelRef} onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" ref={confirmRef} className={props.danger ? 'danger' : 'primary'} disabled={props.confirmDisabled} onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/** A page title plus optional actions on the right. */
export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children ? <div className="actions">{children}</div> : null}
    </div>
  );
}
