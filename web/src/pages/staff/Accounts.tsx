import { FormEvent, useState } from 'react';
import { del, get, post } from '../../api';
import { AccountFinder } from '../../components/AccountFinder';
import { AutoTable } from '../../components/AutoTable';
import { ActionButton, Card, Empty, ErrorNote, Loading, messageOf, useLoad } from '../../components/ui';

interface AccountView {
  accountId: string;
  email: string | null;
  displayName: string | null;
  roles: string[];
  status: 'active' | 'suspended';
  registeredAt: string;
}

/** Roles an admin grants here; provider comes only through an invite. */
const GRANTABLE = ['finance', 'support', 'admin'];

/** An account found by id, email or key: roles (grant, revoke), suspend with a reason, reinstate; and provider invites. */
export function AdminAccountsPage() {
  const [accountId, setAccountId] = useState('');
  return (
    <>
      <h1>Accounts</h1>
      <Card title="Find an account">
        <AccountFinder onOpen={setAccountId} />
      </Card>
      {accountId ? <Account key={accountId} accountId={accountId} /> : <Empty>Find an account by its id, the email it signs in with or one of its API keys.</Empty>}
      <ProviderInvite />
    </>
  );
}

function Account({ accountId }: { accountId: string }) {
  const path = `/admin/accounts/${encodeURIComponent(accountId)}`;
  const account = useLoad(() => get<AccountView>(path), [accountId]);
  const [role, setRole] = useState(GRANTABLE[0]);
  const [error, setError] = useState<string | null>(null);
  const act = async (action: () => Promise<unknown>, done: (a: AccountView) => boolean) => {
    setError(null);
    try {
      await action();
      await account.reloadUntil(done);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const a = account.data;
  return (
    <Card title="Account">
      <ErrorNote error={account.error ?? error} />
      {account.loading && !a ? <Loading what="the account" /> : null}
      {a ? (
        <>
          <AutoTable label="Account table" rows={[{ ...a, roles: a.roles.join(', ') || '—' }]} columns={['email', 'displayName', 'status', 'roles', 'registeredAt']} />
          <h3>Roles</h3>
          <div className="key-row">
            {a.roles.map((r) => (
              <ActionButton
                key={r}
                kind="secondary"
                busyText="Revoking…"
                onClick={() =>
                  act(
                    () => del(`${path}/roles/${r}`),
                    (x) => !x.roles.includes(r),
                  )
                }
              >
                Revoke {r}
              </ActionButton>
            ))}
          </div>
          <div className="grid-form">
            <label>
              Role to grant
              <select value={role} onChange={(e) => setRole(e.target.value)}>
                {GRANTABLE.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
            </label>
            <ActionButton
              busyText="Granting…"
              disabled={a.roles.includes(role)}
              onClick={() =>
                act(
                  () => post(`${path}/roles`, { role }),
                  (x) => x.roles.includes(role),
                )
              }
            >
              Grant role
            </ActionButton>
          </div>
          <h3>Status</h3>
          {a.status === 'active' ? (
            <ActionButton
              kind="danger"
              busyText="Suspending…"
              onClick={async () => {
                const reason = window.prompt('Why suspend this account? (recorded in the audit log)');
                if (reason)
                  await act(
                    () => post(`${path}/suspend`, { reason }),
                    (x) => x.status === 'suspended',
                  );
              }}
            >
              Suspend
            </ActionButton>
          ) : (
            <ActionButton
              busyText="Reinstating…"
              onClick={() =>
                act(
                  () => post(`${path}/reinstate`),
                  (x) => x.status === 'active',
                )
              }
            >
              Reinstate
            </ActionButton>
          )}
        </>
      ) : null}
    </Card>
  );
}

function ProviderInvite() {
  const [email, setEmail] = useState('');
  const [token, setToken] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <Card title="Invite a provider">
      <form
        className="grid-form"
        onSubmit={async (e: FormEvent) => {
          e.preventDefault();
          setError(null);
          try {
            setToken((await post<{ token: string }>('/admin/provider-invites', { email })).token);
            setEmail('');
          } catch (err) {
            setError(messageOf(err));
          }
        }}
      >
        <label>
          Email
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <ErrorNote error={error} />
        <button className="primary" type="submit">
          Create invite
        </button>
      </form>
      {token ? (
        <p role="status">
          Invite token, shown once — pass it on:{' '}
          <code className="secret" data-testid="invite-token">
            {token}
          </code>
        </p>
      ) : null}
    </Card>
  );
}
