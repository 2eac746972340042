import { FormEvent, useState } from 'react';
import { answer, api } from '../api';
import { Agreement, Eligibility } from '../components/Agreement';
import { ErrorNote, messageOf } from '../components/ui';

/**
 * A first Google or Telegram sign-in lands here (the server answers 403 eligibility_pending to
 * everything else) until the person confirms their age and accepts the terms in force.
 */
export function EligibilityStep({ onConfirmed, onSignOut }: { onConfirmed: () => void; onSignOut: () => void }) {
  const [eligibility, setEligibility] = useState<Eligibility | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!eligibility) return setError('Tick both boxes to continue.');
    setBusy(true);
    setError(null);
    try {
      await answer(api.POST('/me/eligibility', { body: eligibility }));
      onConfirmed();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <h1>Tollgate</h1>
      <div className="card">
        <h2>One more step</h2>
        <p>Before you use your new account, confirm your age and accept the terms.</p>
        <form onSubmit={submit}>
          <Agreement onChange={setEligibility} />
          <ErrorNote error={error} />
          <button className="primary" type="submit" disabled={busy || !eligibility}>
            {busy ? 'Please wait…' : 'Continue'}
          </button>
        </form>
        <p className="muted small">
          <button type="button" className="link" onClick={onSignOut}>
            Sign out
          </button>
        </p>
      </div>
    </main>
  );
}
