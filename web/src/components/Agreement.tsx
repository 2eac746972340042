import { useEffect, useState } from 'react';
import { answer, api } from '../api';

/** What every sign-up path sends (issue 22): an attestation, and the versions in force accepted. */
export interface Eligibility {
  over18: true;
  termsVersion: string;
  privacyVersion: string;
}

type InForce = Awaited<ReturnType<typeof loadPolicy>>['inForce'];

const loadPolicy = async (kind: 'terms' | 'privacy') => answer(api.GET('/legal/{kind}', { params: { path: { kind } } }));

/**
 * The two confirmations of a sign-up: 18 or older, and the terms and privacy policy in force, by
 * the versions the server serves at /legal/* (read when shown, so the person accepts what is in
 * force now). `onChange` gets the body fields once both boxes are ticked, else null.
 */
export function Agreement({ onChange }: { onChange: (eligibility: Eligibility | null) => void }) {
  const [policies, setPolicies] = useState<{ terms: InForce; privacy: InForce } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [over18, setOver18] = useState(false);
  const [accepted, setAccepted] = useState(false);

  useEffect(() => {
    Promise.all([loadPolicy('terms'), loadPolicy('privacy')]).then(
      ([terms, privacy]) => setPolicies({ terms: terms.inForce, privacy: privacy.inForce }),
      () => setError('The terms could not be loaded; reload the page to try again.'),
    );
  }, []);

  useEffect(() => {
    onChange(policies && over18 && accepted ? { over18: true, termsVersion: policies.terms.version, privacyVersion: policies.privacy.version } : null);
  }, [policies, over18, accepted, onChange]);

  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (!policies) return <p className="muted small">Loading the terms…</p>;
  const link = (label: string, p: InForce) =>
    p.url ? (
      <a href={p.url} target="_blank" rel="noreferrer">
        {label}
      </a>
    ) : (
      label
    );
  return (
    <fieldset className="agreement">
      <label className="check">
        <input type="checkbox" checked={over18} onChange={(e) => setOver18(e.target.checked)} /> I am 18 or older
      </label>
      <label className="check">
        <input type="checkbox" checked={accepted} onChange={(e) => setAccepted(e.target.checked)} /> I accept the {link('terms', policies.terms)} (version {policies.terms.version})
        and the {link('privacy policy', policies.privacy)} (version {policies.privacy.version})
      </label>
    </fieldset>
  );
}
