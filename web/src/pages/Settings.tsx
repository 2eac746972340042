import { FormEvent, useEffect, useState } from 'react';
import { answer, api } from '../api';
import type { paths } from '../api/openapi';
import { ActionButton, Card, ErrorNote, Loading, messageOf, useLoad } from '../components/ui';
import { when } from '../format';

type Preferences = Awaited<ReturnType<typeof loadPreferences>>;
type PreferencesChange = paths['/me/notifications']['patch']['requestBody']['content']['application/json'];
type Me = Awaited<ReturnType<typeof loadMe>>;

const loadPreferences = async () => answer(api.GET('/me/notifications'));
const loadMe = async () => answer(api.GET('/me'));

/** Mail preferences (GET/PATCH /me/notifications) and data rights (export, deletion, restriction). */
export function Settings({ onSignedOut }: { onSignedOut: () => void }) {
  return (
    <>
      <h1>Settings</h1>
      <NotificationPreferences />
      <DataRights onSignedOut={onSignedOut} />
    </>
  );
}

function NotificationPreferences() {
  const prefs = useLoad(loadPreferences, []);
  const [shown, setShown] = useState<Preferences | null>(null);
  const [threshold, setThreshold] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const current = shown ?? prefs.data;
  useEffect(() => setThreshold(prefs.data?.lowBalance.thresholdUsd?.replace(/^\$/, '') ?? ''), [prefs.data]);

  // PATCH answers the new preferences: shown as they are now, no re-read.
  const change = async (body: PreferencesChange, what: string) => {
    setError(null);
    setSaved(null);
    try {
      setShown(await answer(api.PATCH('/me/notifications', { body })));
      setSaved(`Saved: ${what}.`);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const saveThreshold = (e: FormEvent) => {
    e.preventDefault();
    const value = threshold.trim();
    void change({ lowBalanceThresholdUsd: value === '' ? null : value }, value === '' ? 'no low-balance alert' : `low-balance alert below $${value}`);
  };

  return (
    <Card title="Email notifications">
      <ErrorNote error={prefs.error ?? error} />
      {prefs.loading && !current ? <Loading what="your preferences" /> : null}
      {current ? (
        <>
          <ul className="checks">
            {current.categories.map((c) => (
              <li key={c.category}>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={c.enabled}
                    disabled={c.essential}
                    onChange={(e) => void change({ categories: { [c.category]: e.target.checked } }, `${c.category} mails ${e.target.checked ? 'on' : 'off'}`)}
                  />
                  <span>
                    <strong>{c.category}</strong> — {c.description}
                    {c.essential ? <span className="muted small"> (always sent)</span> : null}
                    {c.category === 'marketing' && current.marketing.consentedAt ? <span className="muted small"> (consented {when(current.marketing.consentedAt)})</span> : null}
                  </span>
                </label>
              </li>
            ))}
          </ul>
          <form className="grid-form" onSubmit={saveThreshold}>
            <label>
              Low-balance alert below (USD, empty for none)
              <input inputMode="decimal" placeholder="5.00" value={threshold} onChange={(e) => setThreshold(e.target.value)} />
            </label>
            <button className="secondary" type="submit">
              Save threshold
            </button>
          </form>
          {saved ? (
            <p className="muted small" role="status">
              {saved}
            </p>
          ) : null}
        </>
      ) : null}
    </Card>
  );
}

function DataRights({ onSignedOut }: { onSignedOut: () => void }) {
  const me = useLoad(loadMe, []);
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<unknown>, done: (me: Me) => boolean) => {
    setError(null);
    try {
      await action();
      await me.reloadUntil(done);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <Card title="Your data">
      <ErrorNote error={me.error ?? error} />
      <p>
        <a className="button secondary" href="/me/export" download>
          Download my data (JSON)
        </a>
      </p>
      {me.data ? (
        <>
          <h3>Restriction</h3>
          <p className="muted small">Restricting processing stops new API use until you lift it; your data is kept.</p>
          {me.data.restrictedAt ? (
            <ActionButton
              kind="secondary"
              busyText="Lifting…"
              onClick={() =>
                run(
                  () => answer(api.DELETE('/me/restriction')),
                  (m) => m.restrictedAt === null,
                )
              }
            >
              Lift restriction (restricted {when(me.data.restrictedAt)})
            </ActionButton>
          ) : (
            <ActionButton
              kind="secondary"
              busyText="Restricting…"
              onClick={() =>
                run(
                  () => answer(api.POST('/me/restriction')),
                  (m) => m.restrictedAt !== null,
                )
              }
            >
              Restrict processing
            </ActionButton>
          )}
          <h3>Deletion</h3>
          {me.data.deletionDueAt ? (
            <>
              <p>Your account will be deleted on {when(me.data.deletionDueAt)}.</p>
              <ActionButton
                kind="secondary"
                busyText="Cancelling…"
                onClick={() =>
                  run(
                    () => answer(api.DELETE('/me/deletion-request')),
                    (m) => m.deletionDueAt === null,
                  )
                }
              >
                Cancel deletion
              </ActionButton>
            </>
          ) : (
            <>
              <p className="muted small">
                Every API key is revoked and every session ended at once; your personal data is erased when the grace period ends. You can cancel until then by signing in.
              </p>
              <ActionButton
                kind="danger"
                busyText="Requesting…"
                onClick={async () => {
                  if (!window.confirm('Delete your account? Your keys stop working now and you will be signed out.')) return;
                  setError(null);
                  try {
                    await answer(api.POST('/me/deletion-request'));
                    onSignedOut(); // every session was ended with it
                  } catch (err) {
                    setError(messageOf(err));
                  }
                }}
              >
                Delete my account
              </ActionButton>
            </>
          )}
        </>
      ) : null}
    </Card>
  );
}
