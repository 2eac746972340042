import { ReactNode, useEffect, useState } from 'react';
import { ApiError } from '../api';

/** A loaded value, its error in words, and a reload: what every view does with a GET. */
export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
  /**
   * Reads again until `done` holds (at most ~10 s): lists are read models that may trail a write
   * by a moment, and a person must see their change without reloading the page.
   */
  reloadUntil: (done: (data: T) => boolean) => Promise<void>;
}

const READ_MODEL_WAIT_MS = 10_000;
const READ_MODEL_POLL_MS = 250;

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (err: unknown) => live && setState({ data: null, error: messageOf(err), loading: false }),
    );
    return () => {
      live = false;
    };
    // `load` is a new closure each render: the caller names what it depends on.
  }, [...deps, tick]);
  const reloadUntil = async (done: (data: T) => boolean) => {
    const deadline = Date.now() + READ_MODEL_WAIT_MS;
    for (;;) {
      try {
        const data = await load();
        setState({ data, error: null, loading: false });
        if (done(data) || Date.now() > deadline) return;
      } catch (err) {
        setState((s) => ({ ...s, error: messageOf(err), loading: false }));
        return;
      }
      await new Promise((r) => setTimeout(r, READ_MODEL_POLL_MS));
    }
  };
  return { ...state, reload: () => setTick((t) => t + 1), reloadUntil };
}

export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof TypeError) return 'Cannot reach Tollgate. Check your connection and try again.';
  return err instanceof Error ? err.message : String(err);
}

export function ErrorNote({ error }: { error: string | null }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="card" aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value" data-testid={`stat-${label.toLowerCase().replace(/\W+/g, '-')}`}>
        {value}
      </div>
      {hint ? <div className="muted small">{hint}</div> : null}
    </div>
  );
}

/** A button that shows progress and disables itself while its action runs. */
export function ActionButton({
  onClick,
  children,
  busyText,
  kind = 'primary',
  disabled,
}: {
  onClick: () => Promise<void>;
  children: ReactNode;
  busyText: string;
  kind?: 'primary' | 'secondary' | 'danger';
  disabled?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      className={kind}
      disabled={busy || disabled}
      onClick={async () => {
        setBusy(true);
        try {
          await onClick();
        } finally {
          setBusy(false);
        }
      }}
    >
      {busy ? busyText : children}
    </button>
  );
}
