import { FormEvent, useState } from 'react';
import { answer, api } from '../api';
import { ActionButton, Card, Empty, ErrorNote, Loading, messageOf, useLoad } from '../components/ui';
import { when } from '../format';
import { forgetKey, rememberKey } from '../keyMemory';

type ApiKey = Awaited<ReturnType<typeof loadKeys>>[number];
type IssuedKey = Awaited<ReturnType<typeof rotateKey>>;

const loadKeys = async () => answer(api.GET('/me/keys'));
const rotateKey = async (id: string) => answer(api.POST('/me/keys/{id}/rotate', { params: { path: { id } } }));

/** Create (name, limits, expiry), show once with a copy button, revoke, rotate. */
export function Keys() {
  const loaded = useLoad(loadKeys, []);
  // The list is a read model that may lag a write by a moment: what this page just did is
  // applied over it, so a change shows at once without a reload.
  const [changed, setChanged] = useState<Map<string, ApiKey>>(new Map());
  const [shown, setShown] = useState<IssuedKey | null>(null);
  const [error, setError] = useState<string | null>(null);
  const keys = { ...loaded, data: loaded.data ? merge(loaded.data, changed) : null };
  const apply = (...updated: ApiKey[]) => setChanged((m) => new Map([...m, ...updated.map((k) => [k.id, k] as const)]));

  const issued = (issuedKey: IssuedKey) => {
    rememberKey(issuedKey.apiKey.id, issuedKey.apiKey.name, issuedKey.key);
    setShown(issuedKey);
    apply(issuedKey.apiKey);
  };

  return (
    <>
      <h1>API keys</h1>
      {shown ? <ShownOnce issued={shown} onDone={() => setShown(null)} /> : null}
      <NewKeyForm onIssued={issued} />
      <Card title="Your keys">
        <ErrorNote error={keys.error ?? error} />
        {keys.loading && !keys.data ? <Loading what="keys" /> : null}
        {keys.data && keys.data.length === 0 ? <Empty>No keys yet. Create one above to call the API.</Empty> : null}
        {keys.data && keys.data.length > 0 ? (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Keys table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Status</th>
                  <th scope="col">Limits</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.map((k) => (
                  <tr key={k.id} data-testid={`key-${k.id}`}>
                    <td>{k.name}</td>
                    <td>
                      <code>{k.prefix}…</code>
                    </td>
                    <td>{k.status}</td>
                    <td>{limitsText(k)}</td>
                    <td>{when(k.expiresAt)}</td>
                    <td>{when(k.lastUsedAt)}</td>
                    <td className="actions">
                      {k.status === 'active' ? (
                        <>
                          <ActionButton
                            kind="secondary"
                            busyText="Rotating…"
                            onClick={async () => {
                              setError(null);
                              try {
                                const replacement = await rotateKey(k.id);
                                apply({ ...k, status: 'revoked', revokedAt: new Date().toISOString() });
                                issued(replacement);
                                forgetKey(k.id);
                              } catch (err) {
                                setError(messageOf(err));
                              }
                            }}
                          >
                            Rotate
                          </ActionButton>
                          <ActionButton
                            kind="danger"
                            busyText="Revoking…"
                            onClick={async () => {
                              if (!window.confirm(`Revoke “${k.name}”? Calls with it are refused within a second.`)) return;
                              setError(null);
                              try {
                                await answer(api.POST('/me/keys/{id}/revoke', { params: { path: { id: k.id } } }));
                                forgetKey(k.id);
                                apply({ ...k, status: 'revoked', revokedAt: new Date().toISOString() });
                              } catch (err) {
                                setError(messageOf(err));
                              }
                            }}
                          >
                            Revoke
                          </ActionButton>
                        </>
                      ) : null}
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

/** Newest first, as the server lists them; this page's own changes win over a lagging read. */
function merge(list: ApiKey[], changed: Map<string, ApiKey>): ApiKey[] {
  const byId = new Map(list.map((k) => [k.id, k]));
  for (const [id, k] of changed) byId.set(id, k);
  return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

function limitsText(k: ApiKey): string {
  const parts = [];
  if (k.limits.requestsPerMinute) parts.push(`${k.limits.requestsPerMinute} req/min`);
  if (k.limits.tokensPerMinute) parts.push(`${k.limits.tokensPerMinute} tok/min`);
  return parts.length ? parts.join(', ') : 'account limits';
}

function ShownOnce({ issued, onDone }: { issued: IssuedKey; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <section className="card notice" aria-label="New key" data-testid="new-key">
      <h2>Your new key “{issued.apiKey.name}”</h2>
      <p>Copy it now: it is shown only this once. Tollgate keeps only a hash.</p>
      <div className="key-row">
        <code className="secret" data-testid="new-key-value">
          {issued.key}
        </code>
        <button
          type="button"
          className="secondary"
          onClick={async () => {
            await navigator.clipboard.writeText(issued.key);
            setCopied(true);
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <button type="button" className="primary" onClick={onDone}>
        I have stored it
      </button>
    </section>
  );
}

function NewKeyForm({ onIssued }: { onIssued: (k: IssuedKey) => void }) {
  const [name, setName] = useState('');
  const [rpm, setRpm] = useState('');
  const [tpm, setTpm] = useState('');
  const [expires, setExpires] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const limits = { requestsPerMinute: rpm ? Number(rpm) : undefined, tokensPerMinute: tpm ? Number(tpm) : undefined };
      const body = { name, ...(expires ? { expiresAt: new Date(`${expires}T23:59:59Z`).toISOString() } : {}), ...(rpm || tpm ? { limits } : {}) };
      onIssued(await answer(api.POST('/me/keys', { body })));
      setName('');
      setRpm('');
      setTpm('');
      setExpires('');
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="Create a key">
      <form className="grid-form" onSubmit={submit}>
        <label>
          Name
          <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. production" />
        </label>
        <label>
          Requests per minute (optional)
          <input type="number" min={1} inputMode="numeric" value={rpm} onChange={(e) => setRpm(e.target.value)} />
        </label>
        <label>
          Tokens per minute (optional)
          <input type="number" min={1} inputMode="numeric" value={tpm} onChange={(e) => setTpm(e.target.value)} />
        </label>
        <label>
          Expires on (optional)
          <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </label>
        <ErrorNote error={error} />
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create key'}
        </button>
      </form>
    </Card>
  );
}
