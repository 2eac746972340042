import { FormEvent, useEffect, useState } from 'react';
import { answer, api } from '../api';
import { Agreement, Eligibility } from '../components/Agreement';
import { ErrorNote, messageOf } from '../components/ui';
import { ConsoleSettings } from '../types';

/**
 * Password sign-in and sign-up, and the Google and Telegram buttons when the server has them
 * configured. Both are plain navigations (no third-party script, policy P19): Google's flow
 * returns through /auth/google/callback; Telegram's returns here with #tgAuthResult, which is
 * posted to /auth/telegram unchanged.
 */
export function SignIn({ settings, onSignedIn }: { settings: ConsoleSettings | null; onSignedIn: () => void }) {
  const [mode, setMode] = useState<'in' | 'up'>('in');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  const [eligibility, setEligibility] = useState<Eligibility | null>(null);

  useEffect(() => {
    const match = /tgAuthResult=([^&]+)/.exec(window.location.hash);
    if (!match) return;
    window.history.replaceState(null, '', window.location.pathname);
    try {
      const fields = JSON.parse(atob(match[1].replace(/-/g, '+').replace(/_/g, '/')));
      answer(api.POST('/auth/telegram', { body: fields })).then(onSignedIn, (err) => setError(messageOf(err)));
    } catch {
      setError('Telegram sent back something we could not read. Try again.');
    }
  }, [onSignedIn]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'in') {
        await answer(api.POST('/auth/login', { body: { email, password } }));
        onSignedIn();
      } else {
        if (!eligibility) throw new Error('Confirm that you are 18 or older and accept the terms to create an account.');
        const registered = await answer(api.POST('/auth/register', { body: { email, password, ...eligibility } }));
        setSent(registered.message);
      }
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  const telegramUrl = settings?.telegramBotId
    ? `https://oauth.telegram.org/auth?bot_id=${encodeURIComponent(settings.telegramBotId)}&origin=${encodeURIComponent(window.location.origin)}&return_to=${encodeURIComponent(window.location.href)}&request_access=write`
    : null;

  return (
    <main className="signin">
      <h1>Tollgate</h1>
      <div className="card">
        <h2>{mode === 'in' ? 'Sign in' : 'Create an account'}</h2>
        {sent ? (
          <p role="status">{sent}</p>
        ) : (
          <form onSubmit={submit}>
            <label>
              Email
              <input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
            </label>
            <label>
              Password
              <input type="password" autoComplete={mode === 'in' ? 'current-password' : 'new-password'} required value={password} onChange={(e) => setPassword(e.target.value)} />
            </label>
            {mode === 'up' ? <Agreement onChange={setEligibility} /> : null}
            <ErrorNote error={error} />
            <button className="primary" type="submit" disabled={busy || (mode === 'up' && !eligibility)}>
              {busy ? 'Please wait…' : mode === 'in' ? 'Sign in' : 'Create account'}
            </button>
          </form>
        )}
        {settings?.google || telegramUrl ? (
          <div className="alt-signin">
            {settings?.google ? (
              <a className="button secondary" href="/auth/google">
                Sign in with Google
              </a>
            ) : null}
            {telegramUrl ? (
              <a className="button secondary" href={telegramUrl}>
                Sign in with Telegram
              </a>
            ) : null}
          </div>
        ) : null}
        <p className="muted small">
          {mode === 'in' ? 'No account yet? ' : 'Have an account? '}
          <button
            type="button"
            className="link"
            onClick={() => {
              setMode(mode === 'in' ? 'up' : 'in');
              setSent(null);
              setError(null);
            }}
          >
            {mode === 'in' ? 'Create one' : 'Sign in'}
          </button>
        </p>
      </div>
    </main>
  );
}
