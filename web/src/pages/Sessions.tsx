import { useState } from 'react';
import { answer, api } from '../api';
import { ActionButton, Card, Empty, ErrorNote, Loading, messageOf, useLoad } from '../components/ui';
import { when } from '../format';

type SessionView = Awaited<ReturnType<typeof loadSessions>>[number];

const loadSessions = async () => answer(api.GET('/me/sessions'));

const METHODS: Record<string, string> = { password: 'Password', google: 'Google', telegram: 'Telegram' };

/** Where this account is signed in, and ending any of those sessions (a lost phone, a shared computer). */
export function Sessions({ onSignedOut }: { onSignedOut: () => void }) {
  const sessions = useLoad(loadSessions, []);
  const [ended, setEnded] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  // The revoke's answer is applied at once; the list is read again as well.
  const rows = sessions.data?.filter((s) => !ended.has(s.id)) ?? null;

  async function revoke(s: SessionView) {
    if (s.current && !window.confirm('Sign out of this browser?')) return;
    setError(null);
    setNote(null);
    try {
      await answer(api.POST('/me/sessions/{id}/revoke', { params: { path: { id: s.id } } }));
      if (s.current) return onSignedOut();
      setEnded((e) => new Set([...e, s.id]));
      setNote(`Signed out ${s.device}. That session can no longer be used.`);
      sessions.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <>
      <h1>Sessions</h1>
      <Card title="Where you are signed in">
        <p className="muted small">Each sign-in is a session until you sign out or it expires. If you do not recognise one, sign it out and change your password.</p>
        <ErrorNote error={sessions.error ?? error} />
        {note ? (
          <p role="status" className="ok">
            {note}
          </p>
        ) : null}
        {sessions.loading && !rows ? <Loading what="your sessions" /> : null}
        {rows && rows.length === 0 ? <Empty>No sessions besides this one.</Empty> : null}
        {rows && rows.length > 0 ? (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Sessions table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Signed in with</th>
                  <th scope="col">Signed in</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((s) => (
                  <tr key={s.id} data-testid={s.current ? 'session-current' : 'session'}>
                    <td>
                      {s.device}
                      {s.current ? <strong> (this browser)</strong> : null}
                    </td>
                    <td>{METHODS[s.method] ?? s.method}</td>
                    <td>{when(s.createdAt)}</td>
                    <td>{when(s.lastUsedAt)}</td>
                    <td className="actions">
                      <ActionButton kind={s.current ? 'secondary' : 'danger'} busyText="Signing out…" onClick={() => revoke(s)}>
                        {s.current ? 'Sign out here' : 'Sign out'}
                      </ActionButton>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Card>
    </>
  );
}
