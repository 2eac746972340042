import { FormEvent, ReactNode, useState } from 'react';
import { answer, api } from '../api';
import { ErrorNote, messageOf } from './ui';

type Found = Awaited<ReturnType<typeof search>>[number];

const search = async (q: string) => (await answer(api.GET('/support/accounts', { params: { query: { q } } }))).items;

/**
 * "Find an account" from what a person brings to support: an account id, the email they sign in
 * with, or an API key's public id. One match opens at once; several are listed to choose from.
 */
export function AccountFinder({ onOpen, children }: { onOpen: (accountId: string) => void; children?: ReactNode }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Found[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const items = await search(q.trim());
      setFound(items);
      if (items.length === 1) onOpen(items[0].accountId);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <form className="grid-form" onSubmit={submit}>
        <label>
          Account id, email or API key
          <input required maxLength={320} value={q} onChange={(e) => setQ(e.target.value)} />
        </label>
        {children}
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Finding…' : 'Find'}
        </button>
      </form>
      <ErrorNote error={error} />
      {found && found.length === 0 ? (
        <p className="empty" role="status">
          No account has this id, sign-in email or API key. Emails must match exactly.
        </p>
      ) : null}
      {found && found.length > 1 ? (
        <ul className="plain-list" aria-label="Matching accounts">
          {found.map((a) => (
            <li key={a.accountId}>
              <button type="button" className="secondary" onClick={() => onOpen(a.accountId)}>
                Open
              </button>{' '}
              {a.email ?? a.displayName ?? a.accountId} — {a.status}, matched by {a.matchedBy}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}
