import { FormEvent, useState } from 'react';
import { answer, api } from '../../api';
import { AccountFinder } from '../../components/AccountFinder';
import { AutoTable } from '../../components/AutoTable';
import { ActionButton, Card, Empty, ErrorNote, Loading, messageOf, useLoad } from '../../components/ui';

type AccountView = Awaited<ReturnType<typeof loadAccount>>;

const loadAccount = async (id: string) => answer(api.GET('/admin/accounts/{id}', { params: { path: { id } } }));

/** Roles an admin grants here; provider comes only through an invite. */
const GRANTABLE = ['finance', 'support', 'admin'] as const;
type Grantable = (typeof GRANTABLE)[number];

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
  const path = { id: accountId };
  const account = useLoad(() => loadAccount(accountId), [accountId]);
  const [role, setRole] = useState<Grantable>(GRANTABLE[0]);
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
                    () => answer(api.DELETE('/admin/accounts/{id}/roles/{role}', { params: { path: { ...path, role: r } } })),
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
              <select value={role} onChange={(e) => setRole(GRANTABLE.find((g) => g === e.target.value) ?? GRANTABLE[0])}>
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
                  () => answer(api.POST('/admin/accounts/{id}/roles', { params: { path }, body: { role } })),
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
                    () => answer(api.POST('/admin/accounts/{id}/suspend', { params: { path }, body: { reason } })),
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
                  () => answer(api.POST('/admin/accounts/{id}/reinstate', { params: { path } })),
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
            setToken((await answer(api.POST('/admin/provider-invites', { body: { email } }))).token);
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
